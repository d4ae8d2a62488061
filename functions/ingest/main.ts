import { runMain } from '../../shared/runtime/host.js';
import { ingest } from './index.js';

await runMain([ingest]);

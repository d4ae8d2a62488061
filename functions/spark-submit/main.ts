import { runMain } from '../../shared/runtime/host.js';
import { sparkSubmit } from './index.js';

await runMain([sparkSubmit]);

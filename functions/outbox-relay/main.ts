import { runMain } from '../../shared/runtime/host.js';
import { outboxRelay } from './index.js';

await runMain([outboxRelay]);

import { runMain } from '../../shared/runtime/host.js';
import { onlineToOffline } from './index.js';

await runMain([onlineToOffline]);

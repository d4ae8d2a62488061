import { runMain } from '../../shared/runtime/host.js';
import { offlineToOnline } from './index.js';

await runMain([offlineToOnline]);

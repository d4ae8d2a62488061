import { runMain } from '../../shared/runtime/host.js';
import { statusHandler } from './index.js';

await runMain([statusHandler]);

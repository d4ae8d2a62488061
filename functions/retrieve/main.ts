import { runMain } from '../../shared/runtime/host.js';
import { retrieve } from './index.js';

await runMain([retrieve]);

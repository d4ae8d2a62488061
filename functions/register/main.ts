import { runMain } from '../../shared/runtime/host.js';
import { register } from './index.js';

await runMain([register]);

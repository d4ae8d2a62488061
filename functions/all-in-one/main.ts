import { runMain } from '../../shared/runtime/host.js';
import { ALL_FUNCTIONS } from '../index.js';

// The embedded default: every function in one process on 127.0.0.1:8080, PGlite in .featurestore/.
await runMain(ALL_FUNCTIONS, { defaults: { FEATURESTORE_BIND: '127.0.0.1' } });

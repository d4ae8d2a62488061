import { runMain } from '../../shared/runtime/host.js';

// The embedded default: every function in one process on 127.0.0.1:8080, PGlite in .featurestore/.
// The functions load while the catalog opens.
await runMain(() => import('../index.js').then((m) => m.ALL_FUNCTIONS), {
  defaults: { FEATURESTORE_BIND: '127.0.0.1' },
  opens: ['metadata'],
});

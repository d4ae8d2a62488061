import { startHost } from './shared/runtime/host.js';
import { ALL_FUNCTIONS } from './functions/index.js';
import { clients, unary } from './test/support/grpc.js';
const host = await startHost(ALL_FUNCTIONS, { env: { PORT: '0', FEATURESTORE_BIND: '127.0.0.1', FEATURESTORE_METADATA_URL: 'pglite:memory', FEATURESTORE_OFFLINE_DIR: '/tmp/exp-off', LOG_LEVEL: 'warn' } });
const c = clients(host.port);
const time = async (name: string, fn: () => Promise<unknown>) => { for (let i = 0; i < 100; i++) await fn(); const t = performance.now(); for (let i = 0; i < 500; i++) await fn(); console.log(name, ((performance.now() - t) / 500).toFixed(3), 'ms'); };
await time('grpc getProject (NOT_FOUND)', () => unary(c.projects, c.projects.getProject, { name: 'nope' }).catch(() => {}));
await time('grpc whoAmI (unimplemented)', () => unary(c.projects, c.projects.getProject, { name: '' }).catch(() => {}));
c.close(); await host.stop();

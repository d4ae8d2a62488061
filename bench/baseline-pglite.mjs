// The raw baseline for the all-in-one cold start: open the same PGlite data dir, run one query,
// and report readiness by opening a TCP port (the bench's probe), with nothing else loaded.
import { createServer } from 'node:net';
import { PGlite } from '@electric-sql/pglite';

const db = await PGlite.create(process.env.PGLITE_DIR);
await db.query('SELECT name FROM projects ORDER BY name LIMIT 1');
createServer((socket) => socket.end()).listen(Number(process.env.PORT), '127.0.0.1');
process.once('SIGTERM', () => db.close().then(() => process.exit(0)));

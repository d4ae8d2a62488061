// What authentication and authorization cost on the online read path: the same RetrieveOnline
// (1 entity, 50 FLOAT32 features, Redis) against two all-in-one servers in one run, one with
// authentication off (`local`) and one trusting an OpenID provider (`oidc`: a real JWT from the dev
// provider on every call, verified, and the caller's consumer role checked from the permission
// cache). h2load (C) drives both with the same pre-encoded request, closed loops of 32 streams on 32
// connections, runs interleaved; server CPU per call from /proc. Every answer's gRPC status is
// checked with a real client before and after (h2load counts HTTP 200s only). Beside them, a bare
// grpc-js server (an empty reply) driven with and without the same bearer header: what carrying the
// token costs any gRPC server on Node, before any checking.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, InterceptingCall, type Interceptor } from '@grpc/grpc-js';
import { clientCredentialsToken } from '../dev/oidc/client-credentials.js';
import { startOidcProvider } from '../dev/oidc/provider.js';
import { unary } from '../cli/client.js';
import { AccessServiceClient, Role } from '../shared/gen/featurestore/v1/access.js';
import { DataType } from '../shared/gen/featurestore/v1/common.js';
import { FeatureSetServiceClient } from '../shared/gen/featurestore/v1/feature_set.js';
import { IngestServiceClient } from '../shared/gen/featurestore/v1/ingest.js';
import { ProjectServiceClient } from '../shared/gen/featurestore/v1/project.js';
import { RetrieveOnlineRequest, RetrieveOnlineResponse, RetrieveServiceClient } from '../shared/gen/featurestore/v1/retrieve.js';
import { grpcFrame, h2load, type H2Figures } from './h2load.js';
import { timestampFromDate } from '../shared/runtime/api/proto-time.js';
import { ingestWideFloat32, registerWideFeatureSet } from './wide-set.js';
import { freePort, machine, median, REPO, untilServing, writeSection } from './report.js';
import { startProcess } from './processes.js';

const REDIS_URL = process.env['FEATURESTORE_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:46490';
const CONNECTIONS = 32;
const SECONDS = Number(process.env['BENCH_ONLINE_SECONDS'] ?? 5);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 6);
const ENTITIES = 1000;
const FEATURES = 50;
const AUDIENCE = 'urn:featurestore';

const provider = await startOidcProvider({
  audience: AUDIENCE,
  services: [
    { id: 'bench-admin', secret: 'bench-admin-secret', groups: ['bench-admins'] },
    { id: 'bench-reader', secret: 'bench-reader-secret' },
  ],
});
const tokenOf = (id: string) => clientCredentialsToken(provider.issuer, id, `${id}-secret`, AUDIENCE);

interface Server {
  name: string;
  child: ChildProcess;
  port: number;
  /** The token every call carries ('' without authentication). */
  token: string;
  project: string;
}

const scratch = mkdtempSync(join(tmpdir(), 'fs-bench-auth-'));
const { NODE_EXTRA_CA_CERTS: _ca, ...env } = process.env;
const servers: Server[] = [];
process.on('exit', () => servers.forEach((s) => s.child.exitCode === null && s.child.kill('SIGKILL')));

const bearer =
  (token: string): Interceptor =>
  (options, next) =>
    new InterceptingCall(next(options), {
      start: (md, listener, go) => {
        if (token) md.set('authorization', `Bearer ${token}`);
        go(md, listener);
      },
    });

async function start(name: string, auth: Record<string, string>, setupToken: string, readerToken: string): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/functions/all-in-one.mjs'], {
    cwd: REPO,
    env: {
      ...env,
      PORT: String(port),
      FEATURESTORE_BIND: '127.0.0.1',
      LOG_LEVEL: 'warn',
      FEATURESTORE_METADATA_URL: 'pglite:memory',
      FEATURESTORE_ONLINE_URL: REDIS_URL,
      FEATURESTORE_FILE_ROOTS: scratch,
      ...auth,
    },
    stdio: 'inherit',
  });
  const address = `127.0.0.1:${port}`;
  const options = { interceptors: [bearer(setupToken)] };
  const projects = new ProjectServiceClient(address, credentials.createInsecure(), options);
  const featureSets = new FeatureSetServiceClient(address, credentials.createInsecure(), options);
  const ingest = new IngestServiceClient(address, credentials.createInsecure(), options);
  const access = new AccessServiceClient(address, credentials.createInsecure(), options);
  await untilServing(() => unary(projects, projects.listProjects, { pageSize: 1, pageToken: '', namePrefix: '' }));
  const project = `auth_${name}_${Date.now()}`;
  const names = await registerWideFeatureSet({ projects, featureSets }, project, FEATURES, DataType.DATA_TYPE_FLOAT32);
  const now = timestampFromDate(new Date());
  await ingestWideFloat32(ingest, project, names, ENTITIES, now, (i, k) => (i % 500) + k / 10);
  if (readerToken) {
    await unary(access, access.grantPermission, { resource: { project, featureSet: '' }, principalId: 'bench-reader', role: Role.ROLE_CONSUMER });
  }
  for (const c of [projects, featureSets, ingest, access]) c.close();
  return { name, child, port, token: readerToken, project };
}

const request = (s: Server): RetrieveOnlineRequest => ({
  featureSet: { project: s.project, name: 'wide', version: '' },
  keys: [{ values: [{ kind: { $case: 'int64Value', value: '7' } }] }],
  features: [],
});

/** One real call, its status and answer checked (h2load sees HTTP 200 even for a gRPC error); the answer's size on the wire. */
async function check(s: Server): Promise<number> {
  const client = new RetrieveServiceClient(`127.0.0.1:${s.port}`, credentials.createInsecure(), { interceptors: [bearer(s.token)] });
  const res = await unary(client, client.retrieveOnline, request(s));
  client.close();
  if (res.rows[0]?.values.length !== FEATURES) throw new Error(`${s.name}: the answer has ${res.rows[0]?.values.length} values, not ${FEATURES}`);
  return 5 + RetrieveOnlineResponse.encode(res).finish().length;
}

const answerBytes = new Map<string, number>();
/** h2load against the server on `port` (process `pid`) with `s`'s request, carrying `token` if any. */
const drive = (port: number, pid: number, s: Server, token: string, bytes: number) =>
  h2load({
    url: `http://127.0.0.1:${port}/featurestore.v1.RetrieveService/RetrieveOnline`,
    body: grpcFrame(RetrieveOnlineRequest.encode(request(s)).finish()),
    answerBytes: bytes,
    connections: CONNECTIONS,
    seconds: SECONDS,
    headers: token ? [`authorization: Bearer ${token}`] : [],
    serverPids: [pid],
    scratch,
  });
const run = (s: Server) => drive(s.port, s.child.pid!, s, s.token, answerBytes.get(s.name)!);

const open = await start('off', {}, '', '');
const admin = await tokenOf('bench-admin');
const reader = await tokenOf('bench-reader');
const oidc = await start(
  'oidc',
  { FEATURESTORE_AUTH: 'oidc', FEATURESTORE_OIDC_ISSUER: provider.issuer, FEATURESTORE_OIDC_AUDIENCE: AUDIENCE, FEATURESTORE_OIDC_ADMIN_GROUP: 'bench-admins' },
  admin,
  reader,
);
// A personal access token of the same reader on the same server: found in the catalog once, then kept in memory.
const readerAccess = new AccessServiceClient(`127.0.0.1:${oidc.port}`, credentials.createInsecure(), { interceptors: [bearer(reader)] });
const pat = await unary(readerAccess, readerAccess.createToken, { name: 'bench', ttl: undefined });
readerAccess.close();
servers.push(open, oidc, { ...oidc, name: 'pat', token: pat.secret });
const bare = await startProcess(['bench/bare-retrieve-server.mjs'], {});
await new Promise((r) => setTimeout(r, 1000));
// An empty reply: 5 bytes (the gRPC frame's header).
const runBare = (token: string) => drive(bare.port, bare.child.pid!, open, token, 5);
const results: Record<string, H2Figures[]> = { off: [], oidc: [], pat: [], bare: [], bareToken: [] };
for (const s of servers) answerBytes.set(s.name, await check(s));
// Alternating which goes first, so neither gains from the order.
for (let r = 0; r < RUNS; r++) {
  for (const s of r % 2 ? [...servers].reverse() : servers) results[s.name].push(run(s));
  for (const t of r % 2 ? [reader, ''] : ['', reader]) results[t ? 'bareToken' : 'bare'].push(runBare(t));
}
for (const s of servers) await check(s);

const m = (name: string, k: keyof H2Figures) => median(results[name].map((x) => x[k]));
const ratio = m('oidc', 'rate') / m('off', 'rate');
const patRatio = m('pat', 'rate') / m('off', 'rate');
const bareRatio = m('bareToken', 'rate') / m('bare', 'rate');
/** µs per call: what the token costs our server, less what carrying it costs the bare one (our checking). */
const checkingUs = (m('oidc', 'serverCpuMs') - m('off', 'serverCpuMs') - (m('bareToken', 'serverCpuMs') - m('bare', 'serverCpuMs'))) * 1000;
const row = (label: string, name: string) =>
  `| ${label} | ${Math.round(m(name, 'rate')).toLocaleString('en')} | ${m(name, 'p50').toFixed(2)} | ${m(name, 'p99').toFixed(2)} | ${m(name, 'serverCpuMs').toFixed(3)} |`;
writeSection(
  'online-auth',
  `
## Authentication on the online read path

${new Date().toISOString().slice(0, 10)}, ${machine()}. \`bench/online-auth.ts\`: RetrieveOnline of 1 entity x ${FEATURES} FLOAT32 features
(Redis) against two all-in-one servers in one run: authentication off, and OpenID Connect (a real RS256 JWT from
the dev provider on every call; the caller holds the consumer role, checked from the permission cache), the second also with a
personal access token of the same caller. h2load,
${CONNECTIONS} connections x 1 stream, ${SECONDS} s after 1 s of warm-up (p50/p99 from a second run of about 2 s with its per-request log), ${RUNS} runs interleaved (alternating which goes first), medians; every answer's status
checked with a real client before and after.

| server | calls/s | p50 ms | p99 ms | server CPU ms/call |
|---|---|---|---|---|
${row('authentication off', 'off')}
${row('OpenID Connect + roles', 'oidc')}
${row('personal access token (of the same reader) + roles', 'pat')}
${row('bare grpc-js server, empty reply', 'bare')}
${row('bare grpc-js server, empty reply, same bearer header', 'bareToken')}

With authentication: **${ratio.toFixed(3)}x** the calls/s without (goal: at least 0.95x). The bare server
carrying the same ${reader.length}-character token in its \`authorization\` header answers **${bareRatio.toFixed(3)}x** its calls/s without it:
HTTP/2 header decoding and grpc-js's metadata, which every call with a bearer token pays on any Node gRPC
server. Our checking itself (the token's cache lookup, the role check) costs **${checkingUs.toFixed(1)} µs** of CPU per call: the
rise of our server's CPU per call less the bare server's. A verified token is remembered until it expires (the
signature is checked once per token, not per call) and a principal's roles in a project come from memory,
dropped by the catalog's NOTIFY when they change. A personal access token: **${patRatio.toFixed(3)}x** the calls/s without
authentication; it is read from the catalog once and kept (its hash checked on every call), and its use recorded at most once a minute per
process, where each call used to cost two catalog statements; a revoke reaches every process by NOTIFY. The server, not h2load (C, one thread), is what saturates:
its CPU per call times its calls/s is over one core.
`,
);
console.log(JSON.stringify(results));
console.log(
  `auth on/off: ${ratio.toFixed(3)}x calls/s, PAT ${patRatio.toFixed(3)}x (${Math.round(m('oidc', 'rate'))} vs ${Math.round(m('off', 'rate'))}); bare with/without the token ${bareRatio.toFixed(3)}x; our checking ${checkingUs.toFixed(1)} µs/call`,
);
for (const s of servers) s.child.kill('SIGTERM');
bare.child.kill('SIGTERM');
await provider.close();
process.exit(0);

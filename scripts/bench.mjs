// `make bench`: starts the servers benchmarks need, runs each benchmark, stops the servers.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const servicesDir = mkdtempSync(join(tmpdir(), 'featurestore-bench-services-'));
const env = {
  ...process.env,
  FEATURESTORE_SERVICES_DIR: servicesDir,
  FEATURESTORE_PG_PORT: process.env.FEATURESTORE_PG_PORT ?? '25434',
  FEATURESTORE_REDIS_PORT: process.env.FEATURESTORE_REDIS_PORT ?? '20490',
};
const service = (name, action) =>
  execFileSync(join(root, 'scripts', 'services', `${name}.sh`), [action], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();

// `node scripts/bench.mjs ingest` runs only the benchmarks whose file names contain an argument.
const only = process.argv.slice(2);
const benchmarks = [
  'bench/cold-start.ts',
  'bench/ingest.ts',
  'bench/wide-ingest.ts',
  'bench/training-set.ts',
  'bench/spark.ts',
  'bench/online.ts',
  'bench/online-floor.ts',
  'bench/feature-view.ts',
  'bench/materialize.ts',
  'bench/online-auth.ts',
].filter((b) => only.length === 0 || only.some((x) => b.includes(x)));
let failed = false;
// h2load (C, Debian nghttp2-client) drives gRPC where the client must not be the bottleneck.
if (spawnSync('h2load', ['--version']).status !== 0) {
  execFileSync('sh', ['-c', 'apt-get update -qq && apt-get install -y -qq nghttp2-client >/dev/null'], { stdio: 'inherit' });
}
try {
  const pgUrl = service('postgres', 'start');
  const [redisUrl] = service('redis', 'start').split(' ');
  const ghz = execFileSync(join(root, 'scripts', 'tools', 'ghz.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  for (const bench of benchmarks) {
    console.log(`\n== ${bench}`);
    const run = spawnSync(process.execPath, ['--import', 'tsx', bench], {
      cwd: root,
      stdio: 'inherit',
      env: { ...env, FEATURESTORE_TEST_POSTGRES_URL: pgUrl, FEATURESTORE_BENCH_REDIS_URL: redisUrl, FEATURESTORE_BENCH_GHZ: ghz },
    });
    failed ||= run.status !== 0;
  }
} finally {
  service('postgres', 'stop');
  service('redis', 'stop');
  rmSync(servicesDir, { recursive: true, force: true });
}
console.log(failed ? '\nsome benchmarks failed' : '\nresults written to BENCHMARKS.md');
process.exit(failed ? 1 : 0);

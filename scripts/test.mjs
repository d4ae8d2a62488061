// `make test` / `npm test`: starts the servers the tests need (PostgreSQL), runs every test file
// with Node's test runner through tsx, stops the servers, and ends with "N passed, N failed".
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const servicesDir = mkdtempSync(join(tmpdir(), 'featurestore-test-services-'));
const env = { ...process.env, FEATURESTORE_SERVICES_DIR: servicesDir, FEATURESTORE_PG_PORT: process.env.FEATURESTORE_PG_PORT ?? '55433' };

function service(name, action) {
  return execFileSync(join(root, 'scripts', 'services', `${name}.sh`), [action], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

function testFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? testFiles(path) : name.endsWith('.test.ts') ? [path] : [];
  });
}

const filter = process.argv.slice(2);
const files = testFiles(join(root, 'test')).filter((f) => filter.length === 0 || filter.some((x) => f.includes(x))).sort();
const tap = join(servicesDir, 'results.tap');
let status = 1;
try {
  const pgUrl = service('postgres', 'start');
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...files],
    { cwd: root, stdio: 'inherit', env: { ...env, FEATURESTORE_TEST_POSTGRES_URL: pgUrl } },
  );
  status = run.status ?? 1;
  const text = readFileSync(tap, 'utf8');
  const count = (label) => Number(new RegExp(`^# ${label} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  console.log(`\n${count('pass')} passed, ${count('fail') + count('cancelled')} failed, ${count('skipped')} skipped`);
} finally {
  try {
    service('postgres', 'stop');
  } finally {
    rmSync(servicesDir, { recursive: true, force: true });
  }
}
process.exit(status);

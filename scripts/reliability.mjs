// `make reliability`: the long fuzz run, the fault tests and the soak, then RELIABILITY.md with
// the load held, the faults survived, the inputs tried, the rows lost and peak memory per process.
// Every part starts the servers it needs with the repo's scripts and stops them after.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'featurestore-reliability-'));
const fuzzRuns = process.env.FEATURESTORE_FUZZ_RUNS ?? '300';
// A new seed each day explores new messages; the report names it (FEATURESTORE_FUZZ_SEED repeats a run).
const fuzzSeed = process.env.FEATURESTORE_FUZZ_SEED ?? String(Math.floor(Date.now() / 86_400_000));
const soakMinutes = process.env.FEATURESTORE_SOAK_MINUTES ?? '10';

/** Runs one test file with the TAP reporter; returns its TAP text and whether it passed. */
function tests(file, env = {}) {
  const tap = join(work, `${file.replace(/\W+/g, '-')}.tap`);
  const run = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      '--test-force-exit',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      file,
    ],
    {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, ...env },
    },
  );
  return { ok: run.status === 0, tap: readFileSync(tap, 'utf8') };
}
const notes = (tap, prefix) => [...tap.matchAll(new RegExp(`^# ${prefix}: (.*)$`, 'gm'))].map((m) => m[1]);
const results = (tap) =>
  [...tap.matchAll(/^\s*(ok|not ok) \d+ - (.*)$/gm)]
    .filter((m) => !/^\s{0}(ok|not ok) \d+ - (fuzzing|faults)/.test(m[0]))
    .map((m) => `${m[1] === 'ok' ? 'survived' : '**failed**'}: ${m[2]}`);

console.log(`\n== fuzzing (${fuzzRuns} messages per RPC)`);
const fuzz = tests('test/reliability/fuzz.test.ts', { FEATURESTORE_FUZZ_RUNS: fuzzRuns, FEATURESTORE_FUZZ_SEED: fuzzSeed });
console.log('\n== faults');
const faults = tests('test/reliability/faults.test.ts');
console.log(`\n== soak (${soakMinutes} minutes of make services)`);
const soakOut = join(work, 'soak.json');
const soakRun = spawnSync(process.execPath, ['--import', 'tsx', 'bench/soak.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, FEATURESTORE_SOAK_MINUTES: soakMinutes, FEATURESTORE_SOAK_OUT: soakOut },
});
let soak;
try {
  soak = JSON.parse(readFileSync(soakOut, 'utf8'));
} catch {
  soak = undefined;
}

const machine = `${cpus()[0]?.model.trim()}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}, Node ${process.version}`;
const minutes = soak?.minutes ?? [];
const processes = [...new Set(minutes.flatMap((m) => Object.keys(m.rssMiB)))];
const r = soak?.reconciliation;
const lostOnline = r ? r.onlineExpected - r.onlineFound : undefined;
const lostOffline = r ? r.offlineExpected - r.offlineFound : undefined;
const errors = minutes.reduce((n, m) => n + m.readErrors + m.writeErrors, 0);
const md = `# Reliability

Written by \`make reliability\` (\`scripts/reliability.mjs\`) on ${new Date().toISOString().slice(0, 10)}, ${machine}.
A short fuzz run and every fault test also run in \`make test\`.

## Rows lost: ${r ? `${lostOnline} online, ${lostOffline} offline` : 'soak did not finish'}

${r ? `Soak reconciliation: ${r.onlineFound.toLocaleString('en-US')} of ${r.onlineExpected.toLocaleString('en-US')} online writes accepted are online with their value; ${r.offlineFound.toLocaleString('en-US')} of ${r.offlineExpected.toLocaleString('en-US')} rows (offline ingests + every accepted online write, drained by online-to-offline) are offline, each once (no id twice).` : ''}
Fault tests count acknowledged writes and find each of them (below).

## Load held (soak)

${soakMinutes} minutes of \`make services\` (every function its own process over PostgreSQL, Redis, MinIO
and Kafka): RetrieveOnline at 100 calls/s (1 entity), IngestOnline 20 rows/s, an offline ingest of
10,000 rows and a training set of 1,000 entities every minute, the PingSource's sync tick every
minute. ${soakRun.status === 0 ? '' : '**The soak run failed; see the make reliability output.**'} Errors (failed calls): ${errors}.

| minute | reads | read errors | p50 ms | p99 ms | writes (rows) | write errors | jobs | ${processes.map((p) => `${p} MiB`).join(' | ')} |
|---:|---:|---:|---:|---:|---:|---:|---|${processes.map(() => '---:').join('|')}|
${minutes.map((m) => `| ${m.minute} | ${m.reads} | ${m.readErrors} | ${m.p50Ms.toFixed(1)} | ${m.p99Ms.toFixed(1)} | ${m.writes} | ${m.writeErrors} | ${m.jobs.join(', ')} | ${processes.map((p) => m.rssMiB[p] ?? '').join(' | ')} |`).join('\n')}

Peak RSS per process over the soak: ${processes.map((p) => `${p} ${Math.max(...minutes.map((m) => m.rssMiB[p] ?? 0))} MiB`).join(', ')}.

## Faults survived (\`test/reliability/faults.test.ts\`${faults.ok ? '' : ', **some failed**'})

${results(faults.tap)
  .map((l) => `- ${l}`)
  .join('\n')}
${notes(faults.tap, 'faults')
  .map((l) => `- ${l}`)
  .join('\n')}
- Kafka broker restart with 8 ingests on their way, and kill -9 of spark-submit mid-ingest: \`test/e2e/service-mode.test.ts\` (in \`make test\`).

## Inputs tried (\`test/reliability/fuzz.test.ts\`${fuzz.ok ? '' : ', **some failed**'})

${results(fuzz.tap)
  .map((l) => `- ${l}`)
  .join('\n')}
${notes(fuzz.tap, 'fuzz')
  .map((l) => `- ${l}`)
  .join('\n')}

Malformed files, each as an ingest source, a schema sample and an entity table:
${(fuzz.tap.match(/^# (truncated Parquet|Latin-1 CSV|a 10 MB line|5,000 columns|binary garbage|an empty file|JSON lines that are not objects).*$/gm) ?? []).map((l) => `- ${l.slice(2)}`).join('\n')}
`;
writeFileSync(join(root, 'RELIABILITY.md'), md);
rmSync(work, { recursive: true, force: true });
const ok = fuzz.ok && faults.ok && soakRun.status === 0 && lostOnline === 0 && lostOffline === 0 && errors === 0;
console.log(ok ? '\nRELIABILITY.md written: everything held' : '\nRELIABILITY.md written: something did not hold (see it)');
process.exit(ok ? 0 : 1);

// Fuzzing: every RPC with messages generated from the proto descriptors, and malformed files as
// ingest sources, schema samples and entity tables, against the all-in-one host in a process of its
// own. Invariants: the process never dies, a client mistake never gets INTERNAL (or no answer),
// memory stays bounded. A short run here; `make reliability` runs a long one (FEATURESTORE_FUZZ_RUNS).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync, mkdtempSync, realpathSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Format } from '../../shared/gen/featurestore/v1/common.js';
import { JobState } from '../../shared/gen/featurestore/v1/job.js';
import { status } from '@grpc/grpc-js';
import { fuzz } from '../support/fuzz.js';
import { clients, finishedJob, projectWithFeatureSet, unary } from '../support/grpc.js';
import { healthCheck } from '../support/hosts.js';
import { spawnFunction, type Spawned } from '../support/process.js';

const RUNS = Number(process.env['FEATURESTORE_FUZZ_RUNS'] ?? 25);
/** Fixed, so a failure repeats; make reliability picks a new one each day (and prints it). */
const SEED = Number(process.env['FEATURESTORE_FUZZ_SEED'] ?? 42);
/** The all-in-one's resident memory may not pass this whatever it is sent (PGlite ~300 MB, DuckDB, buffers). */
const MEMORY_BOUND_MIB = 1536;

function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(m?.[1] ?? 0) / 1024);
}

describe('fuzzing (all-in-one host in its own process)', () => {
  let host: Spawned;
  let c: ReturnType<typeof clients>;
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'fs-fuzz-')));

  before(async () => {
    host = await spawnFunction('functions/all-in-one/main.ts', {
      FEATURESTORE_METADATA_URL: `pglite:${join(root, 'meta')}`,
      FEATURESTORE_OFFLINE_DIR: join(root, 'offline'),
      FEATURESTORE_FILE_ROOTS: root,
      FEATURESTORE_SYNC_INTERVAL_SECONDS: '0',
    });
    c = clients(host.port);
    // Names the generator also uses, so some calls reach past "not found".
    await projectWithFeatureSet(c, 'fraud');
  });
  after(async () => {
    c?.close();
    host?.child.kill('SIGTERM');
    await host?.exited;
  });

  it(`answers ${RUNS} generated messages per RPC (and junk, and 200-deep lists) without INTERNAL, staying up and bounded`, async () => {
    const report = await fuzz(`127.0.0.1:${host.port}`, RUNS, SEED);
    console.log(`fuzz: ${report.calls} calls (seed ${SEED}), ${JSON.stringify(report.byCode)}`);
    assert.deepEqual(
      report.faults.slice(0, 10),
      [],
      `${report.faults.length} calls answered ${[...new Set(report.faults.map((f) => status[f.code]))].join(', ')}`,
    );
    assert.ok(report.calls > 37 * RUNS, 'every method was called');
    assert.equal(host.child.exitCode, null, 'the process is alive');
    assert.equal(await healthCheck(host.port), 'SERVING');
    const peak = peakRssMiB(host.child.pid!);
    console.log(`fuzz: peak RSS ${peak} MiB`);
    assert.ok(peak < MEMORY_BOUND_MIB, `peak RSS ${peak} MiB`);
  });

  it('refuses malformed files cleanly as ingest sources, schema samples and entity tables', async () => {
    const file = (name: string, body: string | Buffer) => {
      writeFileSync(join(root, name), body);
      return pathToFileURL(join(root, name)).href;
    };
    // A real Parquet file cut in half.
    const ok = file('ok.csv', 'id,ts,v\na,2026-11-01T00:00:00Z,1\n');
    const job = await unary(c.ingest, c.ingest.startIngest, {
      featureSet: { project: 'fraud', name: 'users', version: '' },
      source: { uri: ok, format: Format.FORMAT_CSV, options: {} },
      extraColumns: 0,
      requestId: '',
    });
    assert.equal((await finishedJob(c, job.id)).state, JobState.JOB_STATE_SUCCEEDED);
    const stored = (readdirSync(join(root, 'offline'), { recursive: true }) as string[]).find((p) => p.endsWith('.parquet'))!;
    const parquet = readFileSync(join(root, 'offline', stored));
    writeFileSync(join(root, 'cut.parquet'), parquet);
    truncateSync(join(root, 'cut.parquet'), Math.floor(statSync(join(root, 'cut.parquet')).size / 2));
    const wide = Array.from({ length: 5000 }, (_, i) => `c${i}`);
    const cases: { name: string; uri: string; format: Format }[] = [
      { name: 'truncated Parquet', uri: pathToFileURL(join(root, 'cut.parquet')).href, format: Format.FORMAT_PARQUET },
      { name: 'Latin-1 CSV', uri: file('latin1.csv', Buffer.from('id,ts,v\nr\xe9sum\xe9,2026-11-01T00:00:00Z,1\n', 'latin1')), format: Format.FORMAT_CSV },
      { name: 'a 10 MB line', uri: file('long.csv', `id,ts,v\na,2026-11-01T00:00:00Z,${'9'.repeat(10 * 2 ** 20)}\n`), format: Format.FORMAT_CSV },
      {
        name: '5,000 columns',
        uri: file('wide.csv', `id,ts,v,${wide.join(',')}\na,2026-11-01T00:00:00Z,1,${wide.map(() => 'x').join(',')}\n`),
        format: Format.FORMAT_CSV,
      },
      {
        name: 'binary garbage as Parquet',
        uri: file('garbage.parquet', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))),
        format: Format.FORMAT_PARQUET,
      },
      {
        name: 'binary garbage as JSON lines',
        uri: file('garbage.jsonl', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))),
        format: Format.FORMAT_JSONL,
      },
      { name: 'an empty file', uri: file('empty.csv', ''), format: Format.FORMAT_CSV },
      { name: 'JSON lines that are not objects', uri: file('arrays.jsonl', '[1,2]\n"x"\n'), format: Format.FORMAT_JSONL },
    ];
    const outcomes: string[] = [];
    for (const k of cases) {
      const ingest = await unary(c.ingest, c.ingest.startIngest, {
        featureSet: { project: 'fraud', name: 'users', version: '' },
        source: { uri: k.uri, format: k.format, options: {} },
        extraColumns: 0,
        requestId: '',
      }).then(
        async (j) => {
          const done = await finishedJob(c, j.id);
          return done.state === JobState.JOB_STATE_FAILED ? `FAILED ${done.error?.code}: ${done.error?.message.slice(0, 80)}` : JobState[done.state];
        },
        (err: { code: number }) => `refused ${status[err.code]}`,
      );
      const inferred = await unary(c.featureSets, c.featureSets.inferSchema, {
        sample: { $case: 'source', value: { uri: k.uri, format: k.format, options: {} } },
        primaryKey: [],
        eventTimeColumn: '',
      }).then(
        () => 'inferred',
        (err: { code: number }) => `refused ${status[err.code]}`,
      );
      const training = await unary(c.retrieve, c.retrieve.startTrainingSet, {
        entities: { $case: 'entitySource', value: { uri: k.uri, format: k.format, options: {} } },
        timestampColumn: 'ts',
        features: ['fraud/users/*'],
        output: undefined,
      }).then(
        async (j) => {
          const done = await finishedJob(c, j.id);
          return done.state === JobState.JOB_STATE_FAILED ? `FAILED ${done.error?.code}` : JobState[done.state];
        },
        (err: { code: number }) => `refused ${status[err.code]}`,
      );
      outcomes.push(`${k.name}: ingest ${ingest}; infer ${inferred}; training set ${training}`);
    }
    console.log(outcomes.join('\n'));
    assert.deepEqual(
      outcomes.filter((o) => /INTERNAL|UNKNOWN/.test(o)),
      [],
    );
    assert.equal(host.child.exitCode, null, 'the process is alive');
    // Nothing half-visible: the ingests are the good file's and those of the sources that succeeded.
    const succeeded = outcomes.filter((o) => / ingest JOB_STATE_SUCCEEDED;/.test(o)).length;
    assert.equal(
      (await unary(c.ingest, c.ingest.listIngests, { featureSet: { project: 'fraud', name: 'users', version: '' }, pageSize: 0, pageToken: '' })).ingests
        .length,
      1 + succeeded,
    );
  });
});

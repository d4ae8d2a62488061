// Offline ingest end to end on each engine: gRPC StartIngest -> job.requested (outbox, relayed in
// process) -> spark-submit (DuckDB, or Spark) -> job.status -> status-handler commits -> visible.
import { status } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, realpathSync, writeFileSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ALL_FUNCTIONS } from '../../functions/index.js';
import { Format } from '../../shared/gen/featurestore/v1/common.js';
import { ExtraColumns } from '../../shared/gen/featurestore/v1/ingest.js';
import { JobState } from '../../shared/gen/featurestore/v1/job.js';
import type { RunningHost } from '../../shared/runtime/host.js';
import { clients, finishedJob, fraudTx, rejectsWith, unary } from '../support/grpc.js';
import { startTestHost } from '../support/hosts.js';
import { timestampFromDate } from '../../shared/runtime/api/proto-time.js';
import { eventually } from '../support/helpers.js';
import { TEST_ENGINES } from '../support/spark.js';

const CSV = 'customer_id,event_time,amount,country\nc1,2026-11-01T10:00:00Z,42.5,DE\nc2,2026-11-01T11:30:00Z,1200,US\nc1,2026-11-02T09:15:00Z,13.99,DE\n';

for (const engine of TEST_ENGINES)
  describe(`offline ingest (${engine.name})`, { skip: engine.skip }, () => {
    let host: RunningHost;
    let c: ReturnType<typeof clients>;
    let data: string;
    let offline: string;

    before(async () => {
      data = realpathSync(mkdtempSync(join(tmpdir(), 'fs-ingest-data-')));
      offline = realpathSync(mkdtempSync(join(tmpdir(), 'fs-ingest-offline-')));
      host = await startTestHost(ALL_FUNCTIONS, {
        FEATURESTORE_METADATA_URL: 'pglite:memory',
        FEATURESTORE_FILE_ROOTS: data,
        FEATURESTORE_OFFLINE_DIR: offline,
        ...engine.env,
      });
      c = clients(host.port);
      await fraudTx(c);
    });
    after(async () => {
      c.close();
      await host.stop();
    });

    const file = (name: string, text: string) => {
      const path = join(data, name);
      writeFileSync(path, text);
      return pathToFileURL(path).href;
    };
    const start = (uri: string, extra: object = {}) =>
      unary(c.ingest, c.ingest.startIngest, {
        featureSet: { project: 'fraud', name: 'tx', version: '' },
        source: { uri, format: Format.FORMAT_UNSPECIFIED, options: {} },
        extraColumns: 0,
        requestId: '',
        ...extra,
      });
    const finished = (id: string) => finishedJob(c, id);
    const history = async () =>
      (await unary(c.ingest, c.ingest.listIngests, { featureSet: { project: 'fraud', name: 'tx', version: '' }, pageSize: 0, pageToken: '' })).ingests;

    const retrieve = async (extra: object) => {
      const job = await unary(c.retrieve, c.retrieve.startRetrieve, {
        featureSet: { project: 'fraud', name: 'tx', version: '' },
        features: [],
        startTime: undefined,
        endTime: undefined,
        asOf: undefined,
        output: undefined,
        ...extra,
      });
      const done = await finished(job.id);
      assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.error?.message);
      const r = done.result?.$case === 'retrieveResult' ? done.result.value : undefined;
      assert.ok(r && r.downloadUrls.length === 1);
      return { rows: Number(r.rows), url: r.downloadUrls[0], uri: r.uris[0] };
    };

    it('ingests a CSV file as a job and makes it visible only once committed', async () => {
      const job = await start(file('day1.csv', CSV));
      assert.equal(job.state, JobState.JOB_STATE_PENDING);
      const done = await finished(job.id);
      assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.error?.message);
      assert.equal(done.progress, 1);
      assert.equal(done.result?.$case, 'ingestResult');
      const result = done.result?.$case === 'ingestResult' ? done.result.value : undefined;
      assert.deepEqual([result?.rows, result?.duplicateRows], ['3', '0']);
      const [ingest] = await history();
      assert.deepEqual([ingest?.id, ingest?.rows, ingest?.jobId, ingest?.featureSet?.version], [result?.ingestId, '3', job.id, '1.0']);
      const folder = join(offline, 'fraud', 'tx', 'v1', `ingest=${result?.ingestId}`);
      assert.deepEqual(readdirSync(folder), ['part-0.parquet']);
      // Statistics come back with the feature metadata.
      const fs = await unary(c.featureSets, c.featureSets.getFeatureSet, { project: 'fraud', name: 'tx', version: '' });
      const amount = fs.schema?.features.find((f) => f.name === 'amount')?.statistics;
      assert.deepEqual([amount?.count, amount?.nullCount, amount?.min, amount?.max, amount?.approxDistinct], ['3', '0', '13.99', '1200.0', '3']);
      assert.ok(Math.abs((amount?.mean ?? 0) - 418.83) < 0.01);
    });

    it('skips rows already stored, and repeats of a request return the first job', async () => {
      const uri = file('day1-again.csv', `${CSV}c3,2026-11-03T00:00:00Z,5,FR\n`);
      const job = await start(uri, { requestId: 'again-1' });
      assert.equal((await start(uri, { requestId: 'again-1' })).id, job.id);
      const done = await finished(job.id);
      const result = done.result?.$case === 'ingestResult' ? done.result.value : undefined;
      assert.deepEqual([result?.rows, result?.duplicateRows], ['1', '3']);
      assert.equal((await history()).length, 2);
    });

    it('reads a folder or a glob of files, and drops extra columns unless asked to fail', async () => {
      mkdirSync(join(data, 'days'));
      writeFileSync(join(data, 'days', 'a.csv'), 'customer_id,event_time,amount,extra\nc9,2026-11-05T00:00:00Z,1,x\n');
      writeFileSync(join(data, 'days', 'b.csv'), 'customer_id,event_time,amount,extra\nc8,2026-11-05T00:00:00Z,2,y\n');
      const folder = await finished((await start(pathToFileURL(join(data, 'days')).href)).id);
      assert.equal(folder.state, JobState.JOB_STATE_SUCCEEDED);
      assert.match(folder.message, /1 extra column\(s\) dropped: extra; 1 column\(s\) missing, stored as null: country/);
      const strict = await finished((await start(`${pathToFileURL(join(data, 'days')).href}/*.csv`, { extraColumns: ExtraColumns.EXTRA_COLUMNS_FAIL })).id);
      assert.equal(strict.state, JobState.JOB_STATE_FAILED);
      assert.equal(strict.error?.details[0]?.column, 'extra');
    });

    it(
      'cancels a running Spark ingest: the driver stops and nothing becomes visible',
      { skip: engine.name !== 'spark-local' && 'DuckDB ingests finish before a cancel arrives; test/e2e/jobs.test.ts cancels them' },
      async () => {
        // This process's drivers only (their plans are in its own spill folder): other test runs on the machine may run Spark too.
        const drivers = () => spawnSync('pgrep', ['-f', `featurestore-duckdb-spill/${process.pid}/spark-`], { encoding: 'utf8' }).stdout.trim();
        // Each committed ingest before this one is copied online by offline-to-online, on Spark too:
        // those drivers finish on their own, and must not be taken for this job's.
        await eventually(async () => drivers() === '', 120_000, 'the Spark drivers of earlier work finished');
        const before = await history();
        const job = await start(file('to-cancel.csv', `${CSV}c7,2026-11-07T00:00:00Z,7,NL\n`));
        await eventually(
          async () => {
            const j = await unary(c.jobs, c.jobs.getJob, { id: job.id });
            return j.message.startsWith('running on Spark');
          },
          30_000,
          'the job running on Spark',
        );
        assert.notEqual(drivers(), '', 'the driver runs (and the probe finds it)');
        assert.equal((await unary(c.jobs, c.jobs.cancelJob, { id: job.id })).state, JobState.JOB_STATE_RUNNING);
        const done = await finished(job.id);
        assert.equal(done.state, JobState.JOB_STATE_CANCELLED, done.message);
        assert.deepEqual(await history(), before);
        const left = drivers();
        const shown = left && spawnSync('ps', ['-o', 'pid,pgid,ppid,stat,etime,args', '-p', left.split('\n').join(',')], { encoding: 'utf8' }).stdout;
        assert.equal(left, '', `no Spark driver left running:\n${shown}`);
      },
    );

    it('fails a job with row and column detail and leaves nothing visible', async () => {
      const before = await history();
      const files = () => readdirSync(join(offline, 'fraud', 'tx', 'v1')).length;
      const filesBefore = files();
      const job = await start(file('bad.csv', 'customer_id,event_time,amount,country\nc1,2026-11-01T10:00:00Z,abc,DE\nc2,not a time,1,US\n'));
      const done = await finished(job.id);
      assert.equal(done.state, JobState.JOB_STATE_FAILED);
      assert.equal(done.error?.code, 'INVALID_ARGUMENT');
      assert.match(done.error?.message ?? '', /^source: 2 row\(s\) do not fit the schema; nothing was ingested/);
      assert.deepEqual(
        done.error?.details.map((d) => [d.row, d.column]),
        [
          ['1', 'amount'],
          ['2', 'event_time'],
        ],
      );
      assert.deepEqual(await history(), before);
      assert.equal(files(), filesBefore);
    });

    it('retrieves a time range, a subset of features, and time-travels as of an ingest or a moment', async () => {
      assert.equal((await retrieve({})).rows, 6);
      const ranged = await retrieve({
        startTime: timestampFromDate(new Date('2026-11-01T11:00:00Z')),
        endTime: timestampFromDate(new Date('2026-11-03T00:00:00Z')),
      });
      assert.equal(ranged.rows, 2);
      const [first] = (await history()).slice(-1);
      assert.equal((await retrieve({ asOf: { $case: 'asOfIngestId', value: first.id } })).rows, 3);
      assert.equal((await retrieve({ asOf: { $case: 'asOfTime', value: timestampFromDate(new Date('2000-01-01T00:00:00Z')) } })).rows, 0);
      const csv = await retrieve({
        features: ['amount'],
        output: { format: Format.FORMAT_CSV, uri: '' },
        endTime: timestampFromDate(new Date('2026-11-02T00:00:00Z')),
      });
      assert.match(csv.uri, /retrieve\/[0-9a-f-]{36}\/part-0\.csv$/);
      const text = readFileSync(fileURLToPath(csv.url), 'utf8');
      assert.equal(text, 'customer_id,event_time,amount\nc1,2026-11-01 10:00:00+00,42.5\nc2,2026-11-01 11:30:00+00,1200.0\n');
      await rejectsWith(
        unary(c.retrieve, c.retrieve.startRetrieve, {
          featureSet: { project: 'fraud', name: 'tx', version: '' },
          features: ['nope'],
          startTime: undefined,
          endTime: undefined,
          asOf: undefined,
          output: undefined,
        }),
        status.NOT_FOUND,
        'features[0]',
      );
      await rejectsWith(
        unary(c.retrieve, c.retrieve.startRetrieve, {
          featureSet: { project: 'fraud', name: 'tx', version: '' },
          features: [],
          startTime: timestampFromDate(new Date(2)),
          endTime: timestampFromDate(new Date(1)),
          asOf: undefined,
          output: undefined,
        }),
        status.INVALID_ARGUMENT,
        'end_time',
      );
    });

    it('reverts an ingest: a new minor version without its rows; time travel still sees them before the revert', async () => {
      const target = (await history()).find((i) => i.rows === '1');
      assert.ok(target);
      const beforeRevert = new Date();
      const job = await unary(c.ingest, c.ingest.revertIngest, { featureSet: { project: 'fraud', name: 'tx', version: '' }, ingestId: target.id });
      const done = await finished(job.id);
      assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.error?.message);
      const r = done.result?.$case === 'revertResult' ? done.result.value : undefined;
      assert.deepEqual([r?.ingestId, r?.version, r?.rowsRemoved], [target.id, '1.1', '1']);
      const reverted = (await history()).find((i) => i.id === target.id);
      assert.equal(reverted?.state, 2 /* REVERTED */);
      assert.ok(reverted?.revertTime);
      assert.equal((await retrieve({})).rows, 5);
      assert.equal((await retrieve({ asOf: { $case: 'asOfTime', value: timestampFromDate(beforeRevert) } })).rows, 6);
      assert.equal((await retrieve({ asOf: { $case: 'asOfIngestId', value: target.id } })).rows, 4);
      // Statistics now leave the reverted row out.
      const fs = await unary(c.featureSets, c.featureSets.getFeatureSet, { project: 'fraud', name: 'tx', version: '' });
      assert.equal(fs.version, '1.1');
      assert.equal(fs.schema?.features.find((f) => f.name === 'amount')?.statistics?.count, '5');
      // Reverted rows no longer count as stored: ingesting them again writes them.
      const again = await finished((await start(file('day1-again2.csv', `${CSV}c3,2026-11-03T00:00:00Z,5,FR\n`))).id);
      const result = again.result?.$case === 'ingestResult' ? again.result.value : undefined;
      assert.deepEqual([result?.rows, result?.duplicateRows], ['1', '3']);
      assert.equal((await retrieve({})).rows, 6);
      await rejectsWith(
        unary(c.ingest, c.ingest.revertIngest, { featureSet: { project: 'fraud', name: 'tx', version: '' }, ingestId: target.id }),
        status.FAILED_PRECONDITION,
        'ingest_id',
      );
      await rejectsWith(
        unary(c.ingest, c.ingest.revertIngest, { featureSet: { project: 'fraud', name: 'tx', version: '' }, ingestId: 'nope' }),
        status.INVALID_ARGUMENT,
        'ingest_id',
      );
      await rejectsWith(
        unary(c.ingest, c.ingest.revertIngest, { featureSet: { project: 'fraud', name: 'tx', version: '' }, ingestId: '00000000-0000-4000-8000-000000000000' }),
        status.NOT_FOUND,
        'ingest_id',
      );
    });

    it('refuses bad requests before any job exists', async () => {
      const jobsBefore = (await unary(c.jobs, c.jobs.listJobs, { project: '', type: 0, state: 0, pageSize: 0, pageToken: '' })).jobs.length;
      await rejectsWith(start('file:///etc/passwd'), status.PERMISSION_DENIED, 'source.uri');
      await rejectsWith(start(pathToFileURL(join(data, 'missing.csv')).href), status.NOT_FOUND, 'source.uri');
      await rejectsWith(start(''), status.INVALID_ARGUMENT, 'source.uri');
      await rejectsWith(start('ftp://x/y.csv'), status.INVALID_ARGUMENT, 'source.uri');
      await rejectsWith(
        unary(c.ingest, c.ingest.startIngest, {
          featureSet: { project: 'fraud', name: 'nope', version: '' },
          source: { uri: file('x.csv', CSV), format: 0, options: {} },
          extraColumns: 0,
          requestId: '',
        }),
        status.NOT_FOUND,
        'feature_set',
      );
      await rejectsWith(
        unary(c.ingest, c.ingest.startIngest, {
          featureSet: { project: 'fraud', name: 'tx', version: 'v2' },
          source: { uri: file('y.csv', CSV), format: 0, options: {} },
          extraColumns: 0,
          requestId: '',
        }),
        status.INVALID_ARGUMENT,
        'feature_set.version',
      );
      assert.equal((await unary(c.jobs, c.jobs.listJobs, { project: '', type: 0, state: 0, pageSize: 0, pageToken: '' })).jobs.length, jobsBefore);
    });
  });

// Point-in-time training sets end to end on the README's worked example, on each engine:
// StartTrainingSet -> TRAINING_SET job -> spark-submit (DuckDB ASOF joins, or Spark) -> a file with a link.
import { status } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ALL_FUNCTIONS } from '../../functions/index.js';
import { DataType, Format, type Value } from '../../shared/gen/featurestore/v1/common.js';
import { JobState } from '../../shared/gen/featurestore/v1/job.js';
import type { StartTrainingSetRequest } from '../../shared/gen/featurestore/v1/retrieve.js';
import type { RunningHost } from '../../shared/runtime/host.js';
import { clients, finishedJob, rejectsWith, unary } from '../support/grpc.js';
import { startTestHost } from '../support/hosts.js';
import { feature, str, ts } from '../support/helpers.js';
import { TEST_ENGINES } from '../support/spark.js';

const int = (v: number): Value => ({ kind: { $case: 'int32Value', value: v } });

// The README's worked example, row for row.
const TX_DAY1 = 'customer_id,event_time,spend_7d\nc1,2026-11-01T00:00:00Z,10\nc1,2026-11-03T00:00:00Z,30\nc2,2026-11-01T00:00:00Z,5\n';
const TX_FIX = 'customer_id,event_time,spend_7d\nc1,2026-11-03T00:00:00Z,35\n';
const PROFILE = 'customer_id,updated_at,segment\nc1,2026-10-01T00:00:00Z,gold\nc2,2026-11-02T12:00:00Z,silver\n';
const ENTITIES =
  'customer_id,ts,label\nc1,2026-11-02T00:00:00Z,0\nc1,2026-11-03T00:00:00Z,1\nc2,2026-11-02T00:00:00Z,0\nc2,2026-11-04T00:00:00Z,1\nc3,2026-11-02T00:00:00Z,0\n';
const EXPECTED = [
  'customer_id,ts,label,spend_7d,segment',
  'c1,2026-11-02 00:00:00+00,0,10.0,gold',
  'c1,2026-11-03 00:00:00+00,1,35.0,gold',
  'c2,2026-11-02 00:00:00+00,0,5.0,',
  'c2,2026-11-04 00:00:00+00,1,,silver',
  'c3,2026-11-02 00:00:00+00,0,,',
].join('\n');

for (const engine of TEST_ENGINES)
  describe(`point-in-time training sets (${engine.name})`, { skip: engine.skip }, () => {
    let host: RunningHost;
    let c: ReturnType<typeof clients>;
    let data: string;

    const finished = (id: string) => finishedJob(c, id);
    const file = (name: string, text: string) => {
      const path = join(data, name);
      writeFileSync(path, text);
      return pathToFileURL(path).href;
    };
    const ingest = async (name: string, uri: string) => {
      const job = await unary(c.ingest, c.ingest.startIngest, {
        featureSet: { project: 'fraud', name, version: '' },
        source: { uri, format: Format.FORMAT_UNSPECIFIED, options: {} },
        extraColumns: 0,
        requestId: '',
      });
      assert.equal((await finished(job.id)).state, JobState.JOB_STATE_SUCCEEDED);
    };
    const request = (extra: Partial<StartTrainingSetRequest>): StartTrainingSetRequest => ({
      entities: { $case: 'entitySource', value: { uri: file('entities.csv', ENTITIES), format: Format.FORMAT_UNSPECIFIED, options: {} } },
      timestampColumn: 'ts',
      features: ['fraud/tx_stats/spend_7d', 'fraud/profile/*'],
      output: { format: Format.FORMAT_CSV, uri: '' },
      ...extra,
    });
    const run = async (req: StartTrainingSetRequest) => {
      const job = await unary(c.retrieve, c.retrieve.startTrainingSet, req);
      assert.equal(job.state, JobState.JOB_STATE_PENDING);
      const done = await finished(job.id);
      assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.error?.message);
      const r = done.result?.$case === 'retrieveResult' ? done.result.value : undefined;
      assert.ok(r && r.downloadUrls.length === 1);
      assert.match(r.uris[0], /training-sets\/[0-9a-f-]{36}\/part-0\.csv$/);
      return { rows: Number(r.rows), text: readFileSync(fileURLToPath(r.downloadUrls[0]), 'utf8').trimEnd() };
    };

    before(async () => {
      data = realpathSync(mkdtempSync(join(tmpdir(), 'fs-pit-data-')));
      const offline = realpathSync(mkdtempSync(join(tmpdir(), 'fs-pit-offline-')));
      host = await startTestHost(ALL_FUNCTIONS, {
        FEATURESTORE_METADATA_URL: 'pglite:memory',
        FEATURESTORE_FILE_ROOTS: data,
        FEATURESTORE_OFFLINE_DIR: offline,
        ...engine.env,
      });
      c = clients(host.port);
      await unary(c.projects, c.projects.createProject, { name: 'fraud', description: '', tags: {} });
      const register = (name: string, features: ReturnType<typeof feature>[], eventTime: string, ttlSeconds?: number) =>
        unary(c.featureSets, c.featureSets.registerFeatureSet, {
          project: 'fraud',
          name,
          schema: { features, primaryKey: ['customer_id'], eventTimeColumn: eventTime },
          description: '',
          tags: {},
          ttl: ttlSeconds ? { seconds: String(ttlSeconds), nanos: 0 } : undefined,
          owner: '',
        });
      await register(
        'tx_stats',
        [
          feature('customer_id', DataType.DATA_TYPE_STRING),
          feature('event_time', DataType.DATA_TYPE_TIMESTAMP),
          feature('spend_7d', DataType.DATA_TYPE_FLOAT64),
        ],
        'event_time',
        2 * 86400,
      );
      await register(
        'profile',
        [feature('customer_id', DataType.DATA_TYPE_STRING), feature('updated_at', DataType.DATA_TYPE_TIMESTAMP), feature('segment', DataType.DATA_TYPE_STRING)],
        'updated_at',
      );
      await ingest('tx_stats', file('tx1.csv', TX_DAY1));
      await ingest('tx_stats', file('tx2.csv', TX_FIX));
      await ingest('profile', file('profile.csv', PROFILE));
    });
    after(async () => {
      c.close();
      await host.stop();
    });

    it('joins an entity file point in time: TTL, ties to the later ingest, no history gives nulls', async () => {
      const out = await run(request({}));
      assert.equal(out.rows, 5);
      assert.equal(out.text, EXPECTED);
    });

    it('takes inline entity rows too', async () => {
      const rows = [
        [str('c1'), ts('2026-11-03T00:00:00Z'), int(1)],
        [str('c2'), ts('2026-11-04T00:00:00Z'), int(1)],
      ];
      const out = await run(
        request({ entities: { $case: 'entityRows', value: { columns: ['customer_id', 'ts', 'label'], rows: rows.map((values) => ({ values })) } } }),
      );
      assert.equal(out.text, [EXPECTED.split('\n')[0], EXPECTED.split('\n')[2], EXPECTED.split('\n')[4]].join('\n'));
    });

    it('joins through a feature view: its features, its key mapping onto the entity table’s own key column, the same rows', async () => {
      const sources = [
        { featureSet: 'fraud/tx_stats', features: ['spend_7d'], keyColumns: ['cid'] },
        { featureSet: 'fraud/profile', features: [], keyColumns: ['cid'] },
      ];
      await unary(c.featureViews, c.featureViews.registerFeatureView, { project: 'fraud', name: 'model', sources, description: '', tags: {}, owner: '' });
      const entities = ENTITIES.replace('customer_id,', 'cid,');
      const out = await run(
        request({
          features: [],
          featureView: { project: 'fraud', name: 'model', version: '1' },
          entities: { $case: 'entitySource', value: { uri: file('view-entities.csv', entities), format: Format.FORMAT_UNSPECIFIED, options: {} } },
        }),
      );
      assert.equal(out.text, EXPECTED.replace('customer_id,', 'cid,'));
      const start = (extra: Partial<StartTrainingSetRequest>) => unary(c.retrieve, c.retrieve.startTrainingSet, request(extra));
      await rejectsWith(start({ featureView: { project: 'fraud', name: 'model', version: '' } }), status.INVALID_ARGUMENT, 'features');
      await rejectsWith(start({ features: [], featureView: { project: 'fraud', name: 'nope', version: '' } }), status.NOT_FOUND, 'feature_view');
      // The entity table lacks the view's key column: inline rows are checked before a job exists.
      await rejectsWith(
        start({
          features: [],
          featureView: { project: 'fraud', name: 'model', version: '' },
          entities: { $case: 'entityRows', value: { columns: ['customer_id', 'ts'], rows: [{ values: [str('c1'), ts('2026-11-03T00:00:00Z')] }] } },
        }),
        status.INVALID_ARGUMENT,
        'entity_rows.columns',
        /cid/,
      );
    });

    it('refuses bad requests before any job exists, naming the field', async () => {
      const jobs = async () => (await unary(c.jobs, c.jobs.listJobs, { project: '', type: 0, state: 0, pageSize: 0, pageToken: '' })).jobs.length;
      const before = await jobs();
      const start = (extra: Partial<StartTrainingSetRequest>) => unary(c.retrieve, c.retrieve.startTrainingSet, request(extra));
      await rejectsWith(start({ features: [] }), status.INVALID_ARGUMENT, 'features');
      await rejectsWith(start({ features: ['fraud/tx_stats'] }), status.INVALID_ARGUMENT, 'features[0]');
      await rejectsWith(start({ features: ['fraud/tx_stats/spend_7d', 'fraud/nope/x'] }), status.NOT_FOUND, 'features[1]');
      await rejectsWith(start({ features: ['fraud/tx_stats/nope'] }), status.NOT_FOUND, 'features[0]');
      await rejectsWith(start({ features: ['fraud/tx_stats/spend_7d', 'fraud/tx_stats:1.0/spend_7d'] }), status.INVALID_ARGUMENT, 'features[1]');
      await rejectsWith(start({ timestampColumn: '' }), status.INVALID_ARGUMENT, 'timestamp_column');
      await rejectsWith(start({ entities: undefined }), status.INVALID_ARGUMENT, 'entity_source');
      await rejectsWith(
        start({ entities: { $case: 'entitySource', value: { uri: 'file:///etc/passwd', format: 0, options: {} } } }),
        status.PERMISSION_DENIED,
        'entity_source.uri',
      );
      await rejectsWith(
        start({ entities: { $case: 'entityRows', value: { columns: ['customer_id', 'label'], rows: [{ values: [str('c1'), int(1)] }] } } }),
        status.INVALID_ARGUMENT,
        'entity_rows.columns',
      );
      await rejectsWith(
        start({ entities: { $case: 'entityRows', value: { columns: ['customer_id', 'ts'], rows: [{ values: [str('c1')] }] } } }),
        status.INVALID_ARGUMENT,
        'entity_rows.rows[0]',
      );
      await rejectsWith(start({ output: { format: Format.FORMAT_JSONL, uri: '' } }), status.INVALID_ARGUMENT, 'output.format');
      assert.equal(await jobs(), before);
    });

    it('fails the job with row detail when entity timestamps do not parse', async () => {
      const job = await unary(
        c.retrieve,
        c.retrieve.startTrainingSet,
        request({
          entities: { $case: 'entitySource', value: { uri: file('bad.csv', 'customer_id,ts\nc1,2026-11-01T00:00:00Z\nc2,someday\n'), format: 0, options: {} } },
        }),
      );
      const done = await finished(job.id);
      assert.equal(done.state, JobState.JOB_STATE_FAILED);
      assert.equal(done.error?.code, 'INVALID_ARGUMENT');
      assert.deepEqual(
        done.error?.details.map((d) => [d.row, d.column]),
        [['2', 'ts']],
      );
    });
  });

// The store with its offline data on S3 (MinIO) and on ADLS Gen2 (Azurite), reading s3:// and
// abfss:// sources: ingest (folder, glob, hidden markers skipped), retrieve and training sets with
// presigned / SAS download links that are fetched over HTTP.
import { status } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ALL_FUNCTIONS } from '../../functions/index.js';
import { AdlsObjectStore } from '../../shared/adapters/object-store/adls-object-store.js';
import { S3ObjectStore } from '../../shared/adapters/object-store/s3-object-store.js';
import type { ObjectStore } from '../../shared/core/ports/object-store.js';
import { DataType, Format } from '../../shared/gen/featurestore/v1/common.js';
import { JobState } from '../../shared/gen/featurestore/v1/job.js';
import type { RunningHost } from '../../shared/runtime/host.js';
import { clients, finishedJob, rejectsWith, unary, registerFeatureSet } from '../support/grpc.js';
import { startTestHost } from '../support/hosts.js';
import { AZURITE_KEY, freshBucket, freshFileSystem } from '../support/storage.js';
import { feature } from '../support/helpers.js';

interface Backend {
  name: string;
  /** The bucket or file system's root store (prefix ''), the URL of a path in it, and the host settings. */
  open(): Promise<{ store: ObjectStore; url: (path: string) => string; env: Record<string, string> }>;
}

const backends: Backend[] = [
  {
    name: 'S3 (MinIO)',
    async open() {
      const loc = await freshBucket();
      return {
        store: new S3ObjectStore({ ...loc, prefix: '' }),
        url: (path) => `s3://${loc.bucket}/${path}`,
        env: {
          FEATURESTORE_OFFLINE_URL: `s3://${loc.bucket}/lake`,
          FEATURESTORE_S3_ENDPOINT: loc.endpoint!,
          FEATURESTORE_S3_ACCESS_KEY_ID: loc.accessKeyId!,
          FEATURESTORE_S3_SECRET_ACCESS_KEY: loc.secretAccessKey!,
        },
      };
    },
  },
  {
    name: 'ADLS Gen2 (Azurite)',
    async open() {
      const loc = await freshFileSystem();
      return {
        store: new AdlsObjectStore({ ...loc, prefix: '' }),
        url: (path) => `abfss://${loc.fileSystem}@${loc.account}.dfs.core.windows.net/${path}`,
        env: {
          FEATURESTORE_OFFLINE_URL: `abfss://${loc.fileSystem}@${loc.account}.dfs.core.windows.net/lake`,
          FEATURESTORE_ADLS_ACCOUNT_KEY: AZURITE_KEY,
          FEATURESTORE_ADLS_BLOB_ENDPOINT: loc.blobEndpoint!,
          FEATURESTORE_ADLS_DFS_ENDPOINT: loc.dfsEndpoint!,
        },
      };
    },
  },
];

for (const backend of backends) {
  describe(`offline store and sources on ${backend.name}`, () => {
    let host: RunningHost;
    let c: ReturnType<typeof clients>;
    let store: ObjectStore;
    let url: (path: string) => string;

    const finished = (id: string) => finishedJob(c, id);
    const ingest = (uri: string) =>
      unary(c.ingest, c.ingest.startIngest, {
        featureSet: { project: 'fraud', name: 'tx', version: '' },
        source: { uri, format: Format.FORMAT_UNSPECIFIED, options: {} },
        extraColumns: 0,
        requestId: '',
      });
    const fetchText = async (link: string) => {
      assert.match(link, /^https?:\/\//);
      const res = await fetch(link);
      assert.equal(res.status, 200, link);
      return (await res.text()).trimEnd();
    };

    before(async () => {
      const opened = await backend.open();
      ({ store, url } = opened);
      await store.put('sources/day=1/a.csv', Buffer.from('customer_id,event_time,amount\nc1,2026-11-01T10:00:00Z,42.5\nc2,2026-11-01T11:30:00Z,1200\n'));
      await store.put('sources/day=1/b.csv', Buffer.from('customer_id,event_time,amount\nc1,2026-11-02T09:15:00Z,13.99\n'));
      await store.put('sources/day=1/_SUCCESS', Buffer.from(''));
      await store.put('sources/labels.csv', Buffer.from('customer_id,ts\nc1,2026-11-02T00:00:00Z\nc2,2026-11-01T00:00:00Z\n'));
      host = await startTestHost(ALL_FUNCTIONS, { FEATURESTORE_METADATA_URL: 'pglite:memory', ...opened.env });
      c = clients(host.port);
      await unary(c.projects, c.projects.createProject, { name: 'fraud', description: '', tags: {} });
      await registerFeatureSet(c, 'fraud', 'tx', {
        features: [
          feature('customer_id', DataType.DATA_TYPE_STRING),
          feature('event_time', DataType.DATA_TYPE_TIMESTAMP),
          feature('amount', DataType.DATA_TYPE_FLOAT64),
        ],
        primaryKey: ['customer_id'],
        eventTimeColumn: 'event_time',
      });
    });
    after(async () => {
      c.close();
      await host.stop();
      await store.close();
    });

    it('ingests a folder of objects (markers skipped) into the offline store, and a glob', async () => {
      const done = await finished((await ingest(url('sources/day=1'))).id);
      assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.error?.message);
      const result = done.result?.$case === 'ingestResult' ? done.result.value : undefined;
      assert.deepEqual([result?.rows, result?.duplicateRows], ['3', '0']);
      const written: string[] = [];
      for await (const o of store.list('lake/')) written.push(o.key);
      assert.deepEqual(written, [`lake/fraud/tx/v1/ingest=${result?.ingestId}/part-0.parquet`]);
      const glob = await finished((await ingest(url('sources/day=1/a*.csv'))).id);
      const again = glob.result?.$case === 'ingestResult' ? glob.result.value : undefined;
      assert.deepEqual([again?.rows, again?.duplicateRows], ['0', '2']);
    });

    it('retrieves and builds training sets with download links that work without credentials', async () => {
      const job = await unary(c.retrieve, c.retrieve.startRetrieve, {
        featureSet: { project: 'fraud', name: 'tx', version: '' },
        features: ['amount'],
        startTime: undefined,
        endTime: undefined,
        asOf: undefined,
        output: { format: Format.FORMAT_CSV, uri: '' },
      });
      const done = await finished(job.id);
      assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.error?.message);
      const r = done.result?.$case === 'retrieveResult' ? done.result.value : undefined;
      assert.equal(r?.uris[0], url(`lake/retrieve/${job.id}/part-0.csv`));
      assert.equal(
        await fetchText(r.downloadUrls[0]),
        'customer_id,event_time,amount\nc1,2026-11-01 10:00:00+00,42.5\nc1,2026-11-02 09:15:00+00,13.99\nc2,2026-11-01 11:30:00+00,1200.0',
      );
      const ts = await unary(c.retrieve, c.retrieve.startTrainingSet, {
        entities: { $case: 'entitySource', value: { uri: url('sources/labels.csv'), format: 0, options: {} } },
        timestampColumn: 'ts',
        features: ['fraud/tx/amount'],
        output: { format: Format.FORMAT_CSV, uri: '' },
      });
      const built = await finished(ts.id);
      assert.equal(built.state, JobState.JOB_STATE_SUCCEEDED, built.error?.message);
      const t = built.result?.$case === 'retrieveResult' ? built.result.value : undefined;
      assert.equal(await fetchText(t!.downloadUrls[0]), 'customer_id,ts,amount\nc1,2026-11-02 00:00:00+00,42.5\nc2,2026-11-01 00:00:00+00,');
    });

    it('refuses sources that match nothing or are not valid URLs, before any job exists', async () => {
      await rejectsWith(ingest(url('sources/nothing-here')), status.NOT_FOUND, 'source.uri');
      await rejectsWith(ingest(url('sources/*/a.csv')), status.INVALID_ARGUMENT, 'source.uri');
      await rejectsWith(ingest('s3://Bad_Bucket/x.csv'), status.INVALID_ARGUMENT, 'source.uri');
    });
  });
}

// The Spark runner on Azure storage, through Hadoop's own connector (hadoop-azure, the jar the job
// image adds): an ingest reads a CSV blob and writes its Parquet and statistics, a retrieve reads that
// Parquet back and writes CSV, all as wasb:// URIs on Azurite. abfss:// is the same connector's other
// driver, which needs a DFS endpoint Azurite does not serve; wasb's storage-emulator mode (account
// `storageemulator`) always dials 127.0.0.1:10000, so the test run's Azurite listens there.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { submitPlansSettled } from '../../shared/adapters/engine/spark/spark-submit.js';
import { FeatureStoreError } from '../../shared/core/errors.js';
import type { IngestPlan, RetrievePlan } from '../../shared/core/plans.js';
import { modelFeature } from '../support/helpers.js';
import { imageJars, SPARK_SUBMIT } from '../support/spark.js';
import { AZURITE_ACCOUNT, AZURITE_KEY } from '../support/storage.js';

const AZURITE = process.env['FEATURESTORE_TEST_AZURITE_ENDPOINT'];
const EMULATOR = 'http://127.0.0.1:10000/devstoreaccount1';

describe(
  'the Spark runner on Azure storage (wasb:// on Azurite)',
  {
    skip:
      (!SPARK_SUBMIT && 'needs Spark (make test installs it)') ||
      (AZURITE !== EMULATOR && `needs Azurite at ${EMULATOR}, where wasb's emulator mode looks (make test starts it there)`),
  },
  () => {
    it('ingests a CSV blob into Parquet with statistics, and retrieves it back as CSV', { timeout: 240_000 }, async () => {
      const container = `fs-spark-${crypto.randomUUID().slice(0, 8)}`;
      const blobs = new BlobServiceClient(EMULATOR, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY)).getContainerClient(container);
      await blobs.create();
      const csv = 'customer_id,event_time,amount\nc1,2026-11-01T10:00:00Z,42.5\nc2,2026-11-01T11:30:00Z,1200\nc1,2026-11-02T09:15:00Z,13.99\n';
      await blobs.getBlockBlobClient('sources/day1.csv').upload(csv, csv.length);
      /** Blob names under a prefix, less WASB's folder markers (empty blobs flagged hdi_isfolder, its way of keeping folders on a flat namespace). */
      const names = async (prefix: string) => {
        const out: string[] = [];
        for await (const b of blobs.listBlobsFlat({ prefix, includeMetadata: true })) {
          if (b.metadata?.['hdi_isfolder'] === 'true') assert.equal(b.properties.contentLength, 0, `${b.name}: a folder marker holds nothing`);
          else out.push(b.name);
        }
        return out.sort();
      };
      const wasb = (path: string) => `wasb://${container}@storageemulator/${path}`;
      const schema = {
        features: [modelFeature('customer_id', 'STRING'), modelFeature('event_time', 'TIMESTAMP'), modelFeature('amount', 'FLOAT64')],
        primaryKey: ['customer_id'],
        eventTimeColumn: 'event_time',
      };
      const ingest: IngestPlan = {
        kind: 'ingest',
        ingestId: 'i1',
        ingestTime: new Date('2026-12-01T00:00:00Z'),
        schema,
        source: { files: [wasb('sources/day1.csv')], format: 'CSV', csv: {} },
        extraColumns: 'FAIL',
        distinct: false,
        existing: [],
        outputDir: wasb('lake/ingest=i1'),
      };
      const settings = { sparkSubmit: SPARK_SUBMIT!, master: 'local[2]', jars: imageJars() };
      const [ingested] = await submitPlansSettled(settings, [ingest], mkdtempSync(join(tmpdir(), 'fs-spark-azure-')));
      assert.ok(!(ingested instanceof FeatureStoreError), String(ingested));
      assert.deepEqual([ingested.rows, ingested.files], [3, [wasb('lake/ingest=i1/part-0.parquet')]]);
      assert.deepEqual([ingested.statistics?.['amount']?.min, ingested.statistics?.['amount']?.max], ['13.99', '1200.0']);
      // Only the ingest's file: no staging folder, no committer or checksum files.
      assert.deepEqual(await names('lake/'), ['lake/ingest=i1/part-0.parquet']);

      const retrieve: RetrievePlan = {
        kind: 'retrieve',
        schema,
        files: ingested.files ?? [],
        columns: ['customer_id', 'event_time', 'amount'],
        orderBy: ['customer_id', 'event_time'],
        format: 'CSV',
        outputDir: wasb('out/r1'),
      };
      const [retrieved] = await submitPlansSettled(settings, [retrieve], mkdtempSync(join(tmpdir(), 'fs-spark-azure-')));
      assert.ok(!(retrieved instanceof FeatureStoreError), String(retrieved));
      assert.deepEqual([retrieved.rows, await names('out/')], [3, ['out/r1/part-0.csv']]);
      const text = (await blobs.getBlobClient('out/r1/part-0.csv').downloadToBuffer()).toString().trim();
      assert.deepEqual(text.split('\n'), [
        'customer_id,event_time,amount',
        'c1,2026-11-01 10:00:00+00,42.5',
        'c1,2026-11-02 09:15:00+00,13.99',
        'c2,2026-11-01 11:30:00+00,1200.0',
      ]);
      await blobs.delete();
    });
  },
);

// End to end through the all-in-one host (embedded default: PGlite in memory), including schema
// inference from CSV, JSON lines and Parquet, inline and from confined file:// URIs.
import { status } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { ALL_FUNCTIONS } from '../../functions/index.js';
import { DataType, Format } from '../../shared/gen/featurestore/v1/common.js';
import type { InferSchemaRequest } from '../../shared/gen/featurestore/v1/feature_set.js';
import type { RunningHost } from '../../shared/runtime/host.js';
import { clients, rejectsWith, unary } from '../support/grpc.js';
import { healthCheck, startTestHost } from '../support/hosts.js';

const CSV = 'customer_id,event_time,amount,is_fraud,country,visits\nc1,2026-11-01T10:00:00Z,42.5,false,DE,3\nc2,2026-11-01T11:30:00Z,1200,true,US,7\n';

describe('all-in-one host (embedded default)', () => {
  let host: RunningHost;
  let c: ReturnType<typeof clients>;
  let root: string;
  let outside: string;

  before(async () => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'fs-root-')));
    outside = realpathSync(mkdtempSync(join(tmpdir(), 'fs-outside-')));
    host = await startTestHost(ALL_FUNCTIONS, {
      FEATURESTORE_METADATA_URL: 'pglite:memory',
      FEATURESTORE_FILE_ROOTS: root,
      FEATURESTORE_MAX_SAMPLE_BYTES: '65536',
    });
    c = clients(host.port);
  });
  after(async () => {
    c.close();
    await host.stop();
  });

  const infer = (req: Partial<InferSchemaRequest>) =>
    unary(c.featureSets, c.featureSets.inferSchema, { sample: undefined, primaryKey: [], eventTimeColumn: '', ...req });
  const inline = (data: string | Buffer, format: Format, fileName = '') => ({ $case: 'inline' as const, value: { data: Buffer.from(data), format, fileName } });

  it('serves every gRPC service of the register, ingest and retrieve functions on one port', async () => {
    for (const service of [
      '',
      'featurestore.v1.ProjectService',
      'featurestore.v1.FeatureSetService',
      'featurestore.v1.IngestService',
      'featurestore.v1.RetrieveService',
    ]) {
      assert.equal(await healthCheck(host.port, service), 'SERVING', service);
    }
  });

  it('answers an option not supported yet with UNIMPLEMENTED naming the field, and streams end with their status', async () => {
    await rejectsWith(
      unary(c.retrieve, c.retrieve.startRetrieve, {
        featureSet: { project: 'p', name: 'f', version: '' },
        features: [],
        startTime: undefined,
        endTime: undefined,
        asOf: undefined,
        output: { format: Format.FORMAT_PARQUET, uri: 's3://elsewhere/out' },
      }),
      status.UNIMPLEMENTED,
      'output.uri',
      /custom output locations are not supported yet/,
    );
    // A server-streaming RPC ends with its error status too.
    const stream = c.jobs.watchJob({ id: '00000000-0000-4000-8000-000000000000' });
    const err = await new Promise<{ code: number; details: string }>((resolve) => {
      stream.on('data', () => assert.fail('no message expected'));
      stream.on('error', resolve);
    });
    assert.equal(err.code, status.NOT_FOUND);
    assert.match(err.details, /^id: job 00000000-0000-4000-8000-000000000000 does not exist/);
  });

  it('infers a schema from an inline CSV sample and registers a feature set from it', async () => {
    const res = await infer({ sample: inline(CSV, Format.FORMAT_UNSPECIFIED, 'tx.csv'), primaryKey: ['customer_id'] });
    assert.deepEqual(
      res.schema?.features.map((f) => [f.name, DataType[f.type]]),
      [
        ['customer_id', 'DATA_TYPE_STRING'],
        ['event_time', 'DATA_TYPE_TIMESTAMP'],
        ['amount', 'DATA_TYPE_FLOAT64'],
        ['is_fraud', 'DATA_TYPE_BOOL'],
        ['country', 'DATA_TYPE_STRING'],
        ['visits', 'DATA_TYPE_INT64'],
      ],
    );
    assert.equal(res.schema?.eventTimeColumn, 'event_time');
    assert.equal(res.sampledRows, '2');
    assert.match(res.warnings.join(), /picked "event_time"/);

    await unary(c.projects, c.projects.createProject, { name: 'fraud', description: '', tags: {} });
    const fs = await unary(c.featureSets, c.featureSets.registerFeatureSet, {
      project: 'fraud',
      name: 'tx',
      schema: res.schema,
      description: '',
      tags: {},
      ttl: undefined,
      owner: '',
    });
    assert.equal(fs.version, '1.0');
    const listed = await unary(c.featureSets, c.featureSets.listFeatureSets, { project: 'fraud', namePrefix: '', tags: {}, pageSize: 0, pageToken: '' });
    assert.deepEqual(
      listed.featureSets.map((f) => f.name),
      ['tx'],
    );
  });

  it('infers lists, dates and nested types from JSON lines, mapping what has no feature type to STRING with a warning', async () => {
    const jsonl =
      '{"id":1,"day":"2026-01-02","tags":["a","b"],"scores":[1.5,2.5],"meta":{"k":1}}\n{"id":2,"day":"2026-01-03","tags":[],"scores":[],"meta":{"k":2}}\n';
    const res = await infer({ sample: inline(jsonl, Format.FORMAT_JSONL), primaryKey: ['id'] });
    const byName = Object.fromEntries(res.schema!.features.map((f) => [f.name, [DataType[f.type], f.isList]]));
    assert.deepEqual(byName, {
      id: ['DATA_TYPE_INT64', false],
      day: ['DATA_TYPE_DATE', false],
      tags: ['DATA_TYPE_STRING', true],
      scores: ['DATA_TYPE_FLOAT64', true],
      meta: ['DATA_TYPE_STRING', false],
    });
    assert.equal(res.schema?.eventTimeColumn, 'day');
    assert.match(res.warnings.join(), /"meta" has type STRUCT/);
  });

  it('infers from an inline Parquet sample and from a file:// URI inside the roots', async () => {
    const file = join(root, 'sample.parquet');
    const duck = await DuckDBInstance.create(':memory:');
    const conn = await duck.connect();
    await conn.run(
      `COPY (SELECT 7::INTEGER AS store_id, TIMESTAMPTZ '2026-01-01 00:00:00+00' AS ts, 1.5::FLOAT AS temp, 'ab'::BLOB AS raw) TO '${file}' (FORMAT parquet)`,
    );
    conn.closeSync();
    duck.closeSync();
    const { readFileSync } = await import('node:fs');
    const expected = [
      ['store_id', 'DATA_TYPE_INT32'],
      ['ts', 'DATA_TYPE_TIMESTAMP'],
      ['temp', 'DATA_TYPE_FLOAT32'],
      ['raw', 'DATA_TYPE_BYTES'],
    ];
    const fromBytes = await infer({ sample: inline(readFileSync(file), Format.FORMAT_PARQUET), primaryKey: ['store_id'] });
    assert.deepEqual(
      fromBytes.schema?.features.map((f) => [f.name, DataType[f.type]]),
      expected,
    );
    const fromUri = await infer({
      sample: { $case: 'source', value: { uri: pathToFileURL(file).href, format: Format.FORMAT_UNSPECIFIED, options: {} } },
      primaryKey: ['store_id'],
    });
    assert.deepEqual(
      fromUri.schema?.features.map((f) => [f.name, DataType[f.type]]),
      expected,
    );
  });

  it('refuses file:// URIs outside the configured roots, including through a symlink, and missing files', async () => {
    writeFileSync(join(outside, 'secret.csv'), CSV);
    const uri = (p: string) => ({ $case: 'source' as const, value: { uri: pathToFileURL(p).href, format: Format.FORMAT_CSV, options: {} } });
    await rejectsWith(infer({ sample: uri(join(outside, 'secret.csv')), primaryKey: ['customer_id'] }), status.PERMISSION_DENIED, 'source.uri');
    await rejectsWith(infer({ sample: uri(join(root, '..', 'secret.csv')), primaryKey: ['customer_id'] }), status.PERMISSION_DENIED, 'source.uri');
    mkdirSync(join(root, 'sub'), { recursive: true });
    symlinkSync(join(outside, 'secret.csv'), join(root, 'sub', 'link.csv'));
    await rejectsWith(infer({ sample: uri(join(root, 'sub', 'link.csv')), primaryKey: ['customer_id'] }), status.PERMISSION_DENIED, 'source.uri');
    await rejectsWith(infer({ sample: uri(join(root, 'missing.csv')), primaryKey: ['customer_id'] }), status.NOT_FOUND, 'source.uri');
    await rejectsWith(
      infer({ sample: { $case: 'source', value: { uri: 's3://bucket/x.csv', format: Format.FORMAT_CSV, options: {} } } }),
      status.UNIMPLEMENTED,
      'source.uri',
    );
  });

  it('answers bad samples with INVALID_ARGUMENT naming the field', async () => {
    await rejectsWith(infer({}), status.INVALID_ARGUMENT, 'sample');
    await rejectsWith(infer({ sample: inline('', Format.FORMAT_CSV) }), status.INVALID_ARGUMENT, 'sample', /empty/);
    await rejectsWith(infer({ sample: inline(CSV, Format.FORMAT_UNSPECIFIED, 'data.xlsx') }), status.INVALID_ARGUMENT, 'inline.format');
    await rejectsWith(infer({ sample: inline('x'.repeat(70_000), Format.FORMAT_CSV) }), status.INVALID_ARGUMENT, 'inline.data', /at most 65536/);
    await rejectsWith(
      infer({ sample: inline('not parquet at all', Format.FORMAT_PARQUET) }),
      status.INVALID_ARGUMENT,
      'sample',
      /cannot read the sample as PARQUET/,
    );
    await rejectsWith(
      infer({ sample: inline('a b,ts\n1,2026-01-01T00:00:00Z\n', Format.FORMAT_CSV), primaryKey: ['a b'] }),
      status.INVALID_ARGUMENT,
      'sample',
      /"a b" is not a valid feature name/,
    );
    await rejectsWith(infer({ sample: inline('id,x\n1,2\n', Format.FORMAT_CSV), primaryKey: ['id'] }), status.INVALID_ARGUMENT, 'event_time_column');
    await rejectsWith(infer({ sample: inline(CSV, Format.FORMAT_CSV), primaryKey: ['nope'] }), status.INVALID_ARGUMENT, 'primary_key[0]');
  });
});

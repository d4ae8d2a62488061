// One conversion rule wherever a value enters (shared/core/values.ts): one table of cases through
// the offline path (JSON lines and CSV files ingested, then copied online by offline-to-online) and
// the online path (the CLI's JSON and text reading, then IngestOnline). Each case must be refused on
// both paths or stored as the same value on both; entity keys follow the same rule.
import { status } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { parse as parseLossless } from 'lossless-json';
import { ALL_FUNCTIONS } from '../../functions/index.js';
import { jsonToValue, textToValue, valueToJson } from '../../cli/values.js';
import { DataType, Format, type Value } from '../../shared/gen/featurestore/v1/common.js';
import { JobState } from '../../shared/gen/featurestore/v1/job.js';
import { RowStatus } from '../../shared/gen/featurestore/v1/retrieve.js';
import type { RunningHost } from '../../shared/runtime/host.js';
import { clients, finishedJob, rejectsWith, unary } from '../support/grpc.js';
import { startTestHost } from '../support/hosts.js';
import { eventually } from '../support/helpers.js';
import { CASES, csvCell, REFUSED, TYPES, type Outcome } from '../support/conversion-cases.js';

const quoteCsv = (text: string) => `"${text.replace(/"/g, '""')}"`;
const show = (o: Outcome) => (o === REFUSED ? 'refused' : JSON.stringify(o));
const EVENT = '2026-11-01T00:00:00Z';

describe('one conversion rule, offline and online (embedded default)', () => {
  let host: RunningHost;
  let c: ReturnType<typeof clients>;
  const project = `cv_${Math.random().toString(36).slice(2, 8)}`;
  const data = realpathSync(mkdtempSync(join(tmpdir(), 'fs-conversion-')));
  const features = [
    { name: 'id', type: DataType.DATA_TYPE_INT64, isList: false },
    { name: 'ts', type: DataType.DATA_TYPE_TIMESTAMP, isList: false },
    ...Object.entries(TYPES).map(([name, type]) => ({ name, type, isList: false })),
    { name: 'li64', type: DataType.DATA_TYPE_INT64, isList: true },
  ];
  const byName = new Map(features.map((f) => [f.name, f]));
  const ref = (name: string) => ({ project, name, version: '' });
  const key = (id: number): Value[] => [{ kind: { $case: 'int64Value', value: String(id) } }];

  before(async () => {
    host = await startTestHost(ALL_FUNCTIONS, {
      FEATURESTORE_FILE_ROOTS: data,
      FEATURESTORE_METADATA_URL: 'pglite:memory',
      FEATURESTORE_REGISTRY_MAX_AGE_MS: '0',
    });
    c = clients(host.port);
    await unary(c.projects, c.projects.createProject, { name: project, description: '', tags: {} });
    for (const name of ['offline', 'online']) {
      await unary(c.featureSets, c.featureSets.registerFeatureSet, {
        project,
        name,
        schema: {
          features: features.map((f) => ({ ...f, description: '', sensitive: false, tags: {}, statistics: undefined })),
          primaryKey: ['id'],
          eventTimeColumn: 'ts',
        },
        description: '',
        tags: {},
        ttl: undefined,
        owner: '',
      });
    }
  });
  after(async () => {
    c?.close();
    await host?.stop();
  });

  /** The value stored for an entity, as the CLI prints it, once it is online. */
  const stored = async (name: string, id: number, column: string, wait: boolean): Promise<Outcome> => {
    const read = async () => {
      const res = await unary(c.retrieve, c.retrieve.retrieveOnline, { featureSet: ref(name), keys: [{ values: key(id) }], features: [column] });
      return res.rows[0].status === RowStatus.ROW_STATUS_PRESENT ? valueToJson(res.rows[0].values[0]) : undefined;
    };
    return wait ? eventually(async () => (await read()) ?? false, 20_000, `entity ${id} of ${name} online`) : read();
  };

  const offline = async (id: number, column: string, format: 'JSONL' | 'CSV', cell: string): Promise<Outcome> => {
    const file = join(data, `case-${id}.${format === 'CSV' ? 'csv' : 'jsonl'}`);
    writeFileSync(file, format === 'CSV' ? `id,ts,${column}\n${id},${EVENT},${quoteCsv(cell)}\n` : `{"id": ${id}, "ts": "${EVENT}", "${column}": ${cell}}\n`);
    const job = await unary(c.ingest, c.ingest.startIngest, {
      featureSet: ref('offline'),
      source: { uri: pathToFileURL(file).href, format: format === 'CSV' ? Format.FORMAT_CSV : Format.FORMAT_JSONL, options: {} },
      extraColumns: 0,
      requestId: '',
    });
    const done = await finishedJob(c, job.id);
    if (done.state === JobState.JOB_STATE_FAILED) {
      assert.equal(done.error?.code, 'INVALID_ARGUMENT', `${format} ${cell}: ${done.error?.message}`);
      assert.deepEqual(
        done.error?.details.map((d) => [d.row, d.column]),
        [['1', column]],
        `${format} ${cell} names the row and column`,
      );
      return REFUSED;
    }
    assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, `${format} ${cell}: ${done.message}`);
    return stored('offline', id, column, true);
  };

  const online = async (id: number, column: string, value: () => Value): Promise<Outcome> => {
    let v: Value;
    try {
      v = value();
    } catch {
      return REFUSED; // the CLI refuses it before sending
    }
    const res = await unary(c.ingest, c.ingest.ingestOnline, {
      featureSet: ref('online'),
      columns: ['id', 'ts', column],
      rows: [{ values: [...key(id), { kind: { $case: 'timestampValue', value: { seconds: String(Date.parse(EVENT) / 1000), nanos: 0 } } }, v] }],
    });
    if (res.errors.length > 0) {
      assert.deepEqual([res.accepted, res.errors[0].column], [0, column]);
      return REFUSED;
    }
    return stored('online', id, column, false);
  };

  it('refuses or stores every case alike on both paths (JSON literals and CSV text)', async () => {
    const results = await Promise.all(
      CASES.map(async (k, i) => {
        const f = byName.get(k.column)!;
        const cell = csvCell(k);
        const csvExpect = 'csvExpect' in k ? k.csvExpect : k.expect;
        const got = {
          offlineJson: await offline(i + 1, k.column, 'JSONL', k.json),
          onlineJson: await online(i + 1, k.column, () => jsonToValue(f, parseLossless(k.json))),
          offlineCsv: await offline(1000 + i, k.column, 'CSV', cell),
          onlineText: f.isList ? csvExpect : await online(1000 + i, k.column, () => textToValue(f, cell)),
        };
        return { k, got, want: { offlineJson: k.expect, onlineJson: k.expect, offlineCsv: csvExpect, onlineText: csvExpect } };
      }),
    );
    const wrong = results.flatMap(({ k, got, want }) =>
      (Object.keys(want) as (keyof typeof want)[])
        .filter((path) => show(got[path]) !== show(want[path]))
        .map((path) => `${k.column} ${k.json} via ${path}: got ${show(got[path])}, want ${show(want[path])}`),
    );
    assert.deepEqual(wrong, []);
  });

  it('applies the rule to entity keys: online reads and training-set entity rows', async () => {
    const fraction: Value = { kind: { $case: 'float64Value', value: 3.7 } };
    await rejectsWith(
      unary(c.retrieve, c.retrieve.retrieveOnline, { featureSet: ref('online'), keys: [{ values: [fraction] }], features: [] }),
      status.INVALID_ARGUMENT,
      'keys[0].values[0]',
      /whole number/,
    );
    const whole: Value = { kind: { $case: 'float64Value', value: 5 } };
    const read = await unary(c.retrieve, c.retrieve.retrieveOnline, { featureSet: ref('online'), keys: [{ values: [whole] }], features: ['i64'] });
    assert.equal(read.rows[0].status, RowStatus.ROW_STATUS_PRESENT, 'a whole float64 key reads entity 5');
    const job = await unary(c.retrieve, c.retrieve.startTrainingSet, {
      entities: {
        $case: 'entityRows',
        value: {
          columns: ['id', 'at'],
          rows: [
            { values: [whole, { kind: { $case: 'stringValue', value: EVENT } }] },
            { values: [fraction, { kind: { $case: 'stringValue', value: EVENT } }] },
          ],
        },
      },
      timestampColumn: 'at',
      features: [`${project}/offline/*`],
      output: undefined,
    });
    const done = await finishedJob(c, job.id);
    assert.equal(done.state, JobState.JOB_STATE_FAILED);
    assert.deepEqual(
      done.error?.details.map((d) => [d.row, d.column]),
      [['2', 'id']],
    );
  });
  it('refuses timestamps and dates outside years 1 to 9999 wherever a request carries one, naming the field', async () => {
    const farStamp: Value = { kind: { $case: 'timestampValue', value: { seconds: '3317926763575118144', nanos: 0 } } };
    const farDate: Value = { kind: { $case: 'dateValue', value: -2147483648 } };
    const okStamp: Value = { kind: { $case: 'timestampValue', value: { seconds: '1790000000', nanos: 0 } } };
    const put = await unary(c.ingest, c.ingest.ingestOnline, {
      featureSet: ref('online'),
      columns: ['id', 'ts', 'd', 't'],
      rows: [
        { values: [...key(900), okStamp, farDate, okStamp] },
        { values: [...key(901), okStamp, { kind: { $case: 'dateValue', value: 19000 } }, farStamp] },
      ],
    });
    assert.deepEqual(
      [put.accepted, put.errors.map((e) => [e.row, e.column, e.message])],
      [
        0,
        [
          [0, 'd', 'is not a valid date (years 1 to 9999)'],
          [1, 't', 'is not a valid timestamp (years 1 to 9999, nanos 0 to 999,999,999)'],
        ],
      ],
    );
    const trainingSet = (row: Value[]) =>
      unary(c.retrieve, c.retrieve.startTrainingSet, {
        entities: { $case: 'entityRows', value: { columns: ['id', 'at', 'extra'], rows: [{ values: row }] } },
        timestampColumn: 'at',
        features: [`${project}/offline/*`],
        output: undefined,
      });
    await rejectsWith(trainingSet([...key(1), farStamp, okStamp]), status.INVALID_ARGUMENT, 'entity_rows.rows[0].values[1]', /not a valid timestamp/);
    await rejectsWith(trainingSet([...key(1), okStamp, farDate]), status.INVALID_ARGUMENT, 'entity_rows.rows[0].values[2]', /not a valid date/);
    const retrieve = (extra: object) =>
      unary(c.retrieve, c.retrieve.startRetrieve, {
        featureSet: ref('offline'),
        features: [],
        startTime: undefined,
        endTime: undefined,
        asOf: undefined,
        output: undefined,
        ...extra,
      });
    await rejectsWith(
      retrieve({ startTime: farStamp.kind?.$case === 'timestampValue' ? farStamp.kind.value : undefined }),
      status.INVALID_ARGUMENT,
      'start_time',
    );
    await rejectsWith(retrieve({ asOf: { $case: 'asOfTime', value: { seconds: '0', nanos: -5 } } }), status.INVALID_ARGUMENT, 'as_of_time');
    await rejectsWith(
      unary(c.retrieve, c.retrieve.startMaterialize, { featureSet: ref('offline'), startTime: undefined, endTime: { seconds: '-99999999999999', nanos: 0 } }),
      status.INVALID_ARGUMENT,
      'end_time',
    );
  });
});

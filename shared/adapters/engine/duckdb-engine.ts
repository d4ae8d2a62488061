import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { InvalidArgument, throwIfAborted, type ErrorDetail } from '../../core/errors.js';
import type { DataType, Feature, FeatureStatistics, Schema } from '../../core/model.js';
import type { IngestOutput, IngestSpec, OfflineEngine, RetrieveOutput, RetrieveSpec, TrainingSetSpec } from '../../core/ports/offline-engine.js';
import { quoteIdent, quoteLiteral } from '../sql/quote.js';

const DUCK_TYPES: Record<DataType, string> = {
  STRING: 'VARCHAR',
  BOOL: 'BOOLEAN',
  INT32: 'INTEGER',
  INT64: 'BIGINT',
  FLOAT32: 'FLOAT',
  FLOAT64: 'DOUBLE',
  TIMESTAMP: 'TIMESTAMPTZ',
  DATE: 'DATE',
  BYTES: 'BLOB',
};

const NUMERIC: ReadonlySet<DataType> = new Set(['INT32', 'INT64', 'FLOAT32', 'FLOAT64']);
const MAX_DETAILS = 100;

/** Internal columns of every stored row: which ingest wrote it, and when. */
export const INGEST_ID_COLUMN = '_ingest_id';
export const INGEST_TIME_COLUMN = '_ingest_time';

export function duckType(f: Pick<Feature, 'type' | 'isList'>): string {
  return `${DUCK_TYPES[f.type]}${f.isList ? '[]' : ''}`;
}

const list = (paths: string[]) => `[${paths.map(quoteLiteral).join(', ')}]`;

/** The offline engine of the embedded default: DuckDB in process, reading and writing local files. */
export class DuckDbEngine implements OfflineEngine {
  private instance?: Promise<DuckDBInstance>;

  constructor(private readonly options: { threads?: number; memoryLimit?: string } = {}) {}

  private async connect(): Promise<DuckDBConnection> {
    this.instance ??= import('@duckdb/node-api').then(({ DuckDBInstance }) =>
      DuckDBInstance.create(':memory:', {
        threads: String(this.options.threads ?? 2),
        ...(this.options.memoryLimit ? { memory_limit: this.options.memoryLimit } : {}),
      }),
    );
    const connection = await (await this.instance).connect();
    await connection.run(`SET TimeZone = 'UTC'`);
    return connection;
  }

  async ingest(spec: IngestSpec, onProgress: (fraction: number, message: string) => void, signal?: AbortSignal): Promise<IngestOutput> {
    if (spec.files.length === 0) throw new InvalidArgument('matches no files', { field: 'source.uri' });
    const db = await this.connect();
    const rows = async (sql: string) => (await db.runAndReadAll(sql)).getRowObjectsJson();
    const step = async (fraction: number, message: string) => {
      throwIfAborted(signal);
      onProgress(fraction, message);
    };
    try {
      await step(0.05, 'reading the source');
      const csv = spec.format === 'CSV';
      const csvArgs = `header = ${spec.csv.header ?? true}, delim = ${quoteLiteral(spec.csv.delimiter ?? ',')}`;
      // CSV: sniff the header only; Parquet and JSON lines: materialize, then cast with TRY_CAST.
      const reader = csv
        ? `read_csv(${list(spec.files)}, all_varchar = true, ${csvArgs})`
        : spec.format === 'PARQUET'
          ? `read_parquet(${list(spec.files)}, union_by_name = true)`
          : `read_json(${list(spec.files)}, format = 'newline_delimited', union_by_name = true)`;
      let present: Set<string>;
      try {
        if (!csv) await db.run(`CREATE OR REPLACE TEMP TABLE raw AS SELECT row_number() OVER () AS _row, * FROM ${reader}`);
        present = new Set((await rows(csv ? `DESCRIBE SELECT * FROM ${reader}` : 'DESCRIBE raw')).map((r) => String(r['column_name'])).filter((c) => c !== '_row'));
      } catch (err) {
        throw new InvalidArgument(`cannot read the source as ${spec.format}: ${firstLine(err)}`, { field: 'source', cause: err });
      }
      const features = spec.schema.features;
      const required = new Set([...spec.schema.primaryKey, spec.schema.eventTimeColumn]);
      const missing = features.filter((f) => !present.has(f.name)).map((f) => f.name);
      const missingRequired = missing.filter((n) => required.has(n));
      if (missingRequired.length > 0) {
        throw new InvalidArgument(`the source lacks required column(s) ${missingRequired.join(', ')}`, {
          field: 'source',
          details: missingRequired.map((column) => ({ field: 'source', row: 0, column, message: 'required (primary key or event time) but missing' })),
        });
      }
      const byName = new Map(features.map((f) => [f.name, f]));
      const extra = [...present].filter((c) => !byName.has(c));
      if (extra.length > 0 && spec.extraColumns === 'FAIL') {
        throw new InvalidArgument(`the source has column(s) the schema does not: ${extra.join(', ')}`, {
          field: 'source',
          details: extra.map((column) => ({ field: 'source', row: 0, column, message: 'not in the schema (extra_columns = FAIL)' })),
        });
      }

      await step(0.25, 'checking rows against the schema');
      const nullRequired = [...required].map((name) => `${quoteIdent(name)} IS NULL`).join(' OR ');
      const problemsIn = async (): Promise<{ badRows: number; details: ErrorDetail[] }> => {
        // Exact row and column detail from the text as read: one query per kind of problem.
        if (csv) await db.run(`CREATE OR REPLACE TEMP TABLE raw AS SELECT row_number() OVER () AS _row, * FROM ${reader}`);
        const problems = features
          .filter((f) => present.has(f.name))
          .map(
            (f) =>
              `SELECT r._row, ${quoteLiteral(f.name)} AS col, 'cannot be read as ${duckType(f)}: ' || left(CAST(r.${quoteIdent(f.name)} AS VARCHAR), 60) AS msg
               FROM raw r WHERE ${castFailed(f, `r.${quoteIdent(f.name)}`, `TRY_CAST(r.${quoteIdent(f.name)} AS ${duckType(f)})`)}`,
          )
          .concat(
            [...required].map(
              (name) => `SELECT _row, ${quoteLiteral(name)} AS col, ${quoteLiteral(nullDetail(spec, 0, name).message)} AS msg FROM raw WHERE ${quoteIdent(name)} IS NULL`,
            ),
          );
        const n = Number((await rows(`SELECT count(DISTINCT _row)::BIGINT AS n FROM (${problems.join(' UNION ALL ')})`))[0]?.['n'] ?? 0);
        const sample = n > 0 ? await rows(`SELECT _row, col, msg FROM (${problems.join(' UNION ALL ')}) ORDER BY _row, col LIMIT ${MAX_DETAILS}`) : [];
        return { badRows: n, details: sample.map((r) => ({ field: 'source', row: Number(r['_row']), column: String(r['col']), message: String(r['msg']) })) };
      };

      let clean: boolean;
      let rejected = 0;
      if (csv) {
        // Fast path: DuckDB parses each column as its feature type in one pass, counting values that
        // do not convert in a rejects table. Timestamps are read as text and cast here, because the
        // CSV reader ignores UTC offsets and nulls bad TIMESTAMPTZ text silently. Any problem sends
        // us to the exact (slower) path above for the details.
        const csvType = (f: Feature) => (f.type === 'TIMESTAMP' ? `VARCHAR${f.isList ? '[]' : ''}` : duckType(f));
        const types = [...present].map((c) => `${quoteLiteral(c)}: ${quoteLiteral(byName.has(c) ? csvType(byName.get(c)!) : 'VARCHAR')}`).join(', ');
        const stamps = features.filter((f) => f.type === 'TIMESTAMP' && present.has(f.name));
        const csvColumns = features
          .map((f) => (!present.has(f.name) ? `NULL::${duckType(f)}` : f.type === 'TIMESTAMP' ? `TRY_CAST(${quoteIdent(f.name)} AS ${duckType(f)})` : quoteIdent(f.name)) + ` AS ${quoteIdent(f.name)}`)
          .join(', ');
        const badStamp = stamps.map((f) => castFailed(f, quoteIdent(f.name), `TRY_CAST(${quoteIdent(f.name)} AS ${duckType(f)})`)).join(' OR ') || 'false';
        const rejects = `rejects_${spec.ingestId.replace(/[^A-Za-z0-9]/g, '')}`;
        try {
          await db.run(
            `CREATE OR REPLACE TEMP TABLE typed AS SELECT ${csvColumns}, (${badStamp}) AS _bad FROM read_csv(${list(spec.files)}, ${csvArgs}, columns = {${types}},
               store_rejects = true, rejects_table = ${quoteLiteral(rejects)}, rejects_scan = ${quoteLiteral(`${rejects}_scan`)})`,
          );
        } catch (err) {
          throw new InvalidArgument(`cannot read the source as CSV: ${firstLine(err)}`, { field: 'source', cause: err });
        }
        const check = await rows(
          `SELECT (SELECT count(*) FROM ${rejects})::BIGINT AS rejected, (SELECT count(*) FROM typed WHERE _bad OR ${nullRequired})::BIGINT AS bad`,
        );
        await db.run(`DROP TABLE IF EXISTS ${rejects}; DROP TABLE IF EXISTS ${rejects}_scan`);
        rejected = Number(check[0]?.['rejected'] ?? 0);
        clean = rejected === 0 && Number(check[0]?.['bad'] ?? 0) === 0;
      } else {
        const casts = features.map((f) => (present.has(f.name) ? `TRY_CAST(${quoteIdent(f.name)} AS ${duckType(f)})` : `NULL::${duckType(f)}`));
        await db.run(`CREATE OR REPLACE TEMP TABLE typed AS SELECT ${features.map((f, i) => `${casts[i]} AS ${quoteIdent(f.name)}`).join(', ')} FROM raw`);
        clean = false; // checked by the exact path, which is the only path for these formats
      }
      if (!clean) {
        const { badRows, details } = await problemsIn();
        if (badRows > 0) throw new InvalidArgument(`${badRows} row(s) do not fit the schema; nothing was ingested`, { field: 'source', details });
        // Lines the CSV reader refused that are not bad values (wrong column count, broken quoting).
        if (rejected > 0) throw new InvalidArgument(`${rejected} line(s) of the CSV could not be parsed (column count or quoting); nothing was ingested`, { field: 'source' });
      }


      await step(0.5, 'removing rows already stored');
      const columns = features.map((f) => quoteIdent(f.name)).join(', ');
      // EXCEPT is set-valued, so it also folds rows repeated within the input, as DISTINCT does.
      const fresh =
        spec.existing.length > 0
          ? `SELECT ${columns} FROM typed EXCEPT SELECT ${columns} FROM read_parquet(${list(spec.existing)})`
          : `SELECT DISTINCT ${columns} FROM typed`;
      const input = Number((await rows(`SELECT count(*)::BIGINT AS n FROM typed`))[0]?.['n'] ?? 0);

      await step(0.7, 'writing Parquet');
      // Written straight from the query (no intermediate table); COPY reports the rows it wrote.
      const file = join(spec.outputDir, 'part-0.parquet');
      const written = await rows(
        `COPY (SELECT ${columns}, ${quoteLiteral(spec.ingestId)} AS ${INGEST_ID_COLUMN}, ${quoteLiteral(spec.ingestTime.toISOString())}::TIMESTAMPTZ AS ${INGEST_TIME_COLUMN}
               FROM (${fresh}))
         TO ${quoteLiteral(file)} (FORMAT parquet, COMPRESSION zstd)`,
      );
      const freshRows = Number(Object.values(written[0] ?? {})[0] ?? 0);
      const inputRows = input;
      const files: string[] = [];
      if (freshRows > 0) files.push(file);
      else await rm(file, { force: true });

      await step(0.9, 'computing statistics');
      const visible = [...spec.existing, ...files];
      const statistics = visible.length > 0 ? await this.statisticsOf(db, features, `read_parquet(${list(visible)})`, spec.ingestTime) : {};
      await step(1, 'done');
      return { files, inputRows, rows: freshRows, duplicateRows: inputRows - freshRows, droppedColumns: extra, missingColumns: missing, statistics };
    } finally {
      db.closeSync();
    }
  }

  async statistics(schema: Schema, files: string[], signal?: AbortSignal): Promise<Record<string, FeatureStatistics>> {
    throwIfAborted(signal);
    if (files.length === 0) return {};
    const db = await this.connect();
    try {
      return await this.statisticsOf(db, schema.features, `read_parquet(${list(files)})`, new Date());
    } finally {
      db.closeSync();
    }
  }

  async retrieve(spec: RetrieveSpec, signal?: AbortSignal): Promise<RetrieveOutput> {
    throwIfAborted(signal);
    const file = join(spec.outputDir, spec.format === 'CSV' ? 'part-0.csv' : 'part-0.parquet');
    const keys = [...spec.schema.primaryKey, spec.schema.eventTimeColumn];
    const wanted = spec.features.length > 0 ? [...keys, ...spec.features.filter((f) => !keys.includes(f))] : spec.schema.features.map((f) => f.name);
    const columns = wanted.map(quoteIdent).join(', ');
    const et = quoteIdent(spec.schema.eventTimeColumn);
    const where = [
      spec.startTime ? `${et} >= ${quoteLiteral(spec.startTime.toISOString())}::TIMESTAMPTZ` : '',
      spec.endTime ? `${et} < ${quoteLiteral(spec.endTime.toISOString())}::TIMESTAMPTZ` : '',
    ].filter(Boolean);
    const source = spec.files.length > 0 ? `read_parquet(${list(spec.files)})` : `(SELECT ${spec.schema.features.map((f) => `NULL::${duckType(f)} AS ${quoteIdent(f.name)}`).join(', ')} LIMIT 0)`;
    const db = await this.connect();
    try {
      const written = (
        await db.runAndReadAll(
          `COPY (SELECT ${columns} FROM ${source}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${keys.map(quoteIdent).join(', ')})
           TO ${quoteLiteral(file)} (${spec.format === 'CSV' ? 'FORMAT csv, HEADER' : 'FORMAT parquet, COMPRESSION zstd'})`,
        )
      ).getRowObjectsJson();
      return { files: [file], rows: Number(Object.values(written[0] ?? {})[0] ?? 0) };
    } finally {
      db.closeSync();
    }
  }

  async trainingSet(spec: TrainingSetSpec, onProgress: (fraction: number, message: string) => void, signal?: AbortSignal): Promise<RetrieveOutput> {
    if (spec.entities.files.length === 0) throw new InvalidArgument('matches no files', { field: 'entities' });
    const db = await this.connect();
    const rows = async (sql: string) => (await db.runAndReadAll(sql)).getRowObjectsJson();
    const step = (fraction: number, message: string) => {
      throwIfAborted(signal);
      onProgress(fraction, message);
    };
    try {
      step(0.05, 'reading the entity table');
      const ts = spec.timestampColumn;
      const files = list(spec.entities.files);
      // The timestamp column is read as text where the reader would guess (CSV): it is cast below,
      // so that UTC offsets count and bad values are reported rather than silently nulled.
      const reader =
        spec.entities.format === 'CSV'
          ? `read_csv(${files}, header = ${spec.entities.csv.header ?? true}, delim = ${quoteLiteral(spec.entities.csv.delimiter ?? ',')}, types = {${quoteLiteral(ts)}: 'VARCHAR'})`
          : spec.entities.format === 'PARQUET'
            ? `read_parquet(${files}, union_by_name = true)`
            : `read_json(${files}, format = 'newline_delimited', union_by_name = true)`;
      let columns: string[];
      try {
        await db.run(`CREATE OR REPLACE TEMP TABLE entities AS SELECT row_number() OVER () AS __fs_row, * FROM ${reader}`);
        columns = (await rows('DESCRIBE entities')).map((r) => String(r['column_name'])).filter((c) => c !== '__fs_row');
      } catch (err) {
        throw new InvalidArgument(`cannot read the entity table as ${spec.entities.format}: ${firstLine(err)}`, { field: 'entities', cause: err });
      }
      const present = new Set(columns);
      const needed = [ts, ...new Set(spec.sides.flatMap((s) => s.schema.primaryKey))];
      const absent = needed.filter((c) => !present.has(c));
      if (absent.length > 0) {
        throw new InvalidArgument(`the entity table lacks column(s) ${absent.join(', ')} (the timestamp column and every primary-key column of the feature sets)`, {
          field: 'entities',
          details: absent.map((column) => ({ field: 'entities', row: 0, column, message: 'missing' })),
        });
      }
      const reserved = columns.filter((c) => c.startsWith('__fs_'));
      if (reserved.length > 0) throw new InvalidArgument(`entity column names may not start with __fs_: ${reserved.join(', ')}`, { field: 'entities' });

      step(0.15, 'checking entity timestamps and keys');
      const names = spec.columnNames(columns);
      const keyCasts = spec.sides.flatMap((side, i) =>
        side.schema.primaryKey.map((k, j) => ({ side: i, alias: `__fs_k${i}_${j}`, column: k, type: duckType(side.schema.features.find((f) => f.name === k)!) })),
      );
      const tsCast = `TRY_CAST(${quoteIdent(ts)} AS TIMESTAMPTZ)`;
      const problems = [
        `SELECT __fs_row AS r, ${quoteLiteral(ts)} AS col, 'is not a timestamp: ' || coalesce(left(CAST(${quoteIdent(ts)} AS VARCHAR), 60), 'null') AS msg FROM entities WHERE ${tsCast} IS NULL`,
        ...keyCasts.map(
          (k) =>
            `SELECT __fs_row, ${quoteLiteral(k.column)}, 'cannot be read as ${k.type}: ' || left(CAST(${quoteIdent(k.column)} AS VARCHAR), 60) FROM entities
             WHERE ${quoteIdent(k.column)} IS NOT NULL AND TRY_CAST(${quoteIdent(k.column)} AS ${k.type}) IS NULL`,
        ),
      ].join(' UNION ALL ');
      const bad = await rows(`SELECT r, col, msg, count(*) OVER ()::BIGINT AS n FROM (${problems}) ORDER BY r, col LIMIT ${MAX_DETAILS}`);
      if (bad.length > 0) {
        throw new InvalidArgument(`${bad[0]!['n']} entity row(s) have a bad timestamp or key; nothing was written`, {
          field: 'entities',
          details: bad.map((b) => ({ field: 'entities', row: Number(b['r']), column: String(b['col']), message: String(b['msg']) })),
        });
      }

      step(0.3, 'joining point in time');
      // Ties on event time go to the later ingest: with several ingests the join orders by event
      // time, then ingest rank, packed into one HUGEINT (2^20 ingests per feature set at most).
      const RANKS = 1_048_576;
      const ranked = spec.sides.map((side) => side.ingests.filter((f) => f.length > 0).length > 1);
      const entityColumns = [
        '__fs_row',
        ...columns.map((c) => (c === ts ? `${tsCast} AS ${quoteIdent(c)}` : quoteIdent(c))),
        `${tsCast} AS __fs_ts`,
        ...keyCasts.map((k) => `TRY_CAST(${quoteIdent(k.column)} AS ${k.type}) AS ${k.alias}`),
        ...ranked.map((r, i) => (r ? `epoch_us(${tsCast})::HUGEINT * ${RANKS} + ${RANKS - 1} AS __fs_o${i}` : '')).filter(Boolean),
      ];
      const ctes = [`e AS (SELECT ${entityColumns.join(', ')} FROM entities)`];
      const joins: string[] = [];
      const selected = columns.map((c) => `e.${quoteIdent(c)}`);
      spec.sides.forEach((side, i) => {
        const et = quoteIdent(side.schema.eventTimeColumn);
        const keys = keyCasts.filter((k) => k.side === i);
        const cols = [
          ...keys.map((k) => `${quoteIdent(k.column)} AS ${k.alias}`),
          `${et}::TIMESTAMPTZ AS __fs_et${i}`,
          ...side.features.map((f, j) => `${quoteIdent(f)} AS __fs_f${i}_${j}`),
        ];
        const ingests = side.ingests.filter((f) => f.length > 0);
        const union =
          ingests.length === 0
            ? `SELECT ${[...keys.map((k) => `NULL::${k.type} AS ${k.alias}`), `NULL::TIMESTAMPTZ AS __fs_et${i}`, ...side.features.map((f, j) => `NULL::${duckType(side.schema.features.find((x) => x.name === f)!)} AS __fs_f${i}_${j}`)].join(', ')} LIMIT 0`
            : ingests
                .map((ingestFiles, rank) => `SELECT ${cols.join(', ')}${ranked[i] ? `, epoch_us(${et}::TIMESTAMPTZ)::HUGEINT * ${RANKS} + ${rank} AS __fs_o${i}` : ''} FROM read_parquet(${list(ingestFiles)})`)
                .join(' UNION ALL ');
        ctes.push(`f${i} AS (${union})`);
        const on = [...keys.map((k) => `e.${k.alias} = f${i}.${k.alias}`), ranked[i] ? `e.__fs_o${i} >= f${i}.__fs_o${i}` : `e.__fs_ts >= f${i}.__fs_et${i}`];
        joins.push(`ASOF LEFT JOIN f${i} ON ${on.join(' AND ')}`);
        const fresh = side.ttlSeconds == null ? '' : `epoch_us(e.__fs_ts) - epoch_us(f${i}.__fs_et${i}) <= ${Math.round(side.ttlSeconds * 1e6)}`;
        side.features.forEach((_f, j) => {
          const value = `f${i}.__fs_f${i}_${j}`;
          selected.push(`${fresh ? `CASE WHEN ${fresh} THEN ${value} END` : value} AS ${quoteIdent(names[i]![j]!)}`);
        });
      });
      const file = join(spec.outputDir, spec.format === 'CSV' ? 'part-0.csv' : 'part-0.parquet');
      const written = await rows(
        `COPY (WITH ${ctes.join(', ')} SELECT ${selected.join(', ')} FROM e ${joins.join(' ')} ORDER BY e.__fs_row)
         TO ${quoteLiteral(file)} (${spec.format === 'CSV' ? 'FORMAT csv, HEADER' : 'FORMAT parquet, COMPRESSION zstd'})`,
      );
      step(1, 'done');
      return { files: [file], rows: Number(Object.values(written[0] ?? {})[0] ?? 0) };
    } finally {
      db.closeSync();
    }
  }

  private async statisticsOf(db: DuckDBConnection, features: Feature[], relation: string, at: Date): Promise<Record<string, FeatureStatistics>> {
    const parts = features.map((f, i) => {
      const c = quoteIdent(f.name);
      const scalar = !f.isList && f.type !== 'BYTES';
      const numeric = scalar && NUMERIC.has(f.type);
      return [
        `count(${c})::BIGINT AS c${i}`,
        `(count(*) - count(${c}))::BIGINT AS n${i}`,
        scalar ? `CAST(min(${c}) AS VARCHAR) AS lo${i}` : `NULL AS lo${i}`,
        scalar ? `CAST(max(${c}) AS VARCHAR) AS hi${i}` : `NULL AS hi${i}`,
        numeric ? `avg(${c})::DOUBLE AS m${i}` : `NULL AS m${i}`,
        numeric ? `coalesce(stddev_samp(${c}), 0)::DOUBLE AS s${i}` : `NULL AS s${i}`,
        f.isList ? `NULL AS d${i}` : `approx_count_distinct(${c})::BIGINT AS d${i}`,
      ].join(', ');
    });
    const row = (await db.runAndReadAll(`SELECT ${parts.join(', ')} FROM ${relation}`)).getRowObjectsJson()[0] ?? {};
    const out: Record<string, FeatureStatistics> = {};
    features.forEach((f, i) => {
      out[f.name] = {
        count: Number(row[`c${i}`] ?? 0),
        nullCount: Number(row[`n${i}`] ?? 0),
        min: row[`lo${i}`] == null ? '' : String(row[`lo${i}`]),
        max: row[`hi${i}`] == null ? '' : String(row[`hi${i}`]),
        mean: Number(row[`m${i}`] ?? 0),
        stddev: Number(row[`s${i}`] ?? 0),
        approxDistinct: Number(row[`d${i}`] ?? 0),
        computeTime: at,
      };
    });
    return out;
  }

  async close(): Promise<void> {
    const instance = await this.instance;
    instance?.closeSync();
    this.instance = undefined;
  }
}

function nullDetail(spec: IngestSpec, row: number, column: string): ErrorDetail {
  const what = column === spec.schema.eventTimeColumn ? 'the event time' : 'part of the primary key';
  return { field: 'source', row, column, message: `is null but is ${what}` };
}

/** A value failed its cast: it became null, or (for lists) some of its elements did. */
function castFailed(f: Feature, raw: string, typed: string): string {
  const lost = f.isList ? ` OR list_count(TRY_CAST(${raw} AS VARCHAR[])) <> list_count(${typed})` : '';
  return `${raw} IS NOT NULL AND (${typed} IS NULL${lost})`;
}

/** The first line of an engine error, short enough for a client message. */
export function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!.slice(0, 300);
}

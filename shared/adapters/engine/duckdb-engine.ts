import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { InvalidArgument, throwIfAborted, type ErrorDetail } from '../../core/errors.js';
import type { DataType, Feature, FeatureStatistics } from '../../core/model.js';
import type { IngestOutput, IngestSpec, OfflineEngine } from '../../core/ports/offline-engine.js';
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
      // Text first for CSV, so that every value is checked by the same casts with row detail.
      const reader =
        spec.format === 'CSV'
          ? `read_csv(${list(spec.files)}, all_varchar = true, header = ${spec.csv.header ?? true}, delim = ${quoteLiteral(spec.csv.delimiter ?? ',')})`
          : spec.format === 'PARQUET'
            ? `read_parquet(${list(spec.files)}, union_by_name = true)`
            : `read_json(${list(spec.files)}, format = 'newline_delimited', union_by_name = true)`;
      try {
        await db.run(`CREATE OR REPLACE TEMP TABLE raw AS SELECT row_number() OVER () AS _row, * FROM ${reader}`);
      } catch (err) {
        throw new InvalidArgument(`cannot read the source as ${spec.format}: ${firstLine(err)}`, { field: 'source', cause: err });
      }
      const present = new Set((await rows('DESCRIBE raw')).map((r) => String(r['column_name'])).filter((c) => c !== '_row'));
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
      const known = new Set(features.map((f) => f.name));
      const extra = [...present].filter((c) => !known.has(c));
      if (extra.length > 0 && spec.extraColumns === 'FAIL') {
        throw new InvalidArgument(`the source has column(s) the schema does not: ${extra.join(', ')}`, {
          field: 'source',
          details: extra.map((column) => ({ field: 'source', row: 0, column, message: 'not in the schema (extra_columns = FAIL)' })),
        });
      }

      await step(0.25, 'checking rows against the schema');
      const casts = features.map((f) => (present.has(f.name) ? `TRY_CAST(${quoteIdent(f.name)} AS ${duckType(f)})` : `NULL::${duckType(f)}`));
      await db.run(
        `CREATE OR REPLACE TEMP TABLE typed AS SELECT _row, ${features.map((f, i) => `${casts[i]} AS ${quoteIdent(f.name)}`).join(', ')} FROM raw`,
      );
      const problems = features
        .filter((f) => present.has(f.name))
        .map(
          (f) =>
            `SELECT r._row, ${quoteLiteral(f.name)} AS col, 'cannot be read as ${duckType(f)}: ' || left(CAST(r.${quoteIdent(f.name)} AS VARCHAR), 60) AS msg
             FROM raw r JOIN typed t USING (_row) WHERE ${castFailed(f, `r.${quoteIdent(f.name)}`, `t.${quoteIdent(f.name)}`)}`,
        )
        .concat(
          [...required].map(
            (name) => `SELECT _row, ${quoteLiteral(name)} AS col, 'is null but is ${name === spec.schema.eventTimeColumn ? 'the event time' : 'part of the primary key'}' AS msg
             FROM raw WHERE ${quoteIdent(name)} IS NULL`,
          ),
        );
      const bad = await rows(`SELECT count(DISTINCT _row)::BIGINT AS n FROM (${problems.join(' UNION ALL ')})`);
      const badRows = Number(bad[0]?.['n'] ?? 0);
      if (badRows > 0) {
        const sample = await rows(`SELECT _row, col, msg FROM (${problems.join(' UNION ALL ')}) ORDER BY _row, col LIMIT ${MAX_DETAILS}`);
        const details: ErrorDetail[] = sample.map((r) => ({ field: 'source', row: Number(r['_row']), column: String(r['col']), message: String(r['msg']) }));
        throw new InvalidArgument(`${badRows} row(s) do not fit the schema; nothing was ingested`, { field: 'source', details });
      }

      await step(0.5, 'removing rows already stored');
      const columns = features.map((f) => quoteIdent(f.name)).join(', ');
      // EXCEPT is set-valued, so it also folds rows repeated within the input, as DISTINCT does.
      const fresh =
        spec.existing.length > 0
          ? `SELECT ${columns} FROM typed EXCEPT SELECT ${columns} FROM read_parquet(${list(spec.existing)})`
          : `SELECT DISTINCT ${columns} FROM typed`;
      await db.run(`CREATE OR REPLACE TEMP TABLE fresh AS ${fresh}`);
      const counts = await rows(`SELECT (SELECT count(*) FROM typed)::BIGINT AS input, (SELECT count(*) FROM fresh)::BIGINT AS fresh`);
      const inputRows = Number(counts[0]?.['input'] ?? 0);
      const freshRows = Number(counts[0]?.['fresh'] ?? 0);

      await step(0.7, 'writing Parquet');
      const files: string[] = [];
      if (freshRows > 0) {
        const file = join(spec.outputDir, 'part-0.parquet');
        await db.run(
          `COPY (SELECT ${columns}, ${quoteLiteral(spec.ingestId)} AS ${INGEST_ID_COLUMN}, ${quoteLiteral(spec.ingestTime.toISOString())}::TIMESTAMPTZ AS ${INGEST_TIME_COLUMN}
                 FROM fresh ORDER BY ${spec.schema.primaryKey.map(quoteIdent).join(', ')}, ${quoteIdent(spec.schema.eventTimeColumn)})
           TO ${quoteLiteral(file)} (FORMAT parquet, COMPRESSION zstd)`,
        );
        files.push(file);
      }

      await step(0.9, 'computing statistics');
      const visible = [...spec.existing, ...files];
      const statistics = visible.length > 0 ? await this.statistics(db, features, visible, spec.ingestTime) : {};
      await step(1, 'done');
      return { files, inputRows, rows: freshRows, duplicateRows: inputRows - freshRows, droppedColumns: extra, missingColumns: missing, statistics };
    } finally {
      db.closeSync();
    }
  }

  private async statistics(db: DuckDBConnection, features: Feature[], files: string[], at: Date): Promise<Record<string, FeatureStatistics>> {
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
    const row = (await db.runAndReadAll(`SELECT ${parts.join(', ')} FROM read_parquet(${list(files)})`)).getRowObjectsJson()[0] ?? {};
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

/** A value failed its cast: it became null, or (for lists) some of its elements did. */
function castFailed(f: Feature, raw: string, typed: string): string {
  const lost = f.isList ? ` OR list_count(TRY_CAST(${raw} AS VARCHAR[])) <> list_count(${typed})` : '';
  return `${raw} IS NOT NULL AND (${typed} IS NULL${lost})`;
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!.slice(0, 300);
}

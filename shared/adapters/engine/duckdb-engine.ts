import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { FeatureStoreError, InvalidArgument, ResourceExhausted, throwIfAborted, type ErrorDetail } from '../../core/errors.js';
import type { DataType, Feature, FeatureStatistics, Schema } from '../../core/model.js';
import type { IngestOutput, IngestSpec, OfflineEngine, RetrieveOutput, RetrieveSpec, TrainingSetSpec } from '../../core/ports/offline-engine.js';
import { quoteIdent, quoteLiteral } from '../sql/quote.js';
import { convert, duckType } from './duckdb-conversion.js';
import { namesList } from '../../core/messages.js';

const NUMERIC: ReadonlySet<DataType> = new Set(['INT32', 'INT64', 'FLOAT32', 'FLOAT64']);
const MAX_DETAILS = 100;
/** Value checks per query when naming bad rows: wide sources are checked in slices of columns. */
const CHECK_BATCH = 250;
/** Beyond this many features the dedupe pass runs on one thread (see runIngest). */
const WIDE_DEDUPE_COLUMNS = 250;
/** Columns per statistics statement (see statisticsOf). */
const STATISTICS_BATCH = 10;
/** Distinct estimates sample values whose hash is below 2^58: one in 64. */
const SAMPLE_SCALE = 64;
const SAMPLE_BELOW = '288230376151711744';
/** Below this many sampled values (about 16k distinct values) the count is made exact. */
const EXACT_BELOW_SAMPLED = 256;

const list = (paths: string[]) => `[${paths.map(quoteLiteral).join(', ')}]`;

export interface DuckDbOptions {
  threads?: number;
  /** DuckDB's memory_limit (e.g. "4096MiB"); beyond it operators spill to `spillDir`. */
  memoryLimit?: string;
  spillDir?: string;
}

/** Instance settings: threads, a memory limit and a spill folder, so a wide or huge input slows down instead of exhausting memory. */
export function duckDbSettings(o: DuckDbOptions, threads: number): Record<string, string> {
  if (o.spillDir) mkdirSync(o.spillDir, { recursive: true });
  return {
    threads: String(o.threads ?? threads),
    ...(o.memoryLimit ? { memory_limit: o.memoryLimit } : {}),
    ...(o.spillDir ? { temp_directory: o.spillDir } : {}),
  };
}

/** The offline engine of the embedded default: DuckDB in process, reading and writing local files. */
export class DuckDbEngine implements OfflineEngine {
  private instance?: Promise<DuckDBInstance>;

  private readonly threads: number;

  constructor(private readonly options: DuckDbOptions = {}) {
    this.threads = options.threads ?? 2;
  }

  private async connect(): Promise<DuckDBConnection> {
    this.instance ??= import('@duckdb/node-api').then(({ DuckDBInstance }) => DuckDBInstance.create(':memory:', duckDbSettings(this.options, this.threads)));
    const connection = await (await this.instance).connect();
    await connection.run(`SET TimeZone = 'UTC'`);
    return connection;
  }

  // The port: each call runs within the memory limit; DuckDB running out of it answers
  // RESOURCE_EXHAUSTED with what to do next (not a read error, not INTERNAL).
  ingest(spec: IngestSpec, onProgress: (fraction: number, message: string) => void, signal?: AbortSignal): Promise<IngestOutput> {
    return this.guard(this.runIngest(spec, onProgress, signal));
  }
  statistics(schema: Schema, files: string[], signal?: AbortSignal): Promise<Record<string, FeatureStatistics>> {
    return this.guard(this.runStatistics(schema, files, signal));
  }
  retrieve(spec: RetrieveSpec, signal?: AbortSignal): Promise<RetrieveOutput> {
    return this.guard(this.runRetrieve(spec, signal));
  }
  trainingSet(spec: TrainingSetSpec, onProgress: (fraction: number, message: string) => void, signal?: AbortSignal): Promise<RetrieveOutput> {
    return this.guard(this.runTrainingSet(spec, onProgress, signal));
  }
  newestPerKey(
    spec: { schema: Schema; files: string[]; startTime?: Date; endTime?: Date },
    onBatch: (rows: Record<string, unknown>[]) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<number> {
    return this.guard(this.runNewestPerKey(spec, onBatch, signal));
  }
  revertedKeys(
    spec: { schema: Schema; reverted: string[]; remaining: string[] },
    onBatch: (rows: { reverted: Record<string, unknown>; restored?: Record<string, unknown> }[]) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<number> {
    return this.guard(this.runRevertedKeys(spec, onBatch, signal));
  }

  private async guard<T>(work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (err) {
      const cause: unknown = err instanceof FeatureStoreError ? err.cause : err;
      if (!/Out of Memory Error/i.test(String((cause as Error)?.message ?? ''))) throw err;
      throw new ResourceExhausted(
        `the engine ran out of memory within its limit (${this.options.memoryLimit ?? 'DuckDB default'}); nothing was written: raise FEATURESTORE_DUCKDB_MEMORY_LIMIT (and the pod's memory) or split the input into smaller parts`,
        { cause },
      );
    }
  }

  private async runIngest(spec: IngestSpec, onProgress: (fraction: number, message: string) => void, signal?: AbortSignal): Promise<IngestOutput> {
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
      // Every value converts by the one rule (duckdb-conversion.ts): CSV cells as text, JSON values
      // as JSON (so numbers keep their digits and kind), Parquet columns in their own types.
      let reader: string;
      const sourceTypes = new Map<string, string>();
      try {
        if (spec.format === 'PARQUET') {
          reader = `read_parquet(${list(spec.files)}, union_by_name = true)`;
          for (const r of await rows(`DESCRIBE SELECT * FROM ${reader}`)) sourceTypes.set(String(r['column_name']), String(r['column_type']));
        } else if (csv) {
          const sniffed = await sniffCsv(rows, spec.files, spec.csv.header ?? true, spec.csv.delimiter ?? ',');
          reader = sniffed.reader;
          for (const name of sniffed.columns) sourceTypes.set(name, 'VARCHAR');
        } else {
          const names = (await rows(`DESCRIBE SELECT * FROM read_json(${list(spec.files)}, format = 'newline_delimited', union_by_name = true)`)).map((r) =>
            String(r['column_name']),
          );
          reader = `read_json(${list(spec.files)}, format = 'newline_delimited', columns = {${names.map((n) => `${quoteLiteral(n)}: 'JSON'`).join(', ')}})`;
          for (const n of names) sourceTypes.set(n, 'JSON');
        }
      } catch (err) {
        throw new InvalidArgument(`cannot read the source as ${spec.format}: ${engineMessage(err)}`, { field: 'source', cause: err });
      }
      if (spec.distinct) reader = `(SELECT DISTINCT * FROM ${reader})`;
      const present = new Set(sourceTypes.keys());
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
        throw new InvalidArgument(`the source has ${extra.length} column(s) the schema does not: ${namesList(extra)}`, {
          field: 'source',
          details: extra.slice(0, MAX_DETAILS).map((column) => ({ field: 'source', row: 0, column, message: 'not in the schema (extra_columns = FAIL)' })),
        });
      }

      await step(0.25, 'converting rows to the schema');
      const conversions = new Map(features.filter((f) => present.has(f.name)).map((f) => [f.name, convert(f, quoteIdent(f.name), sourceTypes.get(f.name)!)]));
      // Event times too far in the future are refused (such a row would win newest-wins online forever).
      const et = conversions.get(spec.schema.eventTimeColumn)!;
      const tooLate = spec.latestEventTime
        ? `coalesce(CAST(${et.value} AS TIMESTAMPTZ) > ${quoteLiteral(spec.latestEventTime.toISOString())}::TIMESTAMPTZ, false)`
        : 'false';
      const nullRequired = [...required].map((name) => `${conversions.get(name)!.value} IS NULL`);
      const problemsIn = async (): Promise<{ badRows: number; details: ErrorDetail[] }> => {
        // Exact row and column detail, within the memory limit however wide the source: the bad
        // rows' numbers are found a slice of columns at a time, then each column's check runs over
        // the first few bad rows only. Nothing holds the whole source or every check at once.
        // Each check: the source column it reads, when a row fails it, and its detail.
        const checks = [...conversions].map(([name, c]) => ({
          column: name,
          when: c.bad,
          sql: `SELECT _row, ${quoteLiteral(name)} AS col, ${quoteLiteral(`cannot be read as ${duckType(byName.get(name)!)}: `)} || ${shown(quoteIdent(name))} AS msg FROM bad_rows WHERE ${c.bad}`,
        }));
        checks.push({
          column: spec.schema.eventTimeColumn,
          when: tooLate,
          sql: `SELECT _row, ${quoteLiteral(spec.schema.eventTimeColumn)}, ${quoteLiteral(`is more than ${spec.latestEventTimeText ?? 'the allowed time'} in the future: `)} || CAST(${quoteIdent(spec.schema.eventTimeColumn)} AS VARCHAR) FROM bad_rows WHERE ${tooLate}`,
        });
        for (const name of required) {
          const c = conversions.get(name)!;
          const when = `${quoteIdent(name)} IS NULL OR (${c.value} IS NULL AND NOT ${c.bad})`;
          checks.push({
            column: name,
            when,
            sql: `SELECT _row, ${quoteLiteral(name)} AS col, ${quoteLiteral(nullDetail(spec, 0, name).message)} AS msg FROM bad_rows WHERE ${when}`,
          });
        }
        const slices = Array.from({ length: Math.ceil(checks.length / CHECK_BATCH) }, (_, i) => checks.slice(i * CHECK_BATCH, (i + 1) * CHECK_BATCH));
        const numberedSlice = (slice: typeof checks) =>
          `(SELECT row_number() OVER () AS _row, ${[...new Set(slice.map((c) => quoteIdent(c.column)))].join(', ')} FROM ${reader})`;
        await db.run('CREATE OR REPLACE TEMP TABLE bad_row_numbers (_row BIGINT)');
        for (const slice of slices) {
          await db.run(`INSERT INTO bad_row_numbers SELECT _row FROM ${numberedSlice(slice)} WHERE ${slice.map((c) => `(${c.when})`).join(' OR ')}`);
        }
        const n = Number((await rows('SELECT count(DISTINCT _row)::BIGINT AS n FROM bad_row_numbers'))[0]?.['n'] ?? 0);
        const first = (await rows(`SELECT DISTINCT _row FROM bad_row_numbers ORDER BY _row LIMIT ${MAX_DETAILS}`)).map((r) => Number(r['_row']));
        await db.run('DROP TABLE bad_row_numbers');
        if (n === 0) return { badRows: 0, details: [] };
        const found: { row: number; column: string; message: string }[] = [];
        for (const slice of slices) {
          await db.run(`CREATE OR REPLACE TEMP TABLE bad_rows AS SELECT * FROM ${numberedSlice(slice)} WHERE _row IN (${first.join(', ')})`);
          for (const r of await rows(slice.map((c) => c.sql).join(' UNION ALL ')))
            found.push({ row: Number(r['_row']), column: String(r['col']), message: String(r['msg']) });
        }
        await db.run('DROP TABLE bad_rows');
        found.sort((a, b) => a.row - b.row || (a.column < b.column ? -1 : a.column > b.column ? 1 : 0));
        return { badRows: n, details: found.slice(0, MAX_DETAILS).map((d) => ({ field: 'source', ...d })) };
      };

      // Written straight from the source in one pass, every value converted by the rule; any value
      // that does not convert raises error(), and the exact (slower) pass names rows and columns.
      // Rows already stored are left out in the same pass (below). Visible only once committed.
      const file = join(spec.outputDir, 'part-0.parquet');
      const columns = features.map((f) => quoteIdent(f.name)).join(', ');
      const toParquet = `(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${rowGroupRows(features.length)})`;
      const selected = features.map((f) => `${conversions.get(f.name)?.value ?? `NULL::${duckType(f)}`} AS ${quoteIdent(f.name)}`).join(', ');
      const bad = [...[...conversions.values()].map((c) => c.bad), ...nullRequired, tooLate].join(' OR ');
      const converted = `(SELECT ${selected} FROM ${reader} WHERE CASE WHEN ${bad} THEN error('featurestore: row does not fit the schema') ELSE true END)`;
      let inputRows: number;
      let written: number;
      try {
        if (spec.existing.length === 0) {
          written = inputRows = copied(await rows(`COPY ${converted} TO ${quoteLiteral(file)} ${toParquet}`));
        } else {
          // Dedupe: only stored rows inside the new rows' event-time range can equal one of them
          // (Parquet row-group statistics let DuckDB skip the rest, so new days cost next to
          // nothing), and the join holds key, event time and a 64-bit hash of the whole row per
          // stored row, not every column: spillable, and as cheap for 2,000 features as for 10.
          // Equal rows hash alike (nulls included); a collision would need the same key and event
          // time too. Joining while writing reads the wide rows once (writing first and then
          // rewriting the new file held two wide Parquet scans and a writer: 1.7 GiB at 2,000 columns).
          await step(0.2, 'reading the event-time range');
          const range = (await rows(`SELECT count(*)::BIGINT AS n, min(${et.value})::VARCHAR AS lo, max(${et.value})::VARCHAR AS hi FROM ${reader}`))[0]!;
          inputRows = Number(range['n'] ?? 0);
          await step(0.3, 'converting rows to the schema, leaving out rows already stored');
          const etName = quoteIdent(spec.schema.eventTimeColumn);
          const etType = duckType(byName.get(spec.schema.eventTimeColumn)!);
          const pk = spec.schema.primaryKey.map(quoteIdent);
          const within =
            range['lo'] == null || range['hi'] == null
              ? 'false'
              : `${etName} BETWEEN ${quoteLiteral(String(range['lo']))}::${etType} AND ${quoteLiteral(String(range['hi']))}::${etType}`;
          // The stored side first, in a table of its own: its wide scan is over before the source's.
          await db.run(
            `CREATE OR REPLACE TEMP TABLE stored_rows AS SELECT ${[...pk, etName].join(', ')}, hash(${columns}) AS __fs_h FROM read_parquet(${list(spec.existing)}, union_by_name = true) WHERE ${within}`,
          );
          // As a NOT IN over one struct key (a mark join, built on the stored side): an ANTI JOIN
          // let DuckDB build its hash table on the source instead, whose size it cannot estimate
          // (every wide row held: out of memory at 2,000 columns). Keys and event times are never null.
          const keyOf = (at: string, h: string) => `{${[...pk, etName].map((c, j) => `'k${j}': ${at}.${c}`).join(', ')}, 'h': ${h}}`;
          const fresh = `SELECT n.* FROM ${converted} n WHERE ${keyOf('n', `hash(${features.map((f) => `n.${quoteIdent(f.name)}`).join(', ')})`)} NOT IN (SELECT ${keyOf('s', 's.__fs_h')} FROM stored_rows s)`;
          // Wide rows through the join and the writer take memory per thread that DuckDB does not
          // count (2,000 columns on 2 threads went past a 1 GiB limit): one thread for wide sets.
          const narrow = features.length > WIDE_DEDUPE_COLUMNS;
          if (narrow) await db.run('SET threads = 1');
          try {
            written = copied(await rows(`COPY (${fresh}) TO ${quoteLiteral(file)} ${toParquet}`));
          } finally {
            if (narrow) await db.run(`SET threads = ${this.threads}`);
          }
          await db.run('DROP TABLE stored_rows');
        }
      } catch (err) {
        await rm(file, { force: true });
        throwIfAborted(signal);
        const { badRows, details } = await problemsIn().catch((cause: unknown) => {
          throw new InvalidArgument(`the ${spec.format} source could not be read; nothing was ingested: ${engineMessage(cause)}`, { field: 'source', cause });
        });
        if (badRows > 0) throw new InvalidArgument(`${badRows} row(s) do not fit the schema; nothing was ingested`, { field: 'source', details });
        // Not a bad value: lines the reader refused (column count, quoting, line size).
        throw new InvalidArgument(`the ${spec.format} source could not be read; nothing was ingested: ${engineMessage(err)}`, { field: 'source', cause: err });
      }
      const duplicateRows = inputRows - written;
      const files: string[] = [];
      if (written > 0) files.push(file);
      else await rm(file, { force: true });

      await step(0.8, 'computing statistics');
      const visible = [...spec.existing, ...files];
      const statistics = visible.length > 0 ? await this.statisticsOf(db, features, visible, spec.ingestTime) : {};
      await step(1, 'done');
      return { files, inputRows, rows: written, duplicateRows, droppedColumns: extra, missingColumns: missing, statistics };
    } finally {
      db.closeSync();
    }
  }

  private async runStatistics(schema: Schema, files: string[], signal?: AbortSignal): Promise<Record<string, FeatureStatistics>> {
    throwIfAborted(signal);
    if (files.length === 0) return {};
    const db = await this.connect();
    try {
      return await this.statisticsOf(db, schema.features, files, new Date());
    } finally {
      db.closeSync();
    }
  }

  private async runRetrieve(spec: RetrieveSpec, signal?: AbortSignal): Promise<RetrieveOutput> {
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
    const source =
      spec.files.length > 0
        ? `read_parquet(${list(spec.files)})`
        : `(SELECT ${spec.schema.features.map((f) => `NULL::${duckType(f)} AS ${quoteIdent(f.name)}`).join(', ')} LIMIT 0)`;
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

  private async runTrainingSet(spec: TrainingSetSpec, onProgress: (fraction: number, message: string) => void, signal?: AbortSignal): Promise<RetrieveOutput> {
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
      // The timestamp and key columns are read as text (CSV) or JSON (JSON lines) and converted by
      // the one rule, so UTC offsets count, keys keep their digits, and bad values are reported
      // rather than rounded or nulled. Other columns are kept as the reader types them.
      const keyNames = new Set(spec.sides.flatMap((s) => s.schema.primaryKey));
      const exact = new Set([ts, ...keyNames]);
      const csvArgs = `header = ${spec.entities.csv.header ?? true}, delim = ${quoteLiteral(spec.entities.csv.delimiter ?? ',')}`;
      const detected =
        spec.entities.format === 'CSV'
          ? `read_csv(${files}, ${csvArgs})`
          : spec.entities.format === 'PARQUET'
            ? `read_parquet(${files}, union_by_name = true)`
            : `read_json(${files}, format = 'newline_delimited', union_by_name = true)`;
      let columns: string[];
      const sourceTypes = new Map<string, string>();
      try {
        const described = (await rows(`DESCRIBE SELECT * FROM ${detected}`)).map((r) => ({ name: String(r['column_name']), type: String(r['column_type']) }));
        const pinned = described.filter((c) => exact.has(c.name));
        const reader =
          spec.entities.format === 'CSV' && pinned.length > 0
            ? `read_csv(${files}, ${csvArgs}, types = {${pinned.map((c) => `${quoteLiteral(c.name)}: 'VARCHAR'`).join(', ')}})`
            : spec.entities.format === 'JSONL'
              ? `read_json(${files}, format = 'newline_delimited', columns = {${described.map((c) => `${quoteLiteral(c.name)}: ${quoteLiteral(exact.has(c.name) ? 'JSON' : c.type)}`).join(', ')}})`
              : detected;
        await db.run(`CREATE OR REPLACE TEMP TABLE entities AS SELECT row_number() OVER () AS __fs_row, * FROM ${reader}`);
        for (const r of await rows('DESCRIBE entities')) sourceTypes.set(String(r['column_name']), String(r['column_type']));
        sourceTypes.delete('__fs_row');
        columns = [...sourceTypes.keys()];
      } catch (err) {
        throw new InvalidArgument(`cannot read the entity table as ${spec.entities.format}: ${engineMessage(err)}`, { field: 'entities', cause: err });
      }
      const present = new Set(columns);
      const needed = [ts, ...keyNames];
      const absent = needed.filter((c) => !present.has(c));
      if (absent.length > 0) {
        throw new InvalidArgument(
          `the entity table lacks column(s) ${absent.join(', ')} (the timestamp column and every primary-key column of the feature sets)`,
          {
            field: 'entities',
            details: absent.map((column) => ({ field: 'entities', row: 0, column, message: 'missing' })),
          },
        );
      }
      const reserved = columns.filter((c) => c.startsWith('__fs_'));
      if (reserved.length > 0) throw new InvalidArgument(`entity column names may not start with __fs_: ${namesList(reserved)}`, { field: 'entities' });

      step(0.15, 'checking entity timestamps and keys');
      const names = spec.columnNames(columns);
      const keyCasts = spec.sides.flatMap((side, i) =>
        side.schema.primaryKey.map((k, j) => {
          const f = side.schema.features.find((x) => x.name === k)!;
          return { side: i, alias: `__fs_k${i}_${j}`, column: k, type: duckType(f), ...convert(f, quoteIdent(k), sourceTypes.get(k)!) };
        }),
      );
      const stamp = convert({ type: 'TIMESTAMP', isList: false }, quoteIdent(ts), sourceTypes.get(ts)!);
      const tsCast = stamp.value;
      const problems = [
        `SELECT __fs_row AS r, ${quoteLiteral(ts)} AS col, 'is not a timestamp (to the microsecond): ' || coalesce(${shown(quoteIdent(ts))}, 'null') AS msg FROM entities WHERE ${quoteIdent(ts)} IS NULL OR ${stamp.bad}`,
        ...keyCasts.map(
          (k) =>
            `SELECT __fs_row, ${quoteLiteral(k.column)}, ${quoteLiteral(`cannot be read as ${k.type}: `)} || ${shown(quoteIdent(k.column))} FROM entities WHERE ${k.bad}`,
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
      // time, then ingest rank, packed into one integer (microseconds * R + rank, R the next power
      // of two). BIGINT keeps the join as fast as a plain one; timestamps too far out for it make
      // DuckDB raise an overflow, and the join runs again on HUGEINT.
      const ingestsOf = spec.sides.map((side) => side.ingests.filter((f) => f.length > 0));
      const ranks = ingestsOf.map((ingests) => (ingests.length > 1 ? 2 ** Math.ceil(Math.log2(ingests.length)) : 0));
      const file = join(spec.outputDir, spec.format === 'CSV' ? 'part-0.csv' : 'part-0.parquet');
      const query = (pack: 'BIGINT' | 'HUGEINT') => {
        const entityColumns = [
          '__fs_row',
          // Key columns as the feature set's key type (the first side's, where several share a name).
          ...columns.map((c) =>
            c === ts ? `${tsCast} AS ${quoteIdent(c)}` : keyNames.has(c) ? `${keyCasts.find((k) => k.column === c)!.value} AS ${quoteIdent(c)}` : quoteIdent(c),
          ),
          `${tsCast} AS __fs_ts`,
          ...keyCasts.map((k) => `${k.value} AS ${k.alias}`),
          ...ranks.map((r, i) => (r ? `epoch_us(${tsCast})::${pack} * ${r} + ${r - 1} AS __fs_o${i}` : '')).filter(Boolean),
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
          const ingests = ingestsOf[i]!;
          const r = ranks[i]!;
          const union =
            ingests.length === 0
              ? `SELECT ${[...keys.map((k) => `NULL::${k.type} AS ${k.alias}`), `NULL::TIMESTAMPTZ AS __fs_et${i}`, ...side.features.map((f, j) => `NULL::${duckType(side.schema.features.find((x) => x.name === f)!)} AS __fs_f${i}_${j}`)].join(', ')} LIMIT 0`
              : ingests
                  .map(
                    (ingestFiles, rank) =>
                      `SELECT ${cols.join(', ')}${r ? `, epoch_us(${et}::TIMESTAMPTZ)::${pack} * ${r} + ${rank} AS __fs_o${i}` : ''} FROM read_parquet(${list(ingestFiles)}, union_by_name = true)`,
                  )
                  .join(' UNION ALL ');
          ctes.push(`f${i} AS (${union})`);
          const on = [...keys.map((k) => `e.${k.alias} = f${i}.${k.alias}`), r ? `e.__fs_o${i} >= f${i}.__fs_o${i}` : `e.__fs_ts >= f${i}.__fs_et${i}`];
          joins.push(`ASOF LEFT JOIN f${i} ON ${on.join(' AND ')}`);
          const fresh = side.ttlSeconds == null ? '' : `epoch_us(e.__fs_ts) - epoch_us(f${i}.__fs_et${i}) <= ${Math.round(side.ttlSeconds * 1e6)}`;
          side.features.forEach((_f, j) => {
            const value = `f${i}.__fs_f${i}_${j}`;
            selected.push(`${fresh ? `CASE WHEN ${fresh} THEN ${value} END` : value} AS ${quoteIdent(names[i]![j]!)}`);
          });
        });
        return `COPY (WITH ${ctes.join(', ')} SELECT ${selected.join(', ')} FROM e ${joins.join(' ')} ORDER BY e.__fs_row)
           TO ${quoteLiteral(file)} (${spec.format === 'CSV' ? 'FORMAT csv, HEADER' : 'FORMAT parquet, COMPRESSION zstd'})`;
      };
      let written: Record<string, unknown>[];
      try {
        written = await rows(query('BIGINT'));
      } catch (err) {
        if (!ranks.some(Boolean) || !/overflow|out of range/i.test(String((err as Error)?.message))) throw err;
        throwIfAborted(signal);
        written = await rows(query('HUGEINT'));
      }
      step(1, 'done');
      return { files: [file], rows: copied(written) };
    } finally {
      db.closeSync();
    }
  }

  /**
   * One pass for count, nulls, min, max, mean and stddev, and a hash-sampled distinct estimate:
   * values whose 64-bit hash falls in the lowest 1/64 are counted exactly and scaled up (unbiased,
   * about 1% off at a million distinct values, and cheaper and closer than DuckDB's HyperLogLog
   * here). Columns with few sampled values are counted exactly in a second, cheap pass.
   */
  private async runNewestPerKey(
    spec: { schema: Schema; files: string[]; startTime?: Date; endTime?: Date },
    onBatch: (rows: Record<string, unknown>[]) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<number> {
    throwIfAborted(signal);
    if (spec.files.length === 0) return 0;
    const et = quoteIdent(spec.schema.eventTimeColumn);
    const where = [
      spec.startTime ? `${et} >= ${quoteLiteral(spec.startTime.toISOString())}::TIMESTAMPTZ` : '',
      spec.endTime ? `${et} < ${quoteLiteral(spec.endTime.toISOString())}::TIMESTAMPTZ` : '',
    ].filter(Boolean);
    const columns = spec.schema.features.map((f) => `${storedForm(f, quoteIdent(f.name))} AS ${quoteIdent(f.name)}`);
    const db = await this.connect();
    let rows = 0;
    try {
      const result = await db.stream(
        `SELECT ${columns.join(', ')} FROM read_parquet(${list(spec.files)}, union_by_name = true)${where.length ? ` WHERE ${where.join(' AND ')}` : ''}
         QUALIFY row_number() OVER (PARTITION BY ${spec.schema.primaryKey.map(quoteIdent).join(', ')} ORDER BY ${et} DESC) = 1`,
      );
      for await (const batch of result.yieldRowObjectJson()) {
        throwIfAborted(signal);
        rows += batch.length;
        await onBatch(batch as Record<string, unknown>[]);
      }
      return rows;
    } finally {
      db.closeSync();
    }
  }

  private async runRevertedKeys(
    spec: { schema: Schema; reverted: string[]; remaining: string[] },
    onBatch: (rows: { reverted: Record<string, unknown>; restored?: Record<string, unknown> }[]) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<number> {
    throwIfAborted(signal);
    if (spec.reverted.length === 0) return 0;
    const features = spec.schema.features;
    const et = quoteIdent(spec.schema.eventTimeColumn);
    const pk = spec.schema.primaryKey.map(quoteIdent);
    const newest = (files: string[], prefix: string, only: string) =>
      `SELECT ${pk.map((k, j) => `s.${k} AS __fs_k${j}`).join(', ')}, ${features.map((f, i) => `${storedForm(f, `s.${quoteIdent(f.name)}`)} AS ${prefix}${i}`).join(', ')}
       FROM read_parquet(${list(files)}, union_by_name = true) s ${only}
       QUALIFY row_number() OVER (PARTITION BY ${pk.map((k) => `s.${k}`).join(', ')} ORDER BY s.${et} DESC) = 1`;
    const on = pk.map((_k, j) => `r.__fs_k${j} = v.__fs_k${j}`).join(' AND ');
    // Only the keys the reverted ingest touched are looked up in what stays visible.
    const keysOfReverted = `SEMI JOIN (SELECT DISTINCT ${pk.join(', ')} FROM read_parquet(${list(spec.reverted)}, union_by_name = true)) rk ON ${pk.map((k) => `rk.${k} = s.${k}`).join(' AND ')}`;
    const sql =
      spec.remaining.length === 0
        ? `SELECT * FROM (${newest(spec.reverted, '__fs_r', '')}) r`
        : `SELECT r.*, v.* EXCLUDE (${pk.map((_k, j) => `__fs_k${j}`).join(', ')}), v.__fs_k0 IS NOT NULL AS __fs_found
           FROM (${newest(spec.reverted, '__fs_r', '')}) r LEFT JOIN (${newest(spec.remaining, '__fs_v', keysOfReverted)}) v ON ${on}`;
    const db = await this.connect();
    let keys = 0;
    try {
      const result = await db.stream(sql);
      for await (const batch of result.yieldRowObjectJson()) {
        throwIfAborted(signal);
        keys += batch.length;
        const pick = (row: Record<string, unknown>, prefix: string) => Object.fromEntries(features.map((f, i) => [f.name, row[`${prefix}${i}`]]));
        await onBatch(
          (batch as Record<string, unknown>[]).map((row) => ({
            reverted: pick(row, '__fs_r'),
            restored: row['__fs_found'] === true ? pick(row, '__fs_v') : undefined,
          })),
        );
      }
      return keys;
    } finally {
      db.closeSync();
    }
  }

  private async statisticsOf(db: DuckDBConnection, features: Feature[], files: string[], at: Date): Promise<Record<string, FeatureStatistics>> {
    // Wide schemas go in batches of columns: each distinct count holds hash tables of its own
    // (MBs per column, whatever the rows), so one statement over 2,000 columns would hold GBs at
    // once. Parquet is columnar: each batch reads only its own columns. (Measured at 2,000 columns:
    // batches of 25 hold 700 MiB, of 200 over 2 GiB; of 10, 620 MiB at 1.5x the time of 25.)
    const relation = `read_parquet(${list(files)}, union_by_name = true)`;
    const out: Record<string, FeatureStatistics> = {};
    for (let i = 0; i < features.length; i += STATISTICS_BATCH)
      Object.assign(out, await this.statisticsBatch(db, features.slice(i, i + STATISTICS_BATCH), relation, at));
    return out;
  }

  private async statisticsBatch(db: DuckDBConnection, features: Feature[], relation: string, at: Date): Promise<Record<string, FeatureStatistics>> {
    const distinctOf = (f: Feature) => !f.isList;
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
        // Squares of magnitudes past 1e150 overflow a double (DuckDB then fails the query): such
        // values are left out of the standard deviation.
        numeric ? `coalesce(stddev_samp(${c}) FILTER (WHERE abs(CAST(${c} AS DOUBLE)) < 1e150), 0)::DOUBLE AS s${i}` : `NULL AS s${i}`,
        distinctOf(f)
          ? `count(DISTINCT hash(${c})) FILTER (WHERE ${c} IS NOT NULL AND hash(${c}) < ${SAMPLE_BELOW}::UBIGINT)::BIGINT AS d${i}`
          : `NULL AS d${i}`,
      ].join(', ');
    });
    const row = (await db.runAndReadAll(`SELECT ${parts.join(', ')} FROM ${relation}`)).getRowObjectsJson()[0] ?? {};
    const sampled = (i: number) => Number(row[`d${i}`] ?? 0);
    const few = features.map((f, i) => ({ f, i })).filter(({ f, i }) => distinctOf(f) && sampled(i) < EXACT_BELOW_SAMPLED);
    const exact =
      few.length > 0
        ? ((
            await db.runAndReadAll(`SELECT ${few.map(({ f, i }) => `count(DISTINCT ${quoteIdent(f.name)})::BIGINT AS x${i}`).join(', ')} FROM ${relation}`)
          ).getRowObjectsJson()[0] ?? {})
        : {};
    const out: Record<string, FeatureStatistics> = {};
    features.forEach((f, i) => {
      out[f.name] = {
        count: Number(row[`c${i}`] ?? 0),
        nullCount: Number(row[`n${i}`] ?? 0),
        min: row[`lo${i}`] == null ? '' : String(row[`lo${i}`]),
        max: row[`hi${i}`] == null ? '' : String(row[`hi${i}`]),
        mean: Number(row[`m${i}`] ?? 0),
        stddev: Number(row[`s${i}`] ?? 0),
        approxDistinct: `x${i}` in exact ? Number(exact[`x${i}`]) : sampled(i) * SAMPLE_SCALE,
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

/** SQL for a column's online stored form: int64 as text, timestamps in µs, dates in days, bytes base64. */
function storedForm(f: Feature, c: string): string {
  const one = (x: string) => {
    switch (f.type) {
      case 'INT64':
        return `CAST(${x} AS VARCHAR)`;
      case 'FLOAT32':
        // The float's exact value as a double, as the online path stores it (Math.fround).
        return `CAST(${x} AS DOUBLE)`;
      case 'TIMESTAMP':
        return `epoch_us(${x})`;
      case 'DATE':
        return `(${x} - DATE '1970-01-01')::INTEGER`;
      case 'BYTES':
        return `to_base64(${x})`;
      default:
        return x;
    }
  };
  return f.isList ? `list_transform(${c}, x -> ${one('x')})` : one(c);
}

/**
 * Rows per Parquet row group: the writer holds a whole row group in memory, so wide schemas get
 * smaller groups (about 64 MiB of 8-byte values), between 2,048 rows and DuckDB's default 122,880.
 */
function rowGroupRows(columns: number): number {
  return Math.max(2048, Math.min(122_880, Math.floor((64 * 2 ** 20) / (8 * Math.max(1, columns)))));
}

/** A source value in a message: its first 60 characters, NUL shown as \0 (catalog text cannot hold it). */
function shown(column: string): string {
  return `replace(left(CAST(${column} AS VARCHAR), 60), chr(0), '\\0')`;
}

/**
 * A CSV source's reader with every column as text. DuckDB's sniffer runs once here: left to
 * read_csv it would run again in every query over the source, and on wide files it is slow
 * (about 4 s per query at 1,000 columns). The dialect it finds is what read_csv would use.
 */
async function sniffCsv(
  rows: (sql: string) => Promise<Record<string, unknown>[]>,
  files: string[],
  header: boolean,
  delim: string,
): Promise<{ reader: string; columns: string[] }> {
  const found = (
    await rows(
      `SELECT Delimiter, Quote, Escape, NewLineDelimiter, Comment, SkipRows, HasHeader, list_transform(Columns, c -> c.name) AS names
       FROM sniff_csv(${quoteLiteral(files[0]!)}, header = ${header}, delim = ${quoteLiteral(delim)})`,
    )
  )[0]!;
  const text = (v: unknown) => (v === '(empty)' || v === null || v === undefined ? '' : String(v));
  const columns = (found['names'] as unknown[]).map(String);
  const options = [
    'auto_detect = false',
    `header = ${found['HasHeader'] === true}`,
    `delim = ${quoteLiteral(text(found['Delimiter']))}`,
    `quote = ${quoteLiteral(text(found['Quote']))}`,
    `escape = ${quoteLiteral(text(found['Escape']))}`,
    `new_line = ${quoteLiteral(text(found['NewLineDelimiter']))}`,
    `comment = ${quoteLiteral(text(found['Comment']))}`,
    `skip = ${Number(found['SkipRows'] ?? 0)}`,
    `columns = {${columns.map((c) => `${quoteLiteral(c)}: 'VARCHAR'`).join(', ')}}`,
  ];
  return { reader: `read_csv(${list(files)}, ${options.join(', ')})`, columns };
}

/** The row count a COPY statement reports. */
function copied(result: Record<string, unknown>[]): number {
  return Number(Object.values(result[0] ?? {})[0] ?? 0);
}

/**
 * An engine error for a client: its cause kept ("Maximum line size of 2000000 bytes exceeded", not
 * just "CSV Error on Line: 1"), without the echoed line, local paths or DuckDB's error-class prefix.
 */
export function engineMessage(err: unknown): string {
  const lines = String((err as Error)?.message ?? err)
    .split('\n')
    .map((l) => l.trim())
    .filter(
      (l) =>
        l &&
        !/^(Original Line|Possible (Solution|fixes)|LINE \d+:|\^|\* )/i.test(l) &&
        !/^(file|position)\s*[:=]/i.test(l) &&
        !/\((Set By User|Auto-Detected)\)/i.test(l),
    );
  return lines
    .slice(0, 3)
    .join('; ')
    .replace(/^[A-Za-z ]*Error: /, '')
    .replace(/(^|[\s"'(])\/[^\s"',)]+/g, (path, before: string) => `${before}<${path.includes('featurestore-job-') ? 'source file' : 'file'}>`)
    .slice(0, 300);
}

// An ingest: read the source (CSV sniffed once), convert every value by the one rule, name bad rows
// exactly, write the new rows leaving out those already stored, and compute statistics.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgument, throwIfAborted, type ErrorDetail } from '../../../core/errors.js';
import { namesList } from '../../../core/messages.js';
import type { IngestPlan } from '../../../core/plans.js';
import type { IngestOutput } from '../../../core/ports/offline-engine.js';
import { quoteIdent, quoteLiteral } from '../../sql/quote.js';
import { convert, duckType } from './conversion.js';
import { copied, engineMessage, list, MAX_DETAILS, shown, text, type Db } from './sql.js';
import { statisticsOf } from './statistics.js';

/** Value checks per query when naming bad rows: wide sources are checked in slices of columns. */
const CHECK_BATCH = 250;
/** Beyond this many features the dedupe pass runs on one thread (see runIngest). */
const WIDE_DEDUPE_COLUMNS = 250;

/**
 * Runs an ingest plan on one connection. `threads` is the instance's thread count, restored after a
 * wide dedupe pass ran on one thread.
 */
export async function runIngest(
  db: Db,
  plan: IngestPlan,
  onProgress: (fraction: number, message: string) => void,
  signal: AbortSignal | undefined,
  threads: number,
): Promise<IngestOutput> {
  if (plan.source.files.length === 0) throw new InvalidArgument('matches no files', { field: 'source.uri' });
  const rows = db.rows;
  const step = async (fraction: number, message: string) => {
    throwIfAborted(signal);
    onProgress(fraction, message);
  };
  await step(0.05, 'reading the source');
  const csv = plan.source.format === 'CSV';
  // Every value converts by the one rule (duckdb-conversion.ts): CSV cells as text, JSON values
  // as JSON (so numbers keep their digits and kind), Parquet columns in their own types.
  let reader: string;
  const sourceTypes = new Map<string, string>();
  try {
    if (plan.source.format === 'PARQUET') {
      reader = `read_parquet(${list(plan.source.files)}, union_by_name = true)`;
      for (const r of await rows(`DESCRIBE SELECT * FROM ${reader}`)) sourceTypes.set(String(r['column_name']), String(r['column_type']));
    } else if (csv) {
      const sniffed = await sniffCsv(rows, plan.source.files, plan.source.csv.header ?? true, plan.source.csv.delimiter ?? ',');
      reader = sniffed.reader;
      for (const name of sniffed.columns) sourceTypes.set(name, 'VARCHAR');
    } else {
      const names = (await rows(`DESCRIBE SELECT * FROM read_json(${list(plan.source.files)}, format = 'newline_delimited', union_by_name = true)`)).map((r) =>
        String(r['column_name']),
      );
      reader = `read_json(${list(plan.source.files)}, format = 'newline_delimited', columns = {${names.map((n) => `${quoteLiteral(n)}: 'JSON'`).join(', ')}})`;
      for (const n of names) sourceTypes.set(n, 'JSON');
    }
  } catch (err) {
    throw new InvalidArgument(`cannot read the source as ${plan.source.format}: ${engineMessage(err)}`, { field: 'source', cause: err });
  }
  if (plan.distinct) reader = `(SELECT DISTINCT * FROM ${reader})`;
  const present = new Set(sourceTypes.keys());
  const features = plan.schema.features;
  const required = new Set([...plan.schema.primaryKey, plan.schema.eventTimeColumn]);
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
  if (extra.length > 0 && plan.extraColumns === 'FAIL') {
    throw new InvalidArgument(`the source has ${extra.length} column(s) the schema does not: ${namesList(extra)}`, {
      field: 'source',
      details: extra.slice(0, MAX_DETAILS).map((column) => ({ field: 'source', row: 0, column, message: 'not in the schema (extra_columns = FAIL)' })),
    });
  }

  await step(0.25, 'converting rows to the schema');
  const conversions = new Map(features.filter((f) => present.has(f.name)).map((f) => [f.name, convert(f, quoteIdent(f.name), sourceTypes.get(f.name)!)]));
  // Event times too far in the future are refused (such a row would win newest-wins online forever).
  const et = conversions.get(plan.schema.eventTimeColumn)!;
  const tooLate = plan.latestEventTime
    ? `coalesce(CAST(${et.value} AS TIMESTAMPTZ) > ${quoteLiteral(plan.latestEventTime.toISOString())}::TIMESTAMPTZ, false)`
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
      column: plan.schema.eventTimeColumn,
      when: tooLate,
      sql: `SELECT _row, ${quoteLiteral(plan.schema.eventTimeColumn)}, ${quoteLiteral(`is more than ${plan.latestEventTimeText ?? 'the allowed time'} in the future: `)} || CAST(${quoteIdent(plan.schema.eventTimeColumn)} AS VARCHAR) FROM bad_rows WHERE ${tooLate}`,
    });
    for (const name of required) {
      const c = conversions.get(name)!;
      const when = `${quoteIdent(name)} IS NULL OR (${c.value} IS NULL AND NOT ${c.bad})`;
      checks.push({
        column: name,
        when,
        sql: `SELECT _row, ${quoteLiteral(name)} AS col, ${quoteLiteral(nullDetail(plan, 0, name).message)} AS msg FROM bad_rows WHERE ${when}`,
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
  const file = join(plan.outputDir, 'part-0.parquet');
  const columns = features.map((f) => quoteIdent(f.name)).join(', ');
  const toParquet = `(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${rowGroupRows(features.length)})`;
  const selected = features.map((f) => `${conversions.get(f.name)?.value ?? `NULL::${duckType(f)}`} AS ${quoteIdent(f.name)}`).join(', ');
  const bad = [...[...conversions.values()].map((c) => c.bad), ...nullRequired, tooLate].join(' OR ');
  const converted = `(SELECT ${selected} FROM ${reader} WHERE CASE WHEN ${bad} THEN error('featurestore: row does not fit the schema') ELSE true END)`;
  let inputRows: number;
  let written: number;
  try {
    if (plan.existing.length === 0) {
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
      const range = (await rows(`SELECT count(*)::BIGINT AS n, min(${et.value})::VARCHAR AS lo, max(${et.value})::VARCHAR AS hi FROM ${reader}`))[0];
      inputRows = Number(range['n'] ?? 0);
      await step(0.3, 'converting rows to the schema, leaving out rows already stored');
      const etName = quoteIdent(plan.schema.eventTimeColumn);
      const etType = duckType(byName.get(plan.schema.eventTimeColumn)!);
      const pk = plan.schema.primaryKey.map(quoteIdent);
      const within =
        range['lo'] == null || range['hi'] == null
          ? 'false'
          : `${etName} BETWEEN ${quoteLiteral(text(range['lo']))}::${etType} AND ${quoteLiteral(text(range['hi']))}::${etType}`;
      // The stored side first, in a table of its own: its wide scan is over before the source's.
      await db.run(
        `CREATE OR REPLACE TEMP TABLE stored_rows AS SELECT ${[...pk, etName].join(', ')}, hash(${columns}) AS __fs_h FROM read_parquet(${list(plan.existing)}, union_by_name = true) WHERE ${within}`,
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
        if (narrow) await db.run(`SET threads = ${threads}`);
      }
      await db.run('DROP TABLE stored_rows');
    }
  } catch (err) {
    await rm(file, { force: true });
    throwIfAborted(signal);
    const { badRows, details } = await problemsIn().catch((cause: unknown) => {
      throw new InvalidArgument(`the ${plan.source.format} source could not be read; nothing was ingested: ${engineMessage(cause)}`, {
        field: 'source',
        cause,
      });
    });
    if (badRows > 0) throw new InvalidArgument(`${badRows} row(s) do not fit the schema; nothing was ingested`, { field: 'source', details });
    // Not a bad value: lines the reader refused (column count, quoting, line size).
    throw new InvalidArgument(`the ${plan.source.format} source could not be read; nothing was ingested: ${engineMessage(err)}`, {
      field: 'source',
      cause: err,
    });
  }
  const duplicateRows = inputRows - written;
  const files: string[] = [];
  if (written > 0) files.push(file);
  else await rm(file, { force: true });

  await step(0.8, 'computing statistics');
  const visible = [...plan.existing, ...files];
  const statistics = visible.length > 0 ? await statisticsOf(db, features, visible, plan.ingestTime) : {};
  await step(1, 'done');
  return { files, inputRows, rows: written, duplicateRows, droppedColumns: extra, missingColumns: missing, statistics };
}

function nullDetail(plan: IngestPlan, row: number, column: string): ErrorDetail {
  const what = column === plan.schema.eventTimeColumn ? 'the event time' : 'part of the primary key';
  return { field: 'source', row, column, message: `is null but is ${what}` };
}

/**
 * Rows per Parquet row group: the writer holds a whole row group in memory, so wide schemas get
 * smaller groups (about 64 MiB of 8-byte values), between 2,048 rows and DuckDB's default 122,880.
 */
function rowGroupRows(columns: number): number {
  return Math.max(2048, Math.min(122_880, Math.floor((64 * 2 ** 20) / (8 * Math.max(1, columns)))));
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
       FROM sniff_csv(${quoteLiteral(files[0])}, header = ${header}, delim = ${quoteLiteral(delim)})`,
    )
  )[0];
  const option = (v: unknown) => (v === '(empty)' ? '' : text(v));
  const columns = (found['names'] as unknown[]).map(String);
  const options = [
    'auto_detect = false',
    `header = ${found['HasHeader'] === true}`,
    `delim = ${quoteLiteral(option(found['Delimiter']))}`,
    `quote = ${quoteLiteral(option(found['Quote']))}`,
    `escape = ${quoteLiteral(option(found['Escape']))}`,
    `new_line = ${quoteLiteral(option(found['NewLineDelimiter']))}`,
    `comment = ${quoteLiteral(option(found['Comment']))}`,
    `skip = ${Number(found['SkipRows'] ?? 0)}`,
    `columns = {${columns.map((c) => `${quoteLiteral(c)}: 'VARCHAR'`).join(', ')}}`,
  ];
  return { reader: `read_csv(${list(files)}, ${options.join(', ')})`, columns };
}

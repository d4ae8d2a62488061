// A point-in-time training set: the entity table checked, then one ASOF join per feature set side
// with TTL and ties broken by ingest order.
import { InvalidArgument, throwIfAborted } from '../../../core/errors.js';
import { namesList } from '../../../core/messages.js';
import type { TrainingSetPlan } from '../../../core/plans.js';
import type { RetrieveOutput } from '../../../core/ports/offline-engine.js';
import { outputColumnNames } from '../../../core/training-sets.js';
import { quoteIdent, quoteLiteral } from '../../sql/quote.js';
import { convert, duckType } from './conversion.js';
import { outputFile } from './retrieve.js';
import { copied, copyFormat, engineMessage, list, MAX_DETAILS, shown, text, type Db } from './sql.js';

export async function runTrainingSet(
  db: Db,
  plan: TrainingSetPlan,
  onProgress: (fraction: number, message: string) => void,
  signal?: AbortSignal,
): Promise<RetrieveOutput> {
  if (plan.entities.files.length === 0) throw new InvalidArgument('matches no files', { field: 'entities' });
  const rows = db.rows;
  const step = (fraction: number, message: string) => {
    throwIfAborted(signal);
    onProgress(fraction, message);
  };
  step(0.05, 'reading the entity table');
  const ts = plan.timestampColumn;
  const files = list(plan.entities.files);
  // The timestamp and key columns are read as text (CSV) or JSON (JSON lines) and converted by
  // the one rule, so UTC offsets count, keys keep their digits, and bad values are reported
  // rather than rounded or nulled. Other columns are kept as the reader types them.
  const keyNames = new Set(plan.sides.flatMap((s) => s.entityKey));
  const exact = new Set([ts, ...keyNames]);
  const csvArgs = `header = ${plan.entities.csv.header ?? true}, delim = ${quoteLiteral(plan.entities.csv.delimiter ?? ',')}`;
  const detected =
    plan.entities.format === 'CSV'
      ? `read_csv(${files}, ${csvArgs})`
      : plan.entities.format === 'PARQUET'
        ? `read_parquet(${files}, union_by_name = true)`
        : `read_json(${files}, format = 'newline_delimited', union_by_name = true)`;
  let columns: string[];
  const sourceTypes = new Map<string, string>();
  try {
    const described = (await rows(`DESCRIBE SELECT * FROM ${detected}`)).map((r) => ({ name: String(r['column_name']), type: String(r['column_type']) }));
    const pinned = described.filter((c) => exact.has(c.name));
    const reader =
      plan.entities.format === 'CSV' && pinned.length > 0
        ? `read_csv(${files}, ${csvArgs}, types = {${pinned.map((c) => `${quoteLiteral(c.name)}: 'VARCHAR'`).join(', ')}})`
        : plan.entities.format === 'JSONL'
          ? `read_json(${files}, format = 'newline_delimited', columns = {${described.map((c) => `${quoteLiteral(c.name)}: ${quoteLiteral(exact.has(c.name) ? 'JSON' : c.type)}`).join(', ')}})`
          : detected;
    await db.run(`CREATE OR REPLACE TEMP TABLE entities AS SELECT row_number() OVER () AS __fs_row, * FROM ${reader}`);
    for (const r of await rows('DESCRIBE entities')) sourceTypes.set(String(r['column_name']), String(r['column_type']));
    sourceTypes.delete('__fs_row');
    columns = [...sourceTypes.keys()];
  } catch (err) {
    throw new InvalidArgument(`cannot read the entity table as ${plan.entities.format}: ${engineMessage(err)}`, { field: 'entities', cause: err });
  }
  const present = new Set(columns);
  const needed = [ts, ...keyNames];
  const absent = needed.filter((c) => !present.has(c));
  if (absent.length > 0) {
    throw new InvalidArgument(`the entity table lacks column(s) ${absent.join(', ')} (the timestamp column and every primary-key column of the feature sets)`, {
      field: 'entities',
      details: absent.map((column) => ({ field: 'entities', row: 0, column, message: 'missing' })),
    });
  }
  const reserved = columns.filter((c) => c.startsWith('__fs_'));
  if (reserved.length > 0) throw new InvalidArgument(`entity column names may not start with __fs_: ${namesList(reserved)}`, { field: 'entities' });

  step(0.15, 'checking entity timestamps and keys');
  const names = outputColumnNames(columns, plan.sides);
  const keyCasts = plan.sides.flatMap((side, i) =>
    side.schema.primaryKey.map((k, j) => {
      const f = side.schema.features.find((x) => x.name === k)!;
      // `column` is the entity table's (a view may map it), `keyColumn` the feature set's.
      const column = side.entityKey[j];
      return { side: i, alias: `__fs_k${i}_${j}`, column, keyColumn: k, type: duckType(f), ...convert(f, quoteIdent(column), sourceTypes.get(column)!) };
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
    throw new InvalidArgument(`${text(bad[0]['n'])} entity row(s) have a bad timestamp or key; nothing was written`, {
      field: 'entities',
      details: bad.map((b) => ({ field: 'entities', row: Number(b['r']), column: String(b['col']), message: String(b['msg']) })),
    });
  }

  step(0.3, 'joining point in time');
  // Ties on event time go to the later ingest: with several ingests the join orders by event
  // time, then ingest rank, packed into one integer (microseconds * R + rank, R the next power
  // of two). BIGINT keeps the join as fast as a plain one; timestamps too far out for it make
  // DuckDB raise an overflow, and the join runs again on HUGEINT.
  const ingestsOf = plan.sides.map((side) => side.ingests.filter((f) => f.length > 0));
  const ranks = ingestsOf.map((ingests) => (ingests.length > 1 ? 2 ** Math.ceil(Math.log2(ingests.length)) : 0));
  const file = outputFile(plan.outputDir, plan.format);
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
    plan.sides.forEach((side, i) => {
      const et = quoteIdent(side.schema.eventTimeColumn);
      const keys = keyCasts.filter((k) => k.side === i);
      const cols = [
        ...keys.map((k) => `${quoteIdent(k.keyColumn)} AS ${k.alias}`),
        `${et}::TIMESTAMPTZ AS __fs_et${i}`,
        ...side.features.map((f, j) => `${quoteIdent(f)} AS __fs_f${i}_${j}`),
      ];
      const ingests = ingestsOf[i];
      const r = ranks[i];
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
        selected.push(`${fresh ? `CASE WHEN ${fresh} THEN ${value} END` : value} AS ${quoteIdent(names[i][j])}`);
      });
    });
    return `COPY (WITH ${ctes.join(', ')} SELECT ${selected.join(', ')} FROM e ${joins.join(' ')} ORDER BY e.__fs_row)
           TO ${quoteLiteral(file)} (${copyFormat(plan.format)})`;
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
}

import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import type { Command } from 'commander';
import { parse as parseLossless, stringify as stringifyLossless } from 'lossless-json';
import { RowStatus } from '../../shared/gen/featurestore/v1/retrieve.js';
import type { Feature } from '../../shared/gen/featurestore/v1/common.js';
import { timestampToIso } from '../../shared/runtime/api/proto-time.js';
import { unary } from '../client.js';
import { table } from '../format.js';
import { action, examples, listOption, print, readStdin, versioned } from '../program.js';
import { jsonToValue, textToValue, valueToJson } from '../values.js';

/** Rows per IngestOnline call from `online put` (the server's default limit is 5,000). */
const ONLINE_BATCH = 1000;

export function onlineCommands(program: Command): void {
  const online = program.command('online').description('write and read rows in the online store');

  online
    .command('put <project> <featureSet> [rows...]')
    .description('write rows given as JSON objects (or JSON lines on stdin with -); the newest event time per entity wins')
    .addHelpText(
      'after',
      examples(
        'featurestore online put fraud transactions \'{"customer_id":"c001","event_time":"2026-11-20T00:00:00Z","amount":12.5}\'',
        'cat rows.jsonl | featurestore online put fraud transactions -',
      ),
    )
    .action(
      action(async (c, opts, project: string, arg: string, given: string[]) => {
        const { name, version } = versioned(arg);
        const fs = await unary(c.featureSets, c.featureSets.getFeatureSet, { project, name, version });
        // Each row remembers its input line (stdin) or argument number, so errors point at it.
        const lines =
          given.length === 1 && given[0] === '-'
            ? (await readStdin()).split('\n').flatMap((text, i) => (text.trim() ? [{ text, at: `line ${i + 1}` }] : []))
            : given.map((text, i) => ({ text, at: `row ${i + 1}` }));
        if (lines.length === 0)
          throw new Error('give rows as JSON objects, e.g. \'{"user_id":"u1","ts":"2026-11-01T00:00:00Z","score":0.5}\', or - for JSON lines on stdin');
        const features = fs.schema?.features ?? [];
        const byName = new Map(features.map((f) => [f.name, f]));
        const objects = lines.map(({ text, at }) => {
          let o: unknown;
          try {
            o = parseLossless(text);
          } catch (err) {
            throw new Error(`${at}: not JSON (${(err as Error).message})`, { cause: err });
          }
          if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new Error(`${at}: not a JSON object`);
          return o as Record<string, unknown>;
        });
        const columns = [...new Set(objects.flatMap((o) => Object.keys(o)))];
        const rows = objects.map((o, i) => ({
          // Unknown columns go as strings: the server names them in its per-row errors.
          values: columns.map((col) => {
            if (!byName.has(col)) return { kind: { $case: 'stringValue' as const, value: shown(o[col]) } };
            try {
              return jsonToValue(byName.get(col)!, o[col]);
            } catch (err) {
              throw new Error(`${lines[i].at}: ${(err as Error).message}`, { cause: err });
            }
          }),
        }));
        // Batches below the server's row limit: a batch it refuses as too large is sent again in halves.
        let accepted = 0;
        const errors: { at: string; column: string; message: string }[] = [];
        const send = async (from: number, to: number): Promise<void> => {
          try {
            const res = await unary(c.ingest, c.ingest.ingestOnline, { featureSet: { project, name, version }, columns, rows: rows.slice(from, to) });
            accepted += res.accepted;
            errors.push(...res.errors.map((e) => ({ at: lines[from + Number(e.row)]?.at ?? `row ${e.row}`, column: e.column, message: e.message })));
          } catch (err) {
            if ((err as ServiceError).code !== GrpcStatus.RESOURCE_EXHAUSTED || to - from < 2) throw err;
            const mid = from + Math.ceil((to - from) / 2);
            await send(from, mid);
            await send(mid, to);
          }
        };
        for (let from = 0; from < rows.length; from += ONLINE_BATCH) await send(from, Math.min(rows.length, from + ONLINE_BATCH));
        print(opts, { accepted, errors }, () =>
          [`${accepted} of ${rows.length} row(s) written`, ...errors.map((e) => `  ${e.at}${e.column ? `, column ${e.column}` : ''}: ${e.message}`)].join('\n'),
        );
        if (errors.length > 0) process.exitCode = 1;
      }),
    );

  online
    .command('get <project> <featureSet> <keys...>')
    .description('read entities by key: each key is its primary-key values, comma-separated (u1 or u1,42); with --view, a feature view and its entity columns')
    .option('--features <names>', 'features to return, comma-separated; all when omitted', listOption, [])
    .option('--view', 'the name is a feature view (name:3 for version 3): every feature of its feature sets in one call')
    .addHelpText(
      'after',
      examples('featurestore online get fraud transactions c001 c002 --features amount,country', 'featurestore online get fraud model c001 --view'),
    )
    .action(
      action(async (c, opts, project: string, arg: string, keys: string[], o: { features: string[]; view?: boolean }) => {
        const { name, version } = versioned(arg);
        // The key's features: a feature set's primary key, or a view's entity columns (typed by the sets they fill).
        let pk;
        if (o.view) {
          const view = await unary(c.featureViews, c.featureViews.getFeatureView, { project, name, version });
          const types = new Map<string, Feature>();
          for (const s of view.sources) {
            const [sp, sn] = s.featureSet.split('/');
            const fs = await unary(c.featureSets, c.featureSets.getFeatureSet, { project: sp, ...versioned(sn) });
            s.keyColumns.forEach((col, j) => types.set(col, { ...fs.schema!.features.find((f) => f.name === fs.schema!.primaryKey[j])!, name: col }));
          }
          pk = view.entityColumns.map((col) => types.get(col)!);
        } else {
          const fs = await unary(c.featureSets, c.featureSets.getFeatureSet, { project, name, version });
          pk = (fs.schema?.primaryKey ?? []).map((k) => fs.schema!.features.find((f) => f.name === k)!);
        }
        const parsed = keys.map((k) => {
          const parts = k.split(',');
          if (parts.length !== pk.length) throw new Error(`key "${k}" has ${parts.length} part(s); the key is ${pk.map((f) => f.name).join(', ')}`);
          return { values: parts.map((p, i) => textToValue(pk[i], p)) };
        });
        const res = await unary(
          c.retrieve,
          c.retrieve.retrieveOnline,
          o.view
            ? { featureView: { project, name, version }, keys: parsed, features: o.features }
            : { featureSet: { project, name, version }, keys: parsed, features: o.features },
        );
        const status = (s: RowStatus) => (RowStatus[s] ?? '').replace('ROW_STATUS_', '');
        const out: Record<string, unknown>[] = res.rows.map((r, i) => ({
          key: keys[i],
          status: status(r.status),
          ...(r.setStatuses.length > 0 ? { sets: Object.fromEntries(res.featureSets.map((s, j) => [s, status(r.setStatuses[j])])) } : {}),
          eventTime: r.eventTime ? timestampToIso(r.eventTime) : null,
          ...Object.fromEntries(res.featureNames.map((f, j) => [f, r.values[j] === undefined ? null : valueToJson(r.values[j])])),
        }));
        print(opts, out, () =>
          table(
            ['KEY', 'STATUS', 'EVENT TIME', ...res.featureNames.map((f) => f.toUpperCase())],
            out.map((r) => [r['key'], r['status'], r['eventTime'] ?? '', ...res.featureNames.map((f) => r[f]).map(shown)].map(String)),
          ),
        );
      }),
    );
}

/** A JSON value as a table cell or a string value: text as it is, anything else as JSON. */
function shown(v: unknown): string {
  if (v === null || v === undefined) return '';
  // lossless-json writes its numbers with every digit (JSON.stringify would not).
  return typeof v === 'string' ? v : (stringifyLossless(v) ?? '');
}

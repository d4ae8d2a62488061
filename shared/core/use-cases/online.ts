import { InvalidArgument, NotFound, PermissionDenied, ResourceExhausted } from '../errors.js';
import type { Feature, FeatureSet, FeatureView } from '../model.js';
import { encodeEntityKey, eventTimeMicros, expiryMicros, storedFeatures } from '../online-values.js';
import { encodeStoredRow, nullFields, pickFields, pushStoredValues, storedValues } from '../online-format.js';
import { joinedEntries, joinedValuesAt, wholeJoinedTime } from '../online-joined.js';
import { checkValue, isError, type StoredValue, type TypedValue } from '../values.js';
import type { Authorizer } from '../ports/authorizer.js';
import { allWithheld, hasSensitiveFeatures, withheldFeatures } from '../sensitive.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { OnlineLog } from '../ports/online-log.js';
import type { OnlineEntry, OnlineStore, OnlineTable } from '../ports/online-store.js';
import type { Principal } from '../principal.js';
import { futureText } from '../messages.js';
import { createFeatureSetResolver } from './resolve-feature-set.js';
import { resolveViewForData, type FeatureViewRef } from './feature-views.js';

export interface OnlineLimits {
  /** Rows per IngestOnline call. */
  maxRows: number;
  /** Keys per RetrieveOnline call. */
  maxKeys: number;
  /** Bytes of one stored row. */
  maxRowBytes: number;
  /** How far past now an event time may be (a row stamped 9999-12-31 would win newest-wins forever). */
  maxFutureMs: number;
}

export interface RowError {
  row: number;
  column: string;
  message: string;
}

/** PARTIAL: a feature view's row whose feature sets disagree (setStatuses says which). */
export type RowStatus = 'PRESENT' | 'MISSING' | 'EXPIRED' | 'PARTIAL';

/** An online row with its values as stored, for the encoder that writes the answer from them. */
export interface StoredOnlineRow {
  /**
   * The row's values in wire form (shared/core/online-format.ts): slices of the stored entries whose
   * concatenation is one featurestore.v1.OnlineRow `values` field per feature, in featureNames order.
   */
  values: Uint8Array[];
  /** Where each piece of `values` begins in its buffer (a read entry's bytes, no view made); 0 for all when absent. */
  starts?: number[];
  eventTimeMicros?: number;
  status: RowStatus;
  /** A feature view's row: each feature set's status, aligned with StoredOnlineAnswer.featureSets. */
  setStatuses?: readonly Exclude<RowStatus, 'PARTIAL'>[];
}

/** What an online read answers, values as stored. */
export interface StoredOnlineAnswer {
  /** The same array for every full read of a feature set version (encoders may cache by identity). */
  featureNames: readonly string[];
  rows: StoredOnlineRow[];
  withheld: string[];
  /** A feature view's answer: its feature sets as "project/feature_set:major". */
  featureSets?: readonly string[];
}

/**
 * Feature set versions for the online hot path, kept in memory: at most one catalog read per
 * version per `maxAgeMs`, and `invalidate` (called as catalog changes commit) drops a feature
 * set at once. A missing feature set is cached too, for the same time, so unknown names cannot
 * turn every read into a catalog query.
 */
export function createRegistryCache(store: MetadataStore, options: { maxAgeMs: number; now?: () => number }) {
  const now = options.now ?? Date.now;
  const entries = new Map<string, { at: number; value: Promise<FeatureSet | undefined> }>();
  const views = new Map<string, { at: number; value: Promise<FeatureView | undefined> }>();
  /** From `cache` when read within maxAgeMs; a failed read is not kept. */
  function cached<T>(cache: Map<string, { at: number; value: Promise<T> }>, id: string, read: () => Promise<T>): Promise<T> {
    const hit = cache.get(id);
    if (hit && now() - hit.at < options.maxAgeMs) return hit.value;
    const value = read();
    cache.set(id, { at: now(), value });
    value.catch(() => cache.delete(id));
    return value;
  }
  return {
    /** A feature view version (the latest without `version`), like `get`. */
    getView(project: string, name: string, version?: number): Promise<FeatureView | undefined> {
      return cached(views, `${project}/${name}@${version ?? ''}`, () => store.getFeatureView(project, name, version));
    },
    /** Drops a feature view's versions. */
    invalidateView(project: string, name: string): void {
      for (const id of views.keys()) if (id.startsWith(`${project}/${name}@`)) views.delete(id);
    },
    /** A feature set version (the latest without `version`), from memory when read within maxAgeMs. */
    get(project: string, name: string, version?: { major: number; minor?: number }): Promise<FeatureSet | undefined> {
      return cached(entries, `${project}/${name}@${version?.major ?? ''}.${version?.minor ?? ''}`, () => store.getFeatureSet(project, name, version));
    },
    /** Drops a feature set's versions, or with no name every feature set of the project. */
    invalidate(project: string, name?: string): void {
      const prefix = name === undefined ? `${project}/` : `${project}/${name}@`;
      for (const id of entries.keys()) if (id.startsWith(prefix)) entries.delete(id);
      if (name === undefined) for (const id of views.keys()) if (id.startsWith(prefix)) views.delete(id);
    },
    clear(): void {
      entries.clear();
      views.clear();
    },
  };
}

export type RegistryCache = ReturnType<typeof createRegistryCache>;

/** The read layout of a feature set version, derived once per cached definition (hot path). */
const layouts = new WeakMap<
  FeatureSet,
  { stored: Feature[]; names: readonly string[]; position: Map<string, number>; keyFeatures: Feature[]; table: OnlineTable }
>();
function layoutOf(fs: FeatureSet) {
  let layout = layouts.get(fs);
  if (!layout) {
    const stored = storedFeatures(fs.schema);
    layout = {
      stored,
      // One array per definition: encoders may cache what they derive from it (by identity).
      names: Object.freeze(stored.map((f) => f.name)),
      position: new Map(stored.map((f, i) => [f.name, i])),
      keyFeatures: fs.schema.primaryKey.map((k) => fs.schema.features.find((f) => f.name === k)!),
      // One object per definition: a store may keep what it derives from it (Redis: its key prefix).
      table: Object.freeze({ project: fs.project, featureSet: fs.name, major: fs.major }),
    };
    layouts.set(fs, layout);
  }
  return layout;
}

/**
 * What a feature view's reads share (hot path): its output names and set names as one frozen array
 * each (the answer encoder caches their bytes by identity), and the statuses of a row every set has.
 */
const viewLayouts = new WeakMap<FeatureView, { names: readonly string[]; featureSets: readonly string[]; allPresent: readonly 'PRESENT'[] }>();
function viewLayoutOf(view: FeatureView) {
  let layout = viewLayouts.get(view);
  if (!layout) {
    layout = {
      names: Object.freeze([...view.featureNames]),
      featureSets: Object.freeze(view.sources.map((s) => `${s.project}/${s.featureSet}:${s.major}`)),
      allPresent: Object.freeze(view.sources.map(() => 'PRESENT' as const)),
    };
    viewLayouts.set(view, layout);
  }
  return layout;
}

/** `count` null value fields, made once per count. */
const nullsByCount: Buffer[] = [];
const nullsOf = (count: number) => (nullsByCount[count] ??= nullFields(count));

/** Online ingest (the ingest function) and online reads (the retrieve function). */
export function createOnlineUseCases(d: { registry: RegistryCache; online: OnlineStore; log: OnlineLog; authorizer: Authorizer; limits: OnlineLimits }) {
  // The online path reads definitions from the in-memory registry, not the catalog.
  const featureSet = createFeatureSetResolver({ authorizer: d.authorizer, lookup: (project, name, version) => d.registry.get(project, name, version) });

  return {
    /**
     * Validates every row against the schema; valid rows are written (newest event time per entity
     * wins), invalid ones come back as per-row errors. Every row carries all features: a feature
     * whose column is absent is stored as null.
     */
    async ingest(
      principal: Principal,
      input: { project: string; featureSet: string; version: string; columns: string[]; rows: TypedValue[][] },
      signal?: AbortSignal,
    ): Promise<{ accepted: number; errors: RowError[] }> {
      const fs = await featureSet(principal, input, 'featureSet.update', signal);
      if (input.rows.length > d.limits.maxRows) {
        throw new ResourceExhausted(`has ${input.rows.length} rows; send at most ${d.limits.maxRows} per call`, { field: 'rows' });
      }
      const seen = new Set<string>();
      input.columns.forEach((c, i) => {
        if (seen.has(c)) throw new InvalidArgument(`"${c.slice(0, 80)}" appears twice`, { field: `columns[${i}]` });
        seen.add(c);
      });
      const schema = fs.schema;
      const byName = new Map(schema.features.map((f) => [f.name, f]));
      const unknown = input.columns.filter((c) => !byName.has(c));
      const absentRequired = [...schema.primaryKey, schema.eventTimeColumn].filter((c) => !seen.has(c));
      const stored = storedFeatures(schema);
      const index = new Map(input.columns.map((c, i) => [c, i]));
      const errors: RowError[] = [];
      const entries: OnlineEntry[] = [];
      const latest = (Date.now() + d.limits.maxFutureMs) * 1000;
      const logged: StoredValue[][] = [];
      input.rows.forEach((row, r) => {
        const rowErrors: RowError[] = [
          ...unknown.map((column) => ({ row: r, column, message: 'is not a feature of this feature set' })),
          ...absentRequired.map((column) => ({ row: r, column, message: 'is required (primary key or event time) but missing' })),
        ];
        if (row.length !== input.columns.length)
          rowErrors.push({ row: r, column: '', message: `has ${row.length} values for ${input.columns.length} columns` });
        if (rowErrors.length > 0) return void errors.push(...rowErrors);
        const values = new Map<string, StoredValue>();
        for (const [c, i] of index) {
          const f = byName.get(c)!;
          const v = checkValue(f, row[i]);
          if (isError(v)) rowErrors.push({ row: r, column: c, message: v.error });
          else values.set(c, v);
        }
        for (const k of [...schema.primaryKey, schema.eventTimeColumn]) {
          if (values.get(k) === null) rowErrors.push({ row: r, column: k, message: 'is null but is part of the primary key or the event time' });
        }
        if (rowErrors.length > 0) return void errors.push(...rowErrors);
        const value = encodeStoredRow(
          stored,
          stored.map((f) => values.get(f.name) ?? null),
        );
        if (value.length > d.limits.maxRowBytes) {
          return void errors.push({ row: r, column: '', message: `is ${value.length} bytes stored; at most ${d.limits.maxRowBytes} are allowed` });
        }
        const et = byName.get(schema.eventTimeColumn)!;
        const at = eventTimeMicros(et, values.get(et.name)!);
        if (at > latest) {
          return void errors.push({
            row: r,
            column: et.name,
            message: `is more than ${futureText(d.limits.maxFutureMs)} in the future (FEATURESTORE_MAX_FUTURE_SECONDS)`,
          });
        }
        entries.push({
          key: encodeEntityKey(schema.primaryKey.map((k) => values.get(k)!)),
          eventTimeMicros: at,
          value,
          expireAtMicros: expiryMicros(fs.ttlSeconds, at),
        });
        logged.push(schema.features.map((f) => values.get(f.name) ?? null));
      });
      if (entries.length > 0) {
        const table = { project: fs.project, featureSet: fs.name, major: fs.major };
        // The log first: once a row is online it is also on its way offline. A failure after the
        // append (the client retries) logs a row twice; the offline side keeps one of equal rows.
        await d.log.append(table, logged, signal);
        await d.online.put(table, entries, signal);
      }
      return { accepted: entries.length, errors };
    },

    /** One row per key, in order: PRESENT with values, MISSING, or EXPIRED (older than the TTL). */
    /** Reads entities by key, values as stored (the retrieve function encodes them straight into its answer). */
    async readStored(
      principal: Principal,
      input: { project: string; featureSet: string; version: string; keys: TypedValue[][]; features: string[] },
      signal?: AbortSignal,
    ): Promise<StoredOnlineAnswer> {
      const fs = await featureSet(principal, input, 'featureSet.readData', signal);
      if (input.keys.length === 0) throw new InvalidArgument('is required: at least one entity key', { field: 'keys' });
      if (input.keys.length > d.limits.maxKeys)
        throw new ResourceExhausted(`has ${input.keys.length} keys; ask for at most ${d.limits.maxKeys} per call`, { field: 'keys' });
      const schema = fs.schema;
      const { stored, names, position, keyFeatures, table } = layoutOf(fs);
      input.features.forEach((f, i) => {
        if (!position.has(f)) {
          const isKey = schema.features.some((x) => x.name === f);
          throw new NotFound(isKey ? `"${f}" is the key or event time, not a stored feature` : `"${f}" is not a feature of ${fs.project}/${fs.name}`, {
            field: `features[${i}]`,
          });
        }
      });
      const asked = input.features.length > 0 ? input.features : names;
      const hidden = await withheldFeatures(d.authorizer, principal, fs, signal);
      const withheld = hidden.length === 0 ? hidden : asked.filter((n) => hidden.includes(n));
      const wanted = withheld.length === 0 ? asked : asked.filter((n) => !hidden.includes(n));
      if (wanted.length === 0 && asked.length > 0) throw allWithheld(fs, 'features');
      const keys = input.keys.map((values, i) => {
        if (values.length !== keyFeatures.length)
          throw new InvalidArgument(`has ${values.length} values; the key is ${schema.primaryKey.join(', ')}`, { field: `keys[${i}]` });
        return encodeEntityKey(values.map((v, j) => keyValue(keyFeatures[j], v, i, j)));
      });
      const entries = await d.online.get(table, keys, signal);
      const now = Date.now() * 1000;
      const ttl = fs.ttlSeconds == null ? undefined : fs.ttlSeconds * 1e6;
      const positions = wanted.map((n) => position.get(n)!);
      const whole = isEveryFeature(positions, stored.length);
      const rows = entries.map((e): StoredOnlineRow => {
        if (!e) return { values: [], status: 'MISSING' };
        const eventTimeMicros = e.eventTimeMicros;
        if (ttl !== undefined && now - eventTimeMicros > ttl) return { values: [], eventTimeMicros, status: 'EXPIRED' };
        if (!whole) return { values: pickFields(storedValues(stored, e.value), positions, stored.length), eventTimeMicros, status: 'PRESENT' };
        const values: Uint8Array[] = [];
        const starts: number[] = [];
        pushStoredValues(values, starts, stored, e);
        return { values, starts, eventTimeMicros, status: 'PRESENT' };
      });
      return { featureNames: wanted, rows, withheld };
    },

    /**
     * Reads entities through a feature view: every feature set in one round trip to the store, one
     * row per key (the view's entity columns) with each set's status; values of sets without a
     * present row are null, and the row's event time is the oldest of the present sets'.
     */
    async readView(principal: Principal, input: { view: FeatureViewRef; keys: TypedValue[][] }, signal?: AbortSignal): Promise<StoredOnlineAnswer> {
      const { view, sets } = await resolveViewForData(
        { lookupView: (p, n, v) => d.registry.getView(p, n, v), resolve: featureSet, authorizer: d.authorizer },
        principal,
        input.view,
        'feature_view',
        signal,
      );
      if (input.keys.length === 0) throw new InvalidArgument('is required: at least one entity key', { field: 'keys' });
      if (input.keys.length > d.limits.maxKeys)
        throw new ResourceExhausted(`has ${input.keys.length} keys; ask for at most ${d.limits.maxKeys} per call`, { field: 'keys' });
      const columns = view.entityColumns;
      // What every read of this view version over these set versions shares is made once (plan);
      // only the sets with sensitive features are looked at per caller.
      const plan = viewPlanOf(view, sets);
      const parts = plan.sensitive
        ? await Promise.all(
            plan.parts.map(async (part, s) => {
              if (!hasSensitiveFeatures(part.fs)) return part;
              const hidden = await withheldFeatures(d.authorizer, principal, part.fs, signal);
              return hidden.length === 0 ? part : viewPart(view, s, part.fs, plan.keyGroupOf[s], hidden);
            }),
          )
        : plan.parts;
      const withheld = parts.flatMap((p) => p.withheld);
      if (parts.every((p) => p.positions.length === 0)) {
        throw new PermissionDenied(`every feature of feature view ${view.project}/${view.name} is sensitive; reading them needs the sensitive consumer role`, {
          field: 'feature_view',
        });
      }
      input.keys.forEach((values, i) => {
        if (values.length !== columns.length)
          throw new InvalidArgument(`has ${values.length} values; the view's key is ${columns.join(', ')}`, { field: `keys[${i}]` });
      });
      // Sets keyed alike (the same entity columns, the same key types: the usual view) share the encoded keys.
      const encoded = plan.keyGroups.map((g) =>
        input.keys.map((values, i) => encodeEntityKey(g.keyAt.map((c, j) => keyValue(g.keyFeatures[j], values[c], i, c)))),
      );
      const now = Date.now() * 1000;
      const layout = viewLayoutOf(view);
      const rows = new Array<StoredOnlineRow>(input.keys.length);
      // Sets keyed alike may be kept joined (one entry per entity for all of them): keys without a
      // joined entry, or every key when the store keeps none, are read from the sets themselves.
      const joined = plan.joined ? await d.online.getJoined(plan.joined, encoded[0], signal) : undefined;
      let unjoined: number[] | undefined;
      if (joined) {
        const n = parts.length;
        // Parts made for this caller (sensitive features withheld) are not the plan's.
        const whole = plan.whole && parts.every((p, s) => p === plan.parts[s]);
        const nowMs = now / 1000;
        const oldest = whole ? parts.map((p) => (p.fs.ttlSeconds == null ? -Infinity : now - p.fs.ttlSeconds * 1e6)) : [];
        for (let i = 0; i < joined.length; i++) {
          const bytes = joined[i];
          if (bytes === null) {
            (unjoined ??= []).push(i);
            continue;
          }
          // Every set present, within its TTL, every feature shown: the row is the entry's values, one run.
          const eventTimeMicros = whole ? wholeJoinedTime(bytes, n, nowMs, oldest) : NaN;
          rows[i] = Number.isNaN(eventTimeMicros)
            ? viewRow(parts, joinedEntries(encoded[0][i], bytes, n, nowMs), now, layout.allPresent)
            : { values: [bytes], starts: [joinedValuesAt(n)], eventTimeMicros, status: 'PRESENT', setStatuses: layout.allPresent };
        }
      }
      const fromSets = joined ? unjoined : input.keys.map((_k, i) => i);
      if (fromSets) {
        const reads = parts.map((p) => ({ table: p.table, keys: joined ? fromSets.map((i) => encoded[p.keyGroup][i]) : encoded[p.keyGroup] }));
        const found = await d.online.getMany(reads, signal);
        fromSets.forEach(
          (i, at) =>
            (rows[i] = viewRow(
              parts,
              parts.map((_p, s) => found[s][at]),
              now,
              layout.allPresent,
            )),
        );
      }
      return {
        featureNames: withheld.length === 0 ? layout.names : parts.flatMap((p) => p.names),
        rows,
        withheld,
        featureSets: layout.featureSets,
      };
    },
  };
}

/**
 * A feature view's row from each set's entry (undefined: none): one row per entity with each set's
 * status; values of sets without a present row are null, and the row's event time is the oldest of
 * the present sets'.
 */
function viewRow(parts: ViewPart[], entries: (OnlineEntry | undefined)[], now: number, allPresent: readonly 'PRESENT'[]): StoredOnlineRow {
  const values: Uint8Array[] = [];
  const starts: number[] = [];
  let setStatuses: Exclude<RowStatus, 'PARTIAL'>[] | undefined;
  let eventTimeMicros: number | undefined;
  let present = 0;
  for (let s = 0; s < parts.length; s++) {
    const p = parts[s];
    const e = entries[s];
    const ttl = p.fs.ttlSeconds;
    const status = !e ? 'MISSING' : ttl != null && now - e.eventTimeMicros > ttl * 1e6 ? 'EXPIRED' : 'PRESENT';
    if (status !== 'PRESENT') {
      // The statuses so far were all PRESENT.
      setStatuses ??= parts.slice(0, s).map(() => 'PRESENT' as const);
      setStatuses.push(status);
      values.push(p.nulls);
      starts.push(0);
      continue;
    }
    setStatuses?.push(status);
    present++;
    if (eventTimeMicros === undefined || e!.eventTimeMicros < eventTimeMicros) eventTimeMicros = e!.eventTimeMicros;
    if (p.whole) pushStoredValues(values, starts, p.stored, e!);
    else
      for (const piece of pickFields(storedValues(p.stored, e!.value), p.positions, p.stored.length)) {
        values.push(piece);
        starts.push(0);
      }
  }
  if (!setStatuses) return { values, starts, eventTimeMicros, status: 'PRESENT', setStatuses: allPresent };
  const status = present === 0 && setStatuses.every((x) => x === setStatuses[0]) ? setStatuses[0] : 'PARTIAL';
  return { values: status === 'PARTIAL' ? values : [], starts: status === 'PARTIAL' ? starts : [], eventTimeMicros, status, setStatuses };
}

/** One feature set of a feature view as a read uses it: what it shows, where its values sit, which keys it reads. */
interface ViewPart {
  fs: FeatureSet;
  /** Index into the plan's keyGroups: the encoded keys this set reads. */
  keyGroup: number;
  names: string[];
  withheld: string[];
  positions: number[];
  whole: boolean;
  nulls: Buffer;
  stored: Feature[];
  table: OnlineTable;
}

/** Source `s` of `view` read from `fs`, without the features in `hidden`. */
function viewPart(view: FeatureView, s: number, fs: FeatureSet, keyGroup: number, hidden: readonly string[]): ViewPart {
  const { stored, position, table } = layoutOf(fs);
  const source = view.sources[s];
  const offset = view.sources.slice(0, s).reduce((n, x) => n + x.features.length, 0);
  const names = view.featureNames.slice(offset, offset + source.features.length);
  const shown = source.features.map((f, j) => ({ f, name: names[j] })).filter((x) => !hidden.includes(x.f));
  const positions = shown.map((x) => position.get(x.f)!);
  return {
    fs,
    keyGroup,
    names: shown.map((x) => x.name),
    withheld: names.filter((_n, j) => hidden.includes(source.features[j])),
    positions,
    whole: isEveryFeature(positions, stored.length),
    nulls: nullsOf(positions.length),
    stored,
    table,
  };
}

/**
 * What every read of a feature view version over the same feature set versions shares (hot path):
 * each set's part with nothing withheld, and the distinct ways its sets are keyed (sets keyed alike
 * share one encoded key list). Kept per view definition, and made again when a set's cached
 * definition is replaced.
 */
interface ViewPlan {
  sets: readonly FeatureSet[];
  parts: ViewPart[];
  keyGroups: { keyAt: number[]; keyFeatures: Feature[] }[];
  keyGroupOf: number[];
  /** Whether any set has sensitive features (a read then asks what the caller may see). */
  sensitive: boolean;
  /** The sets' tables when the store may keep them joined: two sets or more, all keyed alike. */
  joined: readonly OnlineTable[] | undefined;
  /** Whether every part shows every feature of its set (a joined entry's values are then the row's). */
  whole: boolean;
}
const viewPlans = new WeakMap<FeatureView, ViewPlan>();

/** How source `s` of a view is keyed: where its key columns sit among the view's, and their types. */
function keySignature(view: FeatureView, s: number, fs: FeatureSet): string {
  const keyAt = view.sources[s].keyColumns.map((c) => view.entityColumns.indexOf(c));
  return JSON.stringify([keyAt, layoutOf(fs).keyFeatures.map((f) => [f.type, f.isList])]);
}

/**
 * The tables of a view's sets when a store may keep them joined (OnlineStore.join): two sets or
 * more, all keyed alike, so that one encoded key finds an entity in each. Undefined otherwise.
 */
export function joinedTables(view: FeatureView, sets: readonly FeatureSet[]): readonly OnlineTable[] | undefined {
  if (sets.length < 2) return undefined;
  const first = keySignature(view, 0, sets[0]);
  if (sets.some((fs, s) => keySignature(view, s, fs) !== first)) return undefined;
  return Object.freeze(sets.map((fs) => layoutOf(fs).table));
}
function viewPlanOf(view: FeatureView, sets: readonly FeatureSet[]): ViewPlan {
  const cached = viewPlans.get(view);
  if (cached && cached.sets.length === sets.length && cached.sets.every((fs, s) => fs === sets[s])) return cached;
  const keyGroups: ViewPlan['keyGroups'] = [];
  const signatures: string[] = [];
  const keyGroupOf = sets.map((fs, s) => {
    const signature = keySignature(view, s, fs);
    let g = signatures.indexOf(signature);
    if (g < 0) {
      g = signatures.push(signature) - 1;
      keyGroups.push({ keyAt: view.sources[s].keyColumns.map((c) => view.entityColumns.indexOf(c)), keyFeatures: layoutOf(fs).keyFeatures });
    }
    return g;
  });
  const parts = sets.map((fs, s) => viewPart(view, s, fs, keyGroupOf[s], []));
  const plan: ViewPlan = {
    sets: [...sets],
    parts,
    keyGroups,
    keyGroupOf,
    sensitive: sets.some(hasSensitiveFeatures),
    joined: joinedTables(view, sets),
    whole: parts.every((p) => p.whole),
  };
  viewPlans.set(view, plan);
  return plan;
}

/** Whether `positions` are every stored feature in stored order (a full row: one slice of the entry). */
function isEveryFeature(positions: readonly number[], count: number): boolean {
  return positions.length === count && positions.every((p, i) => p === i);
}

/** Value `j` of key `i` checked against its key feature: InvalidArgument at keys[i].values[j] when it does not fit or is null. */
function keyValue(f: Feature, v: TypedValue | undefined, i: number, j: number): StoredValue {
  const s = checkValue(f, v ?? { kind: 'null' });
  if (isError(s)) throw new InvalidArgument(`${f.name} ${s.error}`, { field: `keys[${i}].values[${j}]` });
  if (s === null) throw new InvalidArgument(`${f.name} is null`, { field: `keys[${i}].values[${j}]` });
  return s;
}

export type OnlineUseCases = ReturnType<typeof createOnlineUseCases>;

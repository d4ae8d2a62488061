import { InvalidArgument, NotFound } from '../errors.js';
import { EventTypes } from '../events.js';
import { isIdentifier, requireIdentifier } from '../identifiers.js';
import { jobEvent, type Job } from '../jobs.js';
import type { FeatureSet } from '../model.js';
import type { Authorizer } from '../ports/authorizer.js';
import type { IngestStore } from '../ports/ingest-store.js';
import type { JobStore } from '../ports/job-store.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { SourceFiles } from '../ports/source-files.js';
import type { Principal } from '../principal.js';
import { allWithheld, withheldFeatures } from '../sensitive.js';
import { MAX_INLINE_ENTITY_ROWS, parseFeatureRef } from '../training-sets.js';
import { trainingSetPlan, type TrainingSetPlan } from '../plans.js';
import type { EntityTable, EntityValue, TrainingSetJobSpec, TrainingSetPart } from '../job-specs.js';
import type { Scratch, StagedJob } from './job-run.js';
import { catalogResolver } from './resolve-feature-set.js';
import { resolveViewForData, type FeatureViewRef } from './feature-views.js';
import { DOWNLOAD_LINK_SECONDS } from './retrieve.js';

export interface StartTrainingSetInput {
  entities: EntityTable | undefined;
  timestampColumn: string;
  features: string[];
  /** Instead of features: every feature of a feature view, joined on its key mapping. */
  view?: FeatureViewRef;
  format: 'PARQUET' | 'CSV';
}

const MAX_FEATURE_REFS = 1000;

/** Starting a point-in-time training set (the retrieve function): checked now, run as a TRAINING_SET job. */
export function createTrainingSetUseCases(d: { store: MetadataStore; jobs: JobStore; authorizer: Authorizer; sources: SourceFiles }) {
  const resolve = catalogResolver(d.store, d.authorizer);
  return {
    async start(principal: Principal, input: StartTrainingSetInput, signal?: AbortSignal): Promise<Job> {
      if (!input.entities) throw new InvalidArgument('is required: an entity_source file or entity_rows', { field: 'entity_source' });
      const timestampColumn = requireIdentifier(input.timestampColumn, 'timestamp_column');
      // A view stands for its features, each set pinned to its major, and its key mapping; its sets
      // are resolved (and authorized) once, here.
      const keyColumns = new Map<string, string[]>();
      const resolved = new Map<string, FeatureSet>();
      let features = input.features;
      if (input.view) {
        if (features.length > 0) throw new InvalidArgument('must be empty with a feature_view: the view lists its features', { field: 'features' });
        const lookupView = (project: string, name: string, version: number | undefined, signal?: AbortSignal) =>
          d.store.getFeatureView(project, name, version, signal);
        const { view, sets } = await resolveViewForData({ lookupView, resolve, authorizer: d.authorizer }, principal, input.view, 'feature_view', signal);
        features = view.sources.flatMap((s) => s.features.map((f) => `${s.project}/${s.featureSet}:${s.major}/${f}`));
        view.sources.forEach((s, i) => {
          keyColumns.set(`${s.project}/${s.featureSet}`, s.keyColumns);
          resolved.set(`${s.project}/${s.featureSet}`, sets[i]);
        });
      }
      if (features.length === 0) throw new InvalidArgument('is required: at least one project/feature_set/feature, or a feature_view', { field: 'features' });
      if (features.length > MAX_FEATURE_REFS) throw new InvalidArgument(`has more than ${MAX_FEATURE_REFS} references`, { field: 'features' });

      // Group the references by feature set, in the order they first appear.
      const parts = new Map<string, { part: TrainingSetPart; fs: FeatureSet; version: string; index: number; hidden: string[] }>();
      const withheld: string[] = [];
      for (const [i, raw] of features.entries()) {
        const field = `features[${i}]`;
        const ref = parseFeatureRef(raw, field);
        const id = `${ref.project}/${ref.featureSet}`;
        let entry = parts.get(id);
        if (entry && entry.version !== ref.version) {
          throw new InvalidArgument(
            `asks for ${id} at version "${ref.version || 'latest'}" but features[${entry.index}] at "${entry.version || 'latest'}"; use one version per feature set`,
            { field },
          );
        }
        if (!entry) {
          const fs = resolved.get(id) ?? (await resolve(principal, ref, 'featureSet.readData', signal, field));
          const mapped = keyColumns.get(id);
          entry = {
            part: {
              project: ref.project,
              featureSet: ref.featureSet,
              major: fs.major,
              minor: fs.minor,
              features: [],
              ...(mapped && mapped.join() !== fs.schema.primaryKey.join() ? { keyColumns: mapped } : {}),
            },
            fs,
            version: ref.version,
            index: i,
            hidden: await withheldFeatures(d.authorizer, principal, fs, signal),
          };
          parts.set(id, entry);
        }
        const keys = new Set([...entry.fs.schema.primaryKey, entry.fs.schema.eventTimeColumn]);
        const wanted = ref.feature === '*' ? entry.fs.schema.features.map((f) => f.name).filter((n) => !keys.has(n)) : [ref.feature];
        if (ref.feature !== '*') {
          if (!entry.fs.schema.features.some((f) => f.name === ref.feature)) throw new NotFound(`"${ref.feature}" is not a feature of ${id}`, { field });
          if (keys.has(ref.feature)) throw new InvalidArgument(`"${ref.feature}" is the key or event time of ${id}; entity rows carry those`, { field });
        }
        for (const w of wanted) {
          if (entry.hidden.includes(w)) {
            if (!withheld.includes(`${id}/${w}`)) withheld.push(`${id}/${w}`);
          } else if (!entry.part.features.includes(w)) entry.part.features.push(w);
        }
      }
      for (const { part, fs, index } of parts.values()) if (part.features.length === 0) throw allWithheld(fs, `features[${index}]`);

      const entities = input.entities;
      if ('source' in entities) {
        if (!entities.source.uri) throw new InvalidArgument('is required', { field: 'entity_source.uri' });
        await d.sources.check(entities.source, signal, 'entity_source');
      } else {
        checkInlineRows(
          entities,
          timestampColumn,
          [...parts.values()].flatMap((p) => p.part.keyColumns ?? p.fs.schema.primaryKey),
        );
      }
      const first = [...parts.values()][0].part;
      const spec: TrainingSetJobSpec = {
        entities,
        timestampColumn,
        parts: [...parts.values()].map((p) => p.part),
        format: input.format,
        ...(withheld.length > 0 ? { withheld } : {}),
      };
      const { job } = await d.jobs.createJob(
        {
          type: 'TRAINING_SET',
          project: first.project,
          featureSet: parts.size === 1 ? first.featureSet : '',
          spec,
          createdBy: principal.id,
          createdByAdmin: principal.admin,
          requestId: '',
        },
        (j) => [jobEvent(EventTypes.jobRequested, j, {})],
        signal,
      );
      return job;
    },
  };
}

function checkInlineRows(t: { columns: string[]; rows: EntityValue[][] }, timestampColumn: string, keys: string[]): void {
  if (t.rows.length === 0) throw new InvalidArgument('has no rows', { field: 'entity_rows.rows' });
  if (t.rows.length > MAX_INLINE_ENTITY_ROWS) {
    throw new InvalidArgument(`has more than ${MAX_INLINE_ENTITY_ROWS} rows; send bigger entity tables as a file (entity_source)`, {
      field: 'entity_rows.rows',
    });
  }
  const seen = new Set<string>();
  t.columns.forEach((c, i) => {
    if (!isIdentifier(c) || c.startsWith('__fs_'))
      throw new InvalidArgument(`"${c.slice(0, 80)}" is not a valid column name`, { field: `entity_rows.columns[${i}]` });
    if (seen.has(c)) throw new InvalidArgument(`"${c}" appears twice`, { field: `entity_rows.columns[${i}]` });
    seen.add(c);
  });
  for (const needed of new Set([timestampColumn, ...keys])) {
    if (!seen.has(needed))
      throw new InvalidArgument(`lacks "${needed}" (the timestamp column and every primary-key column of the feature sets)`, { field: 'entity_rows.columns' });
  }
  const ts = t.columns.indexOf(timestampColumn);
  t.rows.forEach((row, i) => {
    if (row.length !== t.columns.length)
      throw new InvalidArgument(`has ${row.length} values for ${t.columns.length} columns`, { field: `entity_rows.rows[${i}]` });
    const v = row[ts];
    if (typeof v !== 'string' || Number.isNaN(Date.parse(v)))
      throw new InvalidArgument(`needs a timestamp in "${timestampColumn}"`, { field: `entity_rows.rows[${i}]` });
  });
}

export function trainingSetJob(d: {
  store: MetadataStore;
  ingests: IngestStore;
  offline: ObjectStore;
}): StagedJob<'TRAINING_SET', Record<string, never>, TrainingSetPlan> {
  return {
    type: 'TRAINING_SET',
    async prepare(ctx) {
      const spec = ctx.job.spec;
      const parts = [];
      for (const part of spec.parts) {
        const featureSet = await d.store.getFeatureSet(part.project, part.featureSet, { major: part.major, minor: part.minor });
        if (!featureSet)
          throw new NotFound(`feature set ${part.project}/${part.featureSet} v${part.major}.${part.minor} no longer exists`, { field: 'features' });
        parts.push({ featureSet, visible: await d.ingests.visible(part.project, part.featureSet, part.major, ctx.signal) });
      }
      const entities =
        'source' in spec.entities
          ? await ctx.source(spec.entities.source, 'entity_source')
          : { files: [await ctx.input(await inlineEntities(spec.entities, ctx.scratch))], format: 'JSONL' as const };
      return { plan: trainingSetPlan(spec, parts, entities, ctx.outputDir(`training-sets/${ctx.job.id}/`)), context: {} };
    },
    async finish(ctx, engine, plan) {
      const spec = ctx.job.spec;
      const out = await engine.trainingSet(plan, (fraction, message) => ctx.progress(fraction * 0.9, message), ctx.signal);
      ctx.progress(0.9, 'uploading');
      const ext = spec.format === 'CSV' ? 'csv' : 'parquet';
      for (const [i, file] of out.files.entries()) await ctx.keep(file, `training-sets/${ctx.job.id}/part-${i}.${ext}`);
      const downloadUrls = await Promise.all(ctx.uploaded.map((key) => d.offline.downloadUrl(key, DOWNLOAD_LINK_SECONDS)));
      return {
        data: { retrieve: { uris: ctx.uploaded.map((key) => d.offline.uri(key)), downloadUrls, rows: out.rows, withheld: spec.withheld } },
        message: `${out.rows} rows joined point in time with ${spec.parts.length} feature set(s)`,
      };
    },
  };
}

async function inlineEntities(t: { columns: string[]; rows: EntityValue[][] }, scratch: Scratch) {
  const file = await scratch.write(
    'entities.jsonl',
    t.rows.map((r) => JSON.stringify(Object.fromEntries(t.columns.map((c, i) => [c, r[i] ?? null])))),
  );
  return file;
}

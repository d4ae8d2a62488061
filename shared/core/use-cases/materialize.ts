import { InvalidArgument, NotFound } from '../errors.js';
import { EventTypes } from '../events.js';
import type { MaterializeJobSpec } from '../job-specs.js';
import { materializePlan, type NewestPerKeyPlan } from '../plans.js';
import { jobEvent, type Job } from '../jobs.js';
import type { FeatureSet } from '../model.js';
import { storedBatchOf } from '../online-values.js';
import type { Authorizer } from '../ports/authorizer.js';
import type { IngestStore } from '../ports/ingest-store.js';
import type { JobStore } from '../ports/job-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { OfflineEngine } from '../ports/offline-engine.js';
import type { OnlineStore } from '../ports/online-store.js';
import type { Principal } from '../principal.js';
import type { StagedJob } from './job-run.js';
import { catalogResolver } from './resolve-feature-set.js';

// Materialization: the newest offline row per key goes online (StartMaterialize jobs, and
// offline-to-online after each committed ingest).

/** Keys found, written online, and left out because their stored row is over the online row limit. */
export interface Copied {
  rows: number;
  written: number;
  tooLarge: number;
}

/** The newest row per key of a plan (its files local to the engine) written online; counts keys found and written. */
export async function copyNewestOnline(
  d: { engine: OfflineEngine; online: OnlineStore; maxRowBytes: number },
  fs: FeatureSet,
  plan: NewestPerKeyPlan,
  onRows: (rowsSoFar: number) => void,
  signal?: AbortSignal,
): Promise<Copied> {
  const table = { project: fs.project, featureSet: fs.name, major: fs.major };
  let written = 0;
  let seen = 0;
  let tooLarge = 0;
  // The engine reads the next batch while earlier ones are being written (a few at a time).
  const inFlight = new Set<Promise<void>>();
  let failure: Error | undefined;
  const rows = await d.engine.newestPerKey(
    plan,
    async (batch) => {
      if (failure) throw failure;
      // The same row limit as IngestOnline: rows over it stay offline only.
      const stored = storedBatchOf(fs.schema, batch, fs.ttlSeconds, d.maxRowBytes);
      tooLarge += stored.tooLarge;
      const write = d.online.putBatch(table, stored.batch, signal).then(
        (done) => {
          written += done;
          seen += batch.length;
          onRows(seen);
        },
        (err: unknown) => void (failure ??= err instanceof Error ? err : new Error(String(err))),
      );
      inFlight.add(write);
      void write.finally(() => inFlight.delete(write));
      if (inFlight.size >= WRITES_IN_FLIGHT) await Promise.race(inFlight);
    },
    signal,
  );
  await Promise.all(inFlight);
  if (failure) throw failure;
  return { rows, written, tooLarge };
}

/** Batches being written online at once while the engine reads on. */
const WRITES_IN_FLIGHT = 4;

/** StartMaterialize (the retrieve function): checked now, run as a MATERIALIZE job. */
export function createMaterializeUseCases(d: { store: MetadataStore; jobs: JobStore; authorizer: Authorizer }) {
  const resolve = catalogResolver(d.store, d.authorizer);
  return {
    async start(
      principal: Principal,
      input: { project: string; featureSet: string; version: string; startTime?: Date; endTime?: Date },
      signal?: AbortSignal,
    ): Promise<Job> {
      if (input.startTime && input.endTime && input.startTime >= input.endTime) throw new InvalidArgument('must be after start_time', { field: 'end_time' });
      const fs = await resolve(principal, input, 'featureSet.update', signal);
      const { project, name } = fs;
      const spec: MaterializeJobSpec = {
        project,
        featureSet: name,
        major: fs.major,
        startTime: input.startTime?.toISOString(),
        endTime: input.endTime?.toISOString(),
      };
      const { job } = await d.jobs.createJob(
        { type: 'MATERIALIZE', project, featureSet: name, spec, createdBy: principal.id, createdByAdmin: principal.admin, requestId: '' },
        (j) => [jobEvent(EventTypes.jobRequested, j, {})],
        signal,
      );
      return job;
    },
  };
}

/**
 * A MATERIALIZE job: the newest visible offline row per key with event time in the range goes
 * online with the newest-wins write. Progress counts rows against the visible total.
 */
export function materializeJob(d: {
  store: MetadataStore;
  ingests: IngestStore;
  online: OnlineStore;
  maxRowBytes: number;
}): StagedJob<'MATERIALIZE', { total: number }, NewestPerKeyPlan> {
  return {
    type: 'MATERIALIZE',
    async prepare(ctx) {
      const spec = ctx.job.spec;
      const fs = await featureSetOf(d.store, spec);
      const visible = await d.ingests.visible(spec.project, spec.featureSet, spec.major, ctx.signal);
      const total = Math.max(
        1,
        visible.reduce((n, i) => n + i.rows, 0),
      );
      return { plan: materializePlan(spec, fs.schema, visible), context: { total } };
    },
    async finish(ctx, engine, plan, { total }) {
      const fs = await featureSetOf(d.store, ctx.job.spec);
      const copy = { engine, online: d.online, maxRowBytes: d.maxRowBytes };
      const { rows, written, tooLarge } = await copyNewestOnline(
        copy,
        fs,
        plan,
        (n) => ctx.progress(Math.min(0.99, n / total), `${n} keys online`),
        ctx.signal,
      );
      const over = tooLarge ? `, ${tooLarge} over the online row limit left offline` : '';
      return { data: { materialize: { rows, written, tooLarge } }, message: `${rows} keys found, ${written} written online${over}` };
    },
  };
}

async function featureSetOf(store: MetadataStore, spec: MaterializeJobSpec): Promise<FeatureSet> {
  const fs = await store.getFeatureSet(spec.project, spec.featureSet, { major: spec.major });
  if (!fs) throw new NotFound(`feature set ${spec.project}/${spec.featureSet} v${spec.major} no longer exists`, { field: 'feature_set' });
  return fs;
}

export type MaterializeUseCases = ReturnType<typeof createMaterializeUseCases>;

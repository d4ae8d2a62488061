import { InvalidArgument, NotFound } from '../errors.js';
import { EventTypes } from '../events.js';
import { requireIdentifier } from '../identifiers.js';
import { jobEvent, type Job } from '../jobs.js';
import { ONLINE_LOG_SCHEME } from '../ingests.js';
import { entriesFromStored, expirySpanMicros } from '../online.js';
import type { Authorizer } from '../ports/authorizer.js';
import type { JobStore } from '../ports/job-store.js';
import type { Principal } from '../principal.js';
import { parseVersion } from '../validation.js';
import { runClaimedJob, type IngestRunnerDeps } from './ingest.js';
import type { FeatureSet } from '../model.js';
import type { IngestStore } from '../ports/ingest-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { OfflineEngine } from '../ports/offline-engine.js';
import type { OnlineStore } from '../ports/online-store.js';
import type { Scratch } from './ingest.js';

export interface IngestCommitted {
  ingestId: string;
  project: string;
  featureSet: string;
  major: number;
}

/**
 * offline-to-online after a committed ingest: the newest row per key of that ingest goes to the
 * online store, where the newest-wins write replaces only what is missing or older. Redelivery
 * writes the same entries again and changes nothing; an ingest reverted meanwhile is skipped, and
 * so is an ingest online-to-offline made of rows written online.
 */
export function createOfflineToOnline(d: {
  store: MetadataStore;
  ingests: IngestStore;
  engine: OfflineEngine;
  online: OnlineStore;
  offline: ObjectStore;
  scratch(): Promise<Scratch>;
  maxRowBytes: number;
}) {
  return async function afterIngest(event: IngestCommitted, signal?: AbortSignal): Promise<Copied> {
    const ingest = await d.ingests.get(event.ingestId, signal);
    const fs = await d.store.getFeatureSet(event.project, event.featureSet, { major: event.major }, signal);
    const none = { rows: 0, written: 0, tooLarge: 0 };
    if (!ingest || ingest.state !== 'COMMITTED' || !fs) return none;
    // Rows drained from the online log are online already (copying them back could even replace a
    // row written later with the same event time).
    if (ingest.source.uri.startsWith(ONLINE_LOG_SCHEME)) return none;
    const scratch = await d.scratch();
    try {
      const files = await Promise.all(ingest.files.map((key) => scratch.localCopy(d.offline, key)));
      return await copyNewestOnline(d, fs, files, {}, () => {}, signal);
    } finally {
      await scratch.dispose();
    }
  };
}

/**
 * offline-to-online after a revert: every key the reverted ingest touched gets back the newest row
 * of the ingests still visible, or leaves the online store when none has it; an online entry that
 * is not the reverted row (written online since, or from a newer ingest) stays (OnlineStore.restore).
 * Redelivery restores the same and changes nothing.
 */
export function createRevertOnline(d: {
  store: MetadataStore;
  ingests: IngestStore;
  engine: OfflineEngine;
  online: OnlineStore;
  offline: ObjectStore;
  scratch(): Promise<Scratch>;
}) {
  return async function afterRevert(event: IngestCommitted, signal?: AbortSignal): Promise<{ keys: number }> {
    const ingest = await d.ingests.get(event.ingestId, signal);
    const fs = await d.store.getFeatureSet(event.project, event.featureSet, { major: event.major }, signal);
    if (!ingest || ingest.state !== 'REVERTED' || !fs) return { keys: 0 };
    const table = { project: fs.project, featureSet: fs.name, major: fs.major };
    const scratch = await d.scratch();
    try {
      const copy = (keys: string[]) => Promise.all(keys.map((key) => scratch.localCopy(d.offline, key)));
      const reverted = await copy(ingest.files);
      const remaining = await copy((await d.ingests.visible(fs.project, fs.name, fs.major, signal)).flatMap((i) => i.files));
      const keys = await d.engine.revertedKeys(
        { schema: fs.schema, reverted, remaining },
        async (batch) => {
          const was = entriesFromStored(
            fs.schema,
            batch.map((b) => b.reverted),
            fs.ttlSeconds,
          );
          await d.online.restore(
            table,
            batch.map((b, i) => ({
              key: was[i]!.key,
              expected: { eventTimeMicros: was[i]!.eventTimeMicros, value: was[i]!.value },
              replacement: b.restored ? entriesFromStored(fs.schema, [b.restored], fs.ttlSeconds)[0] : undefined,
            })),
            signal,
          );
        },
        signal,
      );
      return { keys };
    } finally {
      await scratch.dispose();
    }
  };
}

/**
 * A feature set's TTL changed: its online entries get expiries from the new TTL (a longer TTL must
 * not lose entries to the old, shorter expiry; no TTL: they never expire). Idempotent.
 */
export function createTtlChange(d: { online: OnlineStore }) {
  return async function afterTtlChange(
    change: { project: string; featureSet: string; major: number; ttlSeconds: number | null },
    signal?: AbortSignal,
  ): Promise<void> {
    await d.online.reexpire({ project: change.project, featureSet: change.featureSet, major: change.major }, expirySpanMicros(change.ttlSeconds), signal);
  };
}

/** Keys found, written online, and left out because their stored row is over the online row limit. */
export interface Copied {
  rows: number;
  written: number;
  tooLarge: number;
}

/** The newest row per key of the files (in the range) written online; counts keys found and written. */
async function copyNewestOnline(
  d: { engine: OfflineEngine; online: OnlineStore; maxRowBytes: number },
  fs: FeatureSet,
  files: string[],
  range: { startTime?: Date; endTime?: Date },
  onRows: (rowsSoFar: number) => void,
  signal?: AbortSignal,
): Promise<Copied> {
  const table = { project: fs.project, featureSet: fs.name, major: fs.major };
  let written = 0;
  let seen = 0;
  let tooLarge = 0;
  // The engine reads the next batch while earlier ones are being written (a few at a time).
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  const rows = await d.engine.newestPerKey(
    { schema: fs.schema, files, ...range },
    async (batch) => {
      if (failure) throw failure;
      // The same row limit as IngestOnline: rows over it stay offline only.
      const entries = entriesFromStored(fs.schema, batch, fs.ttlSeconds).filter((e) => Buffer.byteLength(e.value) <= d.maxRowBytes || (tooLarge++, false));
      const write = d.online.put(table, entries, signal).then(
        (done) => {
          written += done.filter(Boolean).length;
          seen += batch.length;
          onRows(seen);
        },
        (err: unknown) => void (failure ??= err),
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

export interface MaterializeJobSpec {
  project: string;
  featureSet: string;
  major: number;
  startTime?: string;
  endTime?: string;
}

/** StartMaterialize (the retrieve function): checked now, run as a MATERIALIZE job. */
export function createMaterializeUseCases(d: { store: MetadataStore; jobs: JobStore; authorizer: Authorizer }) {
  return {
    async start(
      principal: Principal,
      input: { project: string; featureSet: string; version: string; startTime?: Date; endTime?: Date },
      signal?: AbortSignal,
    ): Promise<Job> {
      const project = requireIdentifier(input.project, 'feature_set.project');
      const name = requireIdentifier(input.featureSet, 'feature_set.name');
      const version = parseVersion(input.version, 'feature_set.version');
      if (input.startTime && input.endTime && input.startTime >= input.endTime) throw new InvalidArgument('must be after start_time', { field: 'end_time' });
      await d.authorizer.authorize(principal, 'featureSet.update', { project, featureSet: name }, signal);
      const fs = await d.store.getFeatureSet(project, name, version, signal);
      if (!fs)
        throw new NotFound(`feature set "${project}/${name}"${input.version ? ` version ${input.version}` : ''} does not exist`, { field: 'feature_set' });
      const spec: MaterializeJobSpec = {
        project,
        featureSet: name,
        major: fs.major,
        startTime: input.startTime?.toISOString(),
        endTime: input.endTime?.toISOString(),
      };
      const { job } = await d.jobs.createJob(
        { type: 'MATERIALIZE', project, featureSet: name, spec: spec as unknown as Record<string, unknown>, createdBy: principal.id, requestId: '' },
        (j) => [jobEvent(EventTypes.jobRequested, j, {})],
        signal,
      );
      return job;
    },
  };
}

/**
 * Runs a MATERIALIZE job (spark-submit): the newest visible offline row per key with event time in
 * the range goes online with the newest-wins write. Progress counts rows against the visible total.
 */
export function createMaterializeRunner(d: IngestRunnerDeps & { online: OnlineStore; maxRowBytes: number }) {
  return (jobId: string, signal: AbortSignal) =>
    runClaimedJob(d, jobId, signal, async ({ job, scratch, signal: jobSignal, progress }) => {
      const spec = job.spec as unknown as MaterializeJobSpec;
      const fs = await d.store.getFeatureSet(spec.project, spec.featureSet, { major: spec.major });
      if (!fs) throw new NotFound(`feature set ${spec.project}/${spec.featureSet} v${spec.major} no longer exists`, { field: 'feature_set' });
      const visible = await d.ingests.visible(spec.project, spec.featureSet, spec.major, jobSignal);
      const total = Math.max(
        1,
        visible.reduce((n, i) => n + i.rows, 0),
      );
      const files = await Promise.all(visible.flatMap((i) => i.files).map((key) => scratch.localCopy(d.offline, key)));
      const range = { startTime: spec.startTime ? new Date(spec.startTime) : undefined, endTime: spec.endTime ? new Date(spec.endTime) : undefined };
      const { rows, written, tooLarge } = await copyNewestOnline(
        d,
        fs,
        files,
        range,
        (n) => progress(Math.min(0.99, n / total), `${n} keys online`),
        jobSignal,
      );
      const over = tooLarge ? `, ${tooLarge} over the online row limit left offline` : '';
      return { data: { materialize: { rows, written, tooLarge } }, message: `${rows} keys found, ${written} written online${over}` };
    });
}

export type MaterializeUseCases = ReturnType<typeof createMaterializeUseCases>;

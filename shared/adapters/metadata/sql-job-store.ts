import { FailedPrecondition, NotFound, throwIfAborted } from '../../core/errors.js';
import type { DomainEvent } from '../../core/events.js';
import { readJobSpec, storedJobSpec, type SpecJobType } from '../../core/job-specs.js';
import { TERMINAL_STATES, type Job, type JobError, type JobResult, type JobState } from '../../core/jobs.js';
import type { JobChange, JobStore, ListJobsQuery, NewJob } from '../../core/ports/job-store.js';
import type { SqlClient, SqlExecutor } from '../sql/sql-client.js';
import { writeEvents } from './outbox.js';

interface JobRow {
  id: string;
  type: SpecJobType;
  state: JobState;
  project: string;
  feature_set: string;
  spec: unknown;
  progress: number;
  message: string;
  error: JobError | null;
  result: JobResult | null;
  created_by: string;
  created_by_admin: boolean;
  request_id: string;
  cancel_requested: boolean;
  revision: number;
  attempt: number;
  create_time: Date;
  start_time: Date | null;
  end_time: Date | null;
  handed_off: string | null;
  runner_token_hash: string | null;
  runner_outcome: string | null;
}

/** A row as a job, its spec checked against its type's schema (upgraded from an older release's shape). */
function toJob(r: JobRow): Job {
  // The cast pairs type and spec, which readJobSpec checked together.
  return {
    id: r.id,
    type: r.type,
    state: r.state,
    progress: r.progress,
    message: r.message,
    error: r.error ?? undefined,
    result: r.result ?? undefined,
    project: r.project,
    featureSet: r.feature_set,
    spec: readJobSpec(r.type, r.spec, r.id),
    createdBy: r.created_by,
    createdByAdmin: r.created_by_admin,
    requestId: r.request_id,
    cancelRequested: r.cancel_requested,
    revision: r.revision,
    attempt: r.attempt,
    createTime: r.create_time,
    startTime: r.start_time ?? undefined,
    endTime: r.end_time ?? undefined,
    ...(r.handed_off ? { handedOff: r.handed_off } : {}),
    ...(r.runner_token_hash ? { runnerTokenHash: r.runner_token_hash } : {}),
    ...(r.runner_outcome ? { runnerOutcome: JSON.parse(r.runner_outcome) as unknown } : {}),
  } as Job;
}

const COLUMNS = `id::text, type, state, project, feature_set, spec, progress, message, error, result, created_by, created_by_admin,
  request_id, cancel_requested, revision, attempt, create_time, start_time, end_time, handed_off, runner_token_hash, runner_outcome`;

/**
 * A running job whose worker said nothing for the lease (ms, parameter $n) and reported no outcome:
 * its worker is gone. A job handed off to a cluster application has no lease (its application's
 * watch ends it).
 */
const silent = (n: number) =>
  `reported_time IS NULL AND handed_off IS NULL AND coalesce(heartbeat_time, start_time, create_time) < clock_timestamp() - make_interval(secs => $${n}::double precision / 1000)`;
const CANCEL_ABANDONED = `state = 'CANCELLED', message = 'cancelled; its worker had stopped and nothing was written', end_time = clock_timestamp(), revision = revision + 1`;

/** Jobs on PostgreSQL or PGlite, in the catalog database (so job changes and events commit together). */
export class SqlJobStore implements JobStore {
  constructor(private readonly sql: SqlClient) {}

  async createJob(j: NewJob, events: (job: Job) => DomainEvent[], signal?: AbortSignal): Promise<{ job: Job; created: boolean }> {
    throwIfAborted(signal);
    return this.sql.transaction(async (tx) => {
      const { rows } = await tx.query<JobRow>(
        `INSERT INTO jobs (type, state, project, feature_set, spec, created_by, request_id, created_by_admin)
         VALUES ($1, 'PENDING', $2, $3, $4::jsonb, $5, $6, $7)
         ON CONFLICT (created_by, request_id) WHERE request_id <> '' DO NOTHING
         RETURNING ${COLUMNS}`,
        [j.type, j.project, j.featureSet, JSON.stringify(storedJobSpec(j.spec)), j.createdBy, j.requestId, j.createdByAdmin ?? false],
      );
      if (rows[0]) {
        const job = toJob(rows[0]);
        await writeEvents(tx, events(job));
        return { job, created: true };
      }
      const existing = await tx.query<JobRow>(`SELECT ${COLUMNS} FROM jobs WHERE created_by = $1 AND request_id = $2`, [j.createdBy, j.requestId]);
      return { job: toJob(existing.rows[0]), created: false };
    });
  }

  async getJob(id: string, signal?: AbortSignal): Promise<Job | undefined> {
    throwIfAborted(signal);
    return readJob(this.sql, id);
  }

  async listJobs(q: ListJobsQuery, signal?: AbortSignal): Promise<Job[]> {
    throwIfAborted(signal);
    // Ordered and paged by the millisecond a client sees (Job.createTime is a Date): a cursor then
    // never skips jobs created in the same millisecond as the last one of a page.
    const { rows } = await this.sql.query<JobRow>(
      `SELECT ${COLUMNS} FROM jobs
       WHERE ($1::text IS NULL OR project = $1) AND ($2::text IS NULL OR type = $2) AND ($3::text IS NULL OR state = $3)
         AND ($4::timestamptz IS NULL OR (date_trunc('milliseconds', create_time), id) < ($4::timestamptz, $5::uuid))
         AND ($7::text IS NULL OR created_by = $7)
       ORDER BY date_trunc('milliseconds', create_time) DESC, id DESC LIMIT $6`,
      [q.project ?? null, q.type ?? null, q.state ?? null, q.before?.createTime ?? null, q.before?.id ?? null, q.limit, q.createdBy ?? null],
    );
    return rows.map(toJob);
  }

  async updateJob(id: string, c: JobChange, whenIn: readonly JobState[], events: (job: Job) => DomainEvent[], signal?: AbortSignal): Promise<Job> {
    throwIfAborted(signal);
    return this.sql.transaction(async (tx) => {
      const job = await this.updateIn(tx, id, c, whenIn);
      if (!job) {
        const current = await readJob(tx, id);
        if (!current) throw new NotFound(`job ${id} does not exist`, { field: 'id' });
        throw new FailedPrecondition(`job ${id} is ${current.state}`, { field: 'id' });
      }
      await writeEvents(tx, events(job));
      return job;
    });
  }

  /** The compare-and-set update inside a caller's transaction; undefined when no row matched. */
  async updateIn(tx: SqlExecutor, id: string, c: JobChange, whenIn: readonly JobState[]): Promise<Job | undefined> {
    const terminal = c.state !== undefined && TERMINAL_STATES.has(c.state);
    const { rows } = await tx.query<JobRow>(
      `UPDATE jobs SET
         state = coalesce($3, state),
         progress = coalesce($4, progress),
         message = coalesce($5, message),
         error = coalesce($6::jsonb, error),
         result = coalesce($7::jsonb, result),
         cancel_requested = coalesce($8, cancel_requested),
         start_time = CASE WHEN $3 = 'RUNNING' AND start_time IS NULL THEN clock_timestamp() ELSE start_time END,
         end_time = CASE WHEN $9 THEN clock_timestamp() ELSE end_time END,
         -- Only the worker's own updates (made in its attempt) extend its lease: a user's cancel does not.
         heartbeat_time = CASE WHEN $10::integer IS NOT NULL THEN clock_timestamp() ELSE heartbeat_time END,
         reported_time = CASE WHEN $11 THEN clock_timestamp() ELSE reported_time END,
         handed_off = CASE WHEN $9 THEN NULL ELSE coalesce($12, handed_off) END,
         runner_token_hash = CASE WHEN $9 THEN NULL ELSE coalesce($13, runner_token_hash) END,
         runner_outcome = CASE WHEN $9 THEN NULL ELSE coalesce($14, runner_outcome) END,
         revision = revision + 1
       WHERE id = $1 AND state = ANY($2::text[]) AND ($10::integer IS NULL OR attempt = $10) AND (NOT $15 OR handed_off IS NOT NULL)
       RETURNING ${COLUMNS}`,
      [
        id,
        [...whenIn],
        c.state ?? null,
        c.progress ?? null,
        c.message ?? null,
        c.error ? JSON.stringify(c.error) : null,
        c.result ? JSON.stringify(c.result) : null,
        c.cancelRequested ?? null,
        terminal,
        c.ifAttempt ?? null,
        c.reported ?? false,
        c.handedOff ?? null,
        c.runnerTokenHash ?? null,
        c.runnerOutcome === undefined ? null : JSON.stringify(c.runnerOutcome),
        c.ifHandedOff ?? false,
      ],
    );
    return rows[0] && toJob(rows[0]);
  }

  async heartbeat(id: string, attempt?: number, signal?: AbortSignal): Promise<boolean> {
    throwIfAborted(signal);
    const { rowCount } = await this.sql.query(
      `UPDATE jobs SET heartbeat_time = clock_timestamp() WHERE id = $1::uuid AND state = 'RUNNING' AND ($2::integer IS NULL OR attempt = $2)`,
      [id, attempt ?? null],
    );
    return rowCount > 0;
  }

  async claim(id: string, leaseMs: number, signal?: AbortSignal): Promise<{ job?: Job; current?: Job }> {
    throwIfAborted(signal);
    return this.sql.transaction(async (tx) => {
      // A job whose worker is gone and whose cancel was asked for ends CANCELLED instead.
      const cancelled = await tx.query<JobRow>(
        `UPDATE jobs SET ${CANCEL_ABANDONED} WHERE id = $1::uuid AND state = 'RUNNING' AND cancel_requested AND ${silent(2)}
         RETURNING ${COLUMNS}`,
        [id, leaseMs],
      );
      if (cancelled.rows[0]) return { current: toJob(cancelled.rows[0]) };
      const { rows } = await tx.query<JobRow>(
        `UPDATE jobs SET state = 'RUNNING', message = CASE WHEN state = 'RUNNING' THEN 'restarting: the previous worker stopped' ELSE 'starting' END,
           progress = 0, attempt = attempt + 1, start_time = coalesce(start_time, clock_timestamp()), heartbeat_time = clock_timestamp(), revision = revision + 1
         WHERE id = $1::uuid AND (state = 'PENDING' OR (state = 'RUNNING' AND ${silent(2)}))
         RETURNING ${COLUMNS}`,
        [id, leaseMs],
      );
      if (rows[0]) return { job: toJob(rows[0]) };
      return { current: await readJob(tx, id) };
    });
  }

  async takeBack(id: string, handle: string, signal?: AbortSignal): Promise<Job | undefined> {
    throwIfAborted(signal);
    const { rows } = await this.sql.query<JobRow>(
      `UPDATE jobs SET handed_off = NULL, attempt = attempt + 1, heartbeat_time = clock_timestamp(), message = 'finishing', revision = revision + 1
       WHERE id = $1::uuid AND state = 'RUNNING' AND handed_off = $2 RETURNING ${COLUMNS}`,
      [id, handle],
    );
    return rows[0] && toJob(rows[0]);
  }

  async endAbandoned(leaseMs: number, failAfterMs: number, error: JobError, signal?: AbortSignal): Promise<Job[]> {
    throwIfAborted(signal);
    const cancelled = await this.sql.query<JobRow>(
      `UPDATE jobs SET ${CANCEL_ABANDONED} WHERE state = 'RUNNING' AND cancel_requested AND ${silent(1)} RETURNING ${COLUMNS}`,
      [leaseMs],
    );
    const failed = await this.sql.query<JobRow>(
      `UPDATE jobs SET state = 'FAILED', error = $2::jsonb, message = $3, end_time = clock_timestamp(), revision = revision + 1
       WHERE state = 'RUNNING' AND ${silent(1)} RETURNING ${COLUMNS}`,
      [failAfterMs, JSON.stringify(error), error.message],
    );
    return [...cancelled.rows, ...failed.rows].map(toJob);
  }

  async abandoned(leaseMs: number, signal?: AbortSignal): Promise<Job[]> {
    throwIfAborted(signal);
    const { rows } = await this.sql.query<JobRow>(`SELECT ${COLUMNS} FROM jobs WHERE state = 'RUNNING' AND ${silent(1)} ORDER BY create_time`, [leaseMs]);
    return rows.map(toJob);
  }

  read(db: SqlExecutor, id: string): Promise<Job | undefined> {
    return readJob(db, id);
  }
}

async function readJob(db: SqlExecutor, id: string): Promise<Job | undefined> {
  const { rows } = await db.query<JobRow>(`SELECT ${COLUMNS} FROM jobs WHERE id = $1::uuid`, [id]);
  return rows[0] && toJob(rows[0]);
}

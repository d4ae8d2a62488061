import { FailedPrecondition, throwIfAborted } from '../../core/errors.js';
import type { DomainEvent } from '../../core/events.js';
import type { Ingest } from '../../core/ingests.js';
import type { Job } from '../../core/jobs.js';
import type { IngestStore, NewIngest } from '../../core/ports/ingest-store.js';
import type { SqlClient, SqlExecutor } from '../sql/sql-client.js';
import { writeEvents } from './outbox.js';
import { SqlJobStore } from './sql-job-store.js';

interface Row {
  id: string;
  project: string;
  feature_set: string;
  major: number;
  minor: number;
  job_id: string;
  source: Ingest['source'];
  state: Ingest['state'];
  rows: string;
  duplicate_rows: string;
  files: string[];
  statistics: Ingest['statistics'];
  created_by: string;
  commit_time: Date;
  revert_time: Date | null;
}

const COLUMNS = `id::text, project, feature_set, major, minor, job_id::text, source, state, rows::text, duplicate_rows::text,
  files, statistics, created_by, commit_time, revert_time`;

function toIngest(r: Row): Ingest {
  return {
    id: r.id,
    project: r.project,
    featureSet: r.feature_set,
    major: r.major,
    minor: r.minor,
    jobId: r.job_id,
    source: r.source,
    state: r.state,
    rows: Number(r.rows),
    duplicateRows: Number(r.duplicate_rows),
    files: r.files,
    // Statistics come back from JSON: restore their dates.
    statistics: Object.fromEntries(Object.entries(r.statistics).map(([k, v]) => [k, { ...v, computeTime: new Date(v.computeTime) }])),
    createdBy: r.created_by,
    commitTime: r.commit_time,
    revertTime: r.revert_time ?? undefined,
  };
}

export class SqlIngestStore implements IngestStore {
  constructor(
    private readonly sql: SqlClient,
    private readonly jobs: SqlJobStore,
  ) {}

  async commit(i: NewIngest, events: (job: Job, ingest: Ingest) => DomainEvent[], signal?: AbortSignal): Promise<{ ingest: Ingest; job: Job }> {
    throwIfAborted(signal);
    return this.sql.transaction(async (tx) => {
      const existing = await readByJob(tx, i.jobId);
      if (existing) return { ingest: existing, job: (await this.jobs.read(tx, i.jobId))! };
      const result = { kind: 'ingest' as const, ingestId: i.id, rows: i.rows, duplicateRows: i.duplicateRows };
      const job = await this.jobs.updateIn(tx, i.jobId, { state: 'SUCCEEDED', progress: 1, result }, ['RUNNING']);
      if (!job) throw new FailedPrecondition(`job ${i.jobId} is not running; the ingest was not committed`, { field: 'id' });
      await tx.query(
        `INSERT INTO ingests (id, project, feature_set, major, minor, job_id, source, state, rows, duplicate_rows, files, statistics, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, 'COMMITTED', $8, $9, $10::jsonb, $11::jsonb, $12)`,
        [i.id, i.project, i.featureSet, i.major, i.minor, i.jobId, JSON.stringify(i.source), i.rows, i.duplicateRows, JSON.stringify(i.files), JSON.stringify(i.statistics), i.createdBy],
      );
      const ingest = (await readByJob(tx, i.jobId))!;
      await writeEvents(tx, events(job, ingest));
      return { ingest, job };
    });
  }

  async list(project: string, featureSet: string, before: { commitTime: Date; id: string } | undefined, limit: number): Promise<Ingest[]> {
    const { rows } = await this.sql.query<Row>(
      `SELECT ${COLUMNS} FROM ingests WHERE project = $1 AND feature_set = $2
         AND ($3::timestamptz IS NULL OR (commit_time, id) < ($3::timestamptz, $4::uuid))
       ORDER BY commit_time DESC, id DESC LIMIT $5`,
      [project, featureSet, before?.commitTime ?? null, before?.id ?? null, limit],
    );
    return rows.map(toIngest);
  }

  async visible(project: string, featureSet: string, major: number): Promise<Ingest[]> {
    const { rows } = await this.sql.query<Row>(
      `SELECT ${COLUMNS} FROM ingests WHERE project = $1 AND feature_set = $2 AND major = $3 AND state = 'COMMITTED'
       ORDER BY commit_time, id`,
      [project, featureSet, major],
    );
    return rows.map(toIngest);
  }
}

async function readByJob(db: SqlExecutor, jobId: string): Promise<Ingest | undefined> {
  const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM ingests WHERE job_id = $1::uuid`, [jobId]);
  return rows[0] && toIngest(rows[0]);
}

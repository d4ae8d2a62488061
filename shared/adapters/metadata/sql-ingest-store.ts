import { FailedPrecondition, throwIfAborted } from '../../core/errors.js';
import type { DomainEvent } from '../../core/events.js';
import type { Ingest } from '../../core/ingests.js';
import type { Job } from '../../core/jobs.js';
import { versionString, type FeatureSet, type FeatureStatistics } from '../../core/model.js';
import type { IngestRevert, IngestStore, NewIngest } from '../../core/ports/ingest-store.js';
import type { OnlineTable } from '../../core/ports/online-store.js';
import type { SqlClient, SqlExecutor } from '../sql/sql-client.js';
import { writeEvents } from './outbox.js';
import { SqlJobStore } from './sql-job-store.js';
import { replaceLatestVersion } from './sql-metadata-store.js';

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

/** Statistics come back from JSON: restore their dates. */
function toStatistics(raw: Record<string, FeatureStatistics>): Record<string, FeatureStatistics> {
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, { ...v, computeTime: new Date(v.computeTime) }]));
}

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
    statistics: toStatistics(r.statistics),
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
      const result = {
        kind: 'ingest' as const,
        ingestId: i.id,
        rows: i.rows,
        duplicateRows: i.duplicateRows,
        ...(i.columns ? { droppedColumns: i.columns.dropped, missingColumns: i.columns.missing } : {}),
      };
      const job = await this.jobs.updateIn(tx, i.jobId, { state: 'SUCCEEDED', progress: 1, result }, ['RUNNING']);
      if (!job) throw new FailedPrecondition(`job ${i.jobId} is not running; the ingest was not committed`, { field: 'id' });
      if (i.basis.length > 0) {
        // Rows equal to those of an ingest reverted meanwhile were skipped as duplicates: they would be lost.
        const { rows: gone } = await tx.query<{ id: string }>(`SELECT id::text FROM ingests WHERE id = ANY($1::uuid[]) AND state <> 'COMMITTED' FOR UPDATE`, [
          i.basis,
        ]);
        if (gone.length > 0) {
          throw new FailedPrecondition(`ingest ${gone[0].id} was reverted while this one ran; start the ingest again`, { field: 'id' });
        }
      }
      if (i.logRange) {
        // Exactly once: the drained position moves only from where this ingest's range starts.
        await tx.query(`INSERT INTO online_sync (project, feature_set, major, drained_through) VALUES ($1, $2, $3, 0) ON CONFLICT DO NOTHING`, [
          i.project,
          i.featureSet,
          i.major,
        ]);
        const moved = await tx.query(
          `UPDATE online_sync SET drained_through = $5, ingest_id = $6, update_time = clock_timestamp()
           WHERE project = $1 AND feature_set = $2 AND major = $3 AND drained_through = $4`,
          [i.project, i.featureSet, i.major, i.logRange.after, i.logRange.through, i.id],
        );
        if (moved.rowCount === 0) throw new FailedPrecondition('these online rows were already drained by another run; nothing was committed', { field: 'id' });
      }
      await tx.query(
        `INSERT INTO ingests (id, project, feature_set, major, minor, job_id, source, state, rows, duplicate_rows, files, statistics, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, 'COMMITTED', $8, $9, $10::jsonb, $11::jsonb, $12)`,
        [
          i.id,
          i.project,
          i.featureSet,
          i.major,
          i.minor,
          i.jobId,
          JSON.stringify(i.source),
          i.rows,
          i.duplicateRows,
          JSON.stringify(i.files),
          JSON.stringify(i.statistics),
          i.createdBy,
        ],
      );
      await saveStatistics(tx, i.project, i.featureSet, i.major, i.statistics);
      const ingest = (await readByJob(tx, i.jobId))!;
      await writeEvents(tx, events(job, ingest));
      return { ingest, job };
    });
  }

  async revert(
    r: IngestRevert,
    events: (job: Job, featureSet: FeatureSet) => DomainEvent[],
    signal?: AbortSignal,
  ): Promise<{ job: Job; featureSet: FeatureSet }> {
    throwIfAborted(signal);
    return this.sql.transaction(async (tx) => {
      const { rows: reverted } = await tx.query<{ project: string; feature_set: string; major: number; rows: string }>(
        `UPDATE ingests SET state = 'REVERTED', revert_time = clock_timestamp() WHERE id = $1::uuid AND state = 'COMMITTED'
         RETURNING project, feature_set, major, rows::text`,
        [r.ingestId],
      );
      const ingest = reverted[0];
      if (!ingest) throw new FailedPrecondition(`ingest ${r.ingestId} is no longer committed; nothing was reverted`, { field: 'ingest_id' });
      const featureSet = await replaceLatestVersion(tx, r.version, r.expected);
      const result = { kind: 'revert' as const, ingestId: r.ingestId, version: versionString(featureSet), rowsRemoved: Number(ingest.rows) };
      const job = await this.jobs.updateIn(tx, r.jobId, { state: 'SUCCEEDED', progress: 1, result }, ['RUNNING']);
      if (!job) throw new FailedPrecondition(`job ${r.jobId} is not running; the ingest was not reverted`, { field: 'id' });
      await saveStatistics(tx, ingest.project, ingest.feature_set, ingest.major, r.statistics);
      await writeEvents(tx, events(job, featureSet));
      return { job, featureSet };
    });
  }

  async get(id: string): Promise<Ingest | undefined> {
    const { rows } = await this.sql.query<Row>(`SELECT ${COLUMNS} FROM ingests WHERE id = $1::uuid`, [id]);
    return rows[0] && toIngest(rows[0]);
  }

  async history(project: string, featureSet: string, major: number): Promise<Ingest[]> {
    const { rows } = await this.sql.query<Row>(
      `SELECT ${COLUMNS} FROM ingests WHERE project = $1 AND feature_set = $2 AND major = $3 ORDER BY commit_time, id`,
      [project, featureSet, major],
    );
    return rows.map(toIngest);
  }

  async drainedThrough(table: OnlineTable): Promise<number> {
    const { rows } = await this.sql.query<{ d: string }>(
      `SELECT drained_through::text AS d FROM online_sync WHERE project = $1 AND feature_set = $2 AND major = $3`,
      [table.project, table.featureSet, table.major],
    );
    return rows[0] ? Number(rows[0].d) : 0;
  }

  async statistics(project: string, featureSet: string, major: number): Promise<Record<string, FeatureStatistics> | undefined> {
    const { rows } = await this.sql.query<{ statistics: Record<string, FeatureStatistics> }>(
      `SELECT statistics FROM feature_set_statistics WHERE project = $1 AND feature_set = $2 AND major = $3`,
      [project, featureSet, major],
    );
    return rows[0] && toStatistics(rows[0].statistics);
  }

  async list(project: string, featureSet: string, before: { commitTime: Date; id: string } | undefined, limit: number): Promise<Ingest[]> {
    // Paged by the millisecond a client sees (Ingest.commitTime is a Date), as the jobs list is:
    // a cursor at a truncated time would otherwise skip ingests committed in the same millisecond.
    const { rows } = await this.sql.query<Row>(
      `SELECT ${COLUMNS} FROM ingests WHERE project = $1 AND feature_set = $2
         AND ($3::timestamptz IS NULL OR (date_trunc('milliseconds', commit_time), id) < ($3::timestamptz, $4::uuid))
       ORDER BY date_trunc('milliseconds', commit_time) DESC, id DESC LIMIT $5`,
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

async function saveStatistics(
  tx: SqlExecutor,
  project: string,
  featureSet: string,
  major: number,
  statistics: Record<string, FeatureStatistics>,
): Promise<void> {
  await tx.query(
    `INSERT INTO feature_set_statistics (project, feature_set, major, statistics) VALUES ($1, $2, $3, $4::jsonb)
     ON CONFLICT (project, feature_set, major) DO UPDATE SET statistics = EXCLUDED.statistics, update_time = clock_timestamp()`,
    [project, featureSet, major, JSON.stringify(statistics)],
  );
}

async function readByJob(db: SqlExecutor, jobId: string): Promise<Ingest | undefined> {
  const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM ingests WHERE job_id = $1::uuid`, [jobId]);
  return rows[0] && toIngest(rows[0]);
}

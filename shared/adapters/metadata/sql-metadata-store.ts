import { Aborted, AlreadyExists, FailedPrecondition, NotFound, throwIfAborted } from '../../core/errors.js';
import type { DomainEvent } from '../../core/events.js';
import type { FeatureSet, FeatureSetVersionNumber, FeatureView, FeatureViewSource, Project, Schema, Tags } from '../../core/model.js';
import type {
  ListFeatureSetsQuery,
  ListProjectsQuery,
  MetadataStore,
  NewFeatureSetVersion,
  NewFeatureViewVersion,
  NewProject,
  ProjectChanges,
} from '../../core/ports/metadata-store.js';
import type { SqlClient, SqlExecutor } from '../sql/sql-client.js';
import { writeEvents } from './outbox.js';

interface ProjectRow {
  name: string;
  description: string;
  owner: string;
  tags: Tags;
  revision: number;
  create_time: Date;
  update_time: Date;
  feature_set_count: number;
}

interface VersionRow {
  project: string;
  name: string;
  major: number;
  minor: number;
  schema: Schema;
  description: string;
  owner: string;
  tags: Tags;
  ttl_seconds: number | null;
  created_by: string;
  change_summary: string;
  version_time: Date;
  fs_create_time: Date;
}

interface ViewRow {
  project: string;
  name: string;
  version: number;
  definition: { sources: FeatureViewSource[]; entityColumns: string[]; featureNames: string[] };
  description: string;
  owner: string;
  tags: Tags;
  created_by: string;
  version_time: Date;
  fv_create_time: Date;
}

const VIEW_COLUMNS = `w.project, w.name, w.version, w.definition, w.description, w.owner, w.tags, w.created_by,
  w.create_time AS version_time, fv.create_time AS fv_create_time`;
const VIEWS_JOIN = `feature_views fv JOIN feature_view_versions w ON w.project = fv.project AND w.name = fv.name`;

function toFeatureView(r: ViewRow): FeatureView {
  return {
    project: r.project,
    name: r.name,
    version: r.version,
    ...r.definition,
    description: r.description,
    owner: r.owner,
    tags: r.tags,
    createdBy: r.created_by,
    createTime: r.fv_create_time,
    updateTime: r.version_time,
  };
}

const PROJECT_COLUMNS = `p.name, p.description, p.owner, p.tags, p.revision, p.create_time, p.update_time,
  (SELECT count(*)::int FROM feature_sets f WHERE f.project = p.name) AS feature_set_count`;

const VERSION_COLUMNS = `v.project, v.name, v.major, v.minor, v.schema, v.description, v.owner, v.tags,
  v.ttl_seconds::float8 AS ttl_seconds, v.created_by, v.change_summary, v.create_time AS version_time,
  fs.create_time AS fs_create_time`;

const VERSIONS_JOIN = `feature_sets fs JOIN feature_set_versions v ON v.project = fs.project AND v.name = fs.name`;
const LATEST = `v.major = fs.latest_major AND v.minor = fs.latest_minor`;

function toProject(r: ProjectRow): Project {
  return {
    name: r.name,
    description: r.description,
    owner: r.owner,
    tags: r.tags,
    revision: r.revision,
    createTime: r.create_time,
    updateTime: r.update_time,
    featureSetCount: r.feature_set_count,
  };
}

function toFeatureSet(r: VersionRow): FeatureSet {
  return {
    project: r.project,
    name: r.name,
    major: r.major,
    minor: r.minor,
    schema: r.schema,
    description: r.description,
    owner: r.owner,
    tags: r.tags,
    ttlSeconds: r.ttl_seconds,
    createdBy: r.created_by,
    changeSummary: r.change_summary,
    createTime: r.fs_create_time,
    updateTime: r.version_time,
  };
}

/** The catalog on PostgreSQL or PGlite: one set of statements for both. */
export class SqlMetadataStore implements MetadataStore {
  constructor(private readonly sql: SqlClient) {}

  async createProject(p: NewProject, events: DomainEvent[], signal?: AbortSignal): Promise<Project> {
    throwIfAborted(signal);
    return this.sql.transaction(async (tx) => {
      const ins = await tx.query(`INSERT INTO projects (name, description, owner, tags) VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT (name) DO NOTHING`, [
        p.name,
        p.description,
        p.owner,
        JSON.stringify(p.tags),
      ]);
      if (ins.rowCount === 0) throw new AlreadyExists(`project "${p.name}" already exists`, { field: 'name' });
      await writeEvents(tx, events);
      return (await readProject(tx, p.name))!;
    });
  }

  async getProject(name: string, signal?: AbortSignal): Promise<Project | undefined> {
    throwIfAborted(signal);
    return readProject(this.sql, name);
  }

  async listProjects(q: ListProjectsQuery, signal?: AbortSignal): Promise<Project[]> {
    throwIfAborted(signal);
    const { rows } = await this.sql.query<ProjectRow>(
      `SELECT ${PROJECT_COLUMNS} FROM projects p
       WHERE starts_with(p.name, $1) AND ($2::text IS NULL OR p.name > $2)
         AND ($4::text IS NULL OR p.owner = $4 OR EXISTS (SELECT 1 FROM permissions g WHERE g.project = p.name AND g.principal_id = $4))
       ORDER BY p.name LIMIT $3`,
      [q.namePrefix, q.afterName ?? null, q.limit, q.visibleTo ?? null],
    );
    return rows.map(toProject);
  }

  async updateProject(name: string, c: ProjectChanges, expectedRevision: number, events: DomainEvent[], signal?: AbortSignal): Promise<Project> {
    throwIfAborted(signal);
    return this.sql.transaction(async (tx) => {
      const upd = await tx.query(
        `UPDATE projects SET description = $3, owner = $4, tags = $5::jsonb, revision = revision + 1, update_time = now()
         WHERE name = $1 AND revision = $2`,
        [name, expectedRevision, c.description, c.owner, JSON.stringify(c.tags)],
      );
      if (upd.rowCount === 0) {
        if (!(await readProject(tx, name))) throw new NotFound(`project "${name}" does not exist`, { field: 'name' });
        throw new Aborted('the project changed concurrently; get it again and retry', { field: 'etag' });
      }
      await writeEvents(tx, events);
      return (await readProject(tx, name))!;
    });
  }

  async deleteProject(name: string, o: { cascade: boolean; expectedRevision?: number }, events: DomainEvent[], signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    await this.sql.transaction(async (tx) => {
      const { rows } = await tx.query<{ revision: number; n: number }>(
        `SELECT revision, (SELECT count(*)::int FROM feature_sets f WHERE f.project = p.name)
           + (SELECT count(*)::int FROM feature_views v WHERE v.project = p.name) AS n FROM projects p WHERE name = $1 FOR UPDATE`,
        [name],
      );
      const row = rows[0];
      if (!row) throw new NotFound(`project "${name}" does not exist`, { field: 'name' });
      if (o.expectedRevision !== undefined && row.revision !== o.expectedRevision) {
        throw new Aborted('the project changed since you read it; get it again and retry', { field: 'etag' });
      }
      if (row.n > 0 && !o.cascade) {
        throw new FailedPrecondition(`project "${name}" still has ${row.n} feature set(s) or view(s); delete them first or set force`, { field: 'force' });
      }
      await tx.query('DELETE FROM projects WHERE name = $1', [name]);
      await writeEvents(tx, events);
    });
  }

  async createFeatureSet(v: NewFeatureSetVersion, events: DomainEvent[], signal?: AbortSignal): Promise<FeatureSet> {
    throwIfAborted(signal);
    return this.sql.transaction(async (tx) => {
      // FOR SHARE holds off a concurrent project delete until this commits.
      const project = await tx.query('SELECT 1 FROM projects WHERE name = $1 FOR SHARE', [v.project]);
      if (project.rows.length === 0) throw new NotFound(`project "${v.project}" does not exist; create it first`, { field: 'project' });
      const ins = await tx.query(`INSERT INTO feature_sets (project, name, latest_major, latest_minor) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, [
        v.project,
        v.name,
        v.major,
        v.minor,
      ]);
      if (ins.rowCount === 0) throw new AlreadyExists(`feature set "${v.project}/${v.name}" already exists`, { field: 'name' });
      await insertVersion(tx, v);
      await writeEvents(tx, events);
      return (await readFeatureSet(tx, v.project, v.name, v))!;
    });
  }

  async getFeatureSet(project: string, name: string, version?: { major: number; minor?: number }, signal?: AbortSignal): Promise<FeatureSet | undefined> {
    throwIfAborted(signal);
    return readFeatureSet(this.sql, project, name, version);
  }

  async listFeatureSets(q: ListFeatureSetsQuery, signal?: AbortSignal): Promise<FeatureSet[]> {
    throwIfAborted(signal);
    const { exact, anyValue } = tagFilter(q.tags);
    const { rows } = await this.sql.query<VersionRow>(
      `SELECT ${VERSION_COLUMNS} FROM ${VERSIONS_JOIN}
       WHERE ${LATEST} AND fs.project = $1 AND starts_with(fs.name, $2) AND ($3::text IS NULL OR fs.name > $3)
         AND v.tags @> $4::jsonb AND v.tags ?& $5::text[]
       ORDER BY fs.name LIMIT $6`,
      [q.project, q.namePrefix, q.afterName ?? null, exact, anyValue, q.limit],
    );
    return rows.map(toFeatureSet);
  }

  async addFeatureSetVersion(v: NewFeatureSetVersion, expected: FeatureSetVersionNumber, events: DomainEvent[], signal?: AbortSignal): Promise<FeatureSet> {
    throwIfAborted(signal);
    return this.sql.transaction(async (tx) => {
      const fs = await replaceLatestVersion(tx, v, expected);
      await writeEvents(tx, events);
      return fs;
    });
  }

  async listFeatureSetVersions(
    project: string,
    name: string,
    before: FeatureSetVersionNumber | undefined,
    limit: number,
    signal?: AbortSignal,
  ): Promise<FeatureSet[]> {
    throwIfAborted(signal);
    const { rows } = await this.sql.query<VersionRow>(
      `SELECT ${VERSION_COLUMNS} FROM ${VERSIONS_JOIN}
       WHERE fs.project = $1 AND fs.name = $2 AND ($3::int IS NULL OR (v.major, v.minor) < ($3::int, $4::int))
       ORDER BY v.major DESC, v.minor DESC LIMIT $5`,
      [project, name, before?.major ?? null, before?.minor ?? null, limit],
    );
    return rows.map(toFeatureSet);
  }

  async deleteFeatureSet(
    project: string,
    name: string,
    expected: FeatureSetVersionNumber | undefined,
    events: DomainEvent[],
    signal?: AbortSignal,
  ): Promise<void> {
    throwIfAborted(signal);
    await this.sql.transaction(async (tx) => {
      const del = await tx.query(
        `DELETE FROM feature_sets WHERE project = $1 AND name = $2
           AND ($3::int IS NULL OR (latest_major = $3 AND latest_minor = $4))`,
        [project, name, expected?.major ?? null, expected?.minor ?? null],
      );
      if (del.rowCount === 0) {
        if (!(await readFeatureSet(tx, project, name))) throw new NotFound(`feature set "${project}/${name}" does not exist`, { field: 'name' });
        throw new Aborted('the feature set changed since you read it; get it again and retry', { field: 'etag' });
      }
      await writeEvents(tx, events);
    });
  }

  async createFeatureView(v: NewFeatureViewVersion, events: DomainEvent[], signal?: AbortSignal): Promise<FeatureView> {
    throwIfAborted(signal);
    return this.sql.transaction(async (tx) => {
      const project = await tx.query('SELECT 1 FROM projects WHERE name = $1 FOR SHARE', [v.project]);
      if (project.rows.length === 0) throw new NotFound(`project "${v.project}" does not exist; create it first`, { field: 'project' });
      const ins = await tx.query(`INSERT INTO feature_views (project, name, latest_version) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [
        v.project,
        v.name,
        v.version,
      ]);
      if (ins.rowCount === 0) throw new AlreadyExists(`feature view "${v.project}/${v.name}" already exists`, { field: 'name' });
      await insertViewVersion(tx, v);
      await writeEvents(tx, events);
      return (await readFeatureView(tx, v.project, v.name, v.version))!;
    });
  }

  async getFeatureView(project: string, name: string, version?: number, signal?: AbortSignal): Promise<FeatureView | undefined> {
    throwIfAborted(signal);
    return readFeatureView(this.sql, project, name, version);
  }

  async listFeatureViews(q: ListFeatureSetsQuery, signal?: AbortSignal): Promise<FeatureView[]> {
    throwIfAborted(signal);
    const { exact, anyValue } = tagFilter(q.tags);
    const { rows } = await this.sql.query<ViewRow>(
      `SELECT ${VIEW_COLUMNS} FROM ${VIEWS_JOIN}
       WHERE w.version = fv.latest_version AND fv.project = $1 AND starts_with(fv.name, $2) AND ($3::text IS NULL OR fv.name > $3)
         AND w.tags @> $4::jsonb AND w.tags ?& $5::text[]
       ORDER BY fv.name LIMIT $6`,
      [q.project, q.namePrefix, q.afterName ?? null, exact, anyValue, q.limit],
    );
    return rows.map(toFeatureView);
  }

  async addFeatureViewVersion(v: NewFeatureViewVersion, expected: number, events: DomainEvent[], signal?: AbortSignal): Promise<FeatureView> {
    throwIfAborted(signal);
    return this.sql.transaction(async (tx) => {
      const upd = await tx.query(`UPDATE feature_views SET latest_version = $3 WHERE project = $1 AND name = $2 AND latest_version = $4`, [
        v.project,
        v.name,
        v.version,
        expected,
      ]);
      if (upd.rowCount === 0) {
        if (!(await readFeatureView(tx, v.project, v.name))) throw new NotFound(`feature view "${v.project}/${v.name}" does not exist`, { field: 'name' });
        throw new Aborted('the feature view changed concurrently; get it again and retry', { field: 'etag' });
      }
      await insertViewVersion(tx, v);
      await writeEvents(tx, events);
      return (await readFeatureView(tx, v.project, v.name, v.version))!;
    });
  }

  async listFeatureViewVersions(project: string, name: string, before: number | undefined, limit: number, signal?: AbortSignal): Promise<FeatureView[]> {
    throwIfAborted(signal);
    const { rows } = await this.sql.query<ViewRow>(
      `SELECT ${VIEW_COLUMNS} FROM ${VIEWS_JOIN}
       WHERE fv.project = $1 AND fv.name = $2 AND ($3::int IS NULL OR w.version < $3::int)
       ORDER BY w.version DESC LIMIT $4`,
      [project, name, before ?? null, limit],
    );
    return rows.map(toFeatureView);
  }

  async deleteFeatureView(project: string, name: string, expected: number | undefined, events: DomainEvent[], signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    await this.sql.transaction(async (tx) => {
      const del = await tx.query(`DELETE FROM feature_views WHERE project = $1 AND name = $2 AND ($3::int IS NULL OR latest_version = $3)`, [
        project,
        name,
        expected ?? null,
      ]);
      if (del.rowCount === 0) {
        if (!(await readFeatureView(tx, project, name))) throw new NotFound(`feature view "${project}/${name}" does not exist`, { field: 'name' });
        throw new Aborted('the feature view changed since you read it; get it again and retry', { field: 'etag' });
      }
      await writeEvents(tx, events);
    });
  }

  close(): Promise<void> {
    return this.sql.close();
  }
}

async function readFeatureView(db: SqlExecutor, project: string, name: string, version?: number): Promise<FeatureView | undefined> {
  const { rows } = await db.query<ViewRow>(
    `SELECT ${VIEW_COLUMNS} FROM ${VIEWS_JOIN}
     WHERE fv.project = $1 AND fv.name = $2 AND w.version = ${version === undefined ? 'fv.latest_version' : '$3'}`,
    version === undefined ? [project, name] : [project, name, version],
  );
  return rows[0] && toFeatureView(rows[0]);
}

async function insertViewVersion(tx: SqlExecutor, v: NewFeatureViewVersion): Promise<void> {
  const definition = { sources: v.sources, entityColumns: v.entityColumns, featureNames: v.featureNames };
  await tx.query(
    `INSERT INTO feature_view_versions (project, name, version, definition, description, owner, tags, created_by)
     VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7::jsonb, $8)`,
    [v.project, v.name, v.version, JSON.stringify(definition), v.description, v.owner, JSON.stringify(v.tags), v.createdBy],
  );
}

/** A tag query as SQL parameters: tags that must match exactly (jsonb @>), and keys with any value (?&). */
function tagFilter(tags: Tags): { exact: string; anyValue: string[] } {
  const entries = Object.entries(tags);
  return {
    exact: JSON.stringify(Object.fromEntries(entries.filter(([, value]) => value !== ''))),
    anyValue: entries.filter(([, value]) => value === '').map(([key]) => key),
  };
}

async function readProject(db: SqlExecutor, name: string): Promise<Project | undefined> {
  const { rows } = await db.query<ProjectRow>(`SELECT ${PROJECT_COLUMNS} FROM projects p WHERE p.name = $1`, [name]);
  return rows[0] && toProject(rows[0]);
}

async function readFeatureSet(db: SqlExecutor, project: string, name: string, version?: { major: number; minor?: number }): Promise<FeatureSet | undefined> {
  const where = !version ? LATEST : version.minor === undefined ? 'v.major = $3' : 'v.major = $3 AND v.minor = $4';
  const params: unknown[] = [project, name];
  if (version) params.push(version.major);
  if (version?.minor !== undefined) params.push(version.minor);
  const { rows } = await db.query<VersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM ${VERSIONS_JOIN}
     WHERE fs.project = $1 AND fs.name = $2 AND ${where} ORDER BY v.minor DESC LIMIT 1`,
    params,
  );
  return rows[0] && toFeatureSet(rows[0]);
}

/**
 * Inside a transaction: makes `v` the latest version if the latest is still `expected` (NotFound
 * without the feature set, Aborted on a concurrent change). Shared with the ingest catalog, whose
 * reverts make minor versions.
 */
export async function replaceLatestVersion(tx: SqlExecutor, v: NewFeatureSetVersion, expected: FeatureSetVersionNumber): Promise<FeatureSet> {
  // Compare-and-set on the latest version: of two concurrent writers, the second matches no row.
  const upd = await tx.query(
    `UPDATE feature_sets SET latest_major = $3, latest_minor = $4
     WHERE project = $1 AND name = $2 AND latest_major = $5 AND latest_minor = $6`,
    [v.project, v.name, v.major, v.minor, expected.major, expected.minor],
  );
  if (upd.rowCount === 0) {
    if (!(await readFeatureSet(tx, v.project, v.name))) {
      throw new NotFound(`feature set "${v.project}/${v.name}" does not exist`, { field: 'name' });
    }
    throw new Aborted('the feature set changed concurrently; get it again and retry', { field: 'etag' });
  }
  await insertVersion(tx, v);
  return (await readFeatureSet(tx, v.project, v.name, v))!;
}

async function insertVersion(tx: SqlExecutor, v: NewFeatureSetVersion): Promise<void> {
  await tx.query(
    `INSERT INTO feature_set_versions
       (project, name, major, minor, schema, description, owner, tags, ttl_seconds, created_by, change_summary)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8::jsonb, $9, $10, $11)`,
    [v.project, v.name, v.major, v.minor, JSON.stringify(v.schema), v.description, v.owner, JSON.stringify(v.tags), v.ttlSeconds, v.createdBy, v.changeSummary],
  );
}

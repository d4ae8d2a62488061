// Numbered, append-only migrations, applied in order at start by migrate(). Never edit a shipped
// one: add the next number. The same SQL runs on PostgreSQL and PGlite.

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'catalog and outbox',
    sql: `
      CREATE TABLE projects (
        name         text COLLATE "C" PRIMARY KEY,
        description  text NOT NULL DEFAULT '',
        owner        text NOT NULL,
        tags         jsonb NOT NULL DEFAULT '{}',
        revision     integer NOT NULL DEFAULT 1,
        create_time  timestamptz NOT NULL DEFAULT now(),
        update_time  timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE feature_sets (
        project      text COLLATE "C" NOT NULL REFERENCES projects (name) ON DELETE CASCADE,
        name         text COLLATE "C" NOT NULL,
        latest_major integer NOT NULL,
        latest_minor integer NOT NULL,
        create_time  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (project, name)
      );

      CREATE TABLE feature_set_versions (
        project        text COLLATE "C" NOT NULL,
        name           text COLLATE "C" NOT NULL,
        major          integer NOT NULL CHECK (major >= 1),
        minor          integer NOT NULL CHECK (minor >= 0),
        schema         jsonb NOT NULL,
        description    text NOT NULL DEFAULT '',
        owner          text NOT NULL,
        tags           jsonb NOT NULL DEFAULT '{}',
        ttl_seconds    bigint CHECK (ttl_seconds > 0),
        created_by     text NOT NULL,
        change_summary text NOT NULL DEFAULT '',
        create_time    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (project, name, major, minor),
        FOREIGN KEY (project, name) REFERENCES feature_sets (project, name) ON DELETE CASCADE
      );

      -- Transactional outbox: a row is written in the same transaction as the change it announces;
      -- a relay publishes unpublished rows in id order and stamps publish_time.
      CREATE TABLE outbox (
        id           bigserial PRIMARY KEY,
        event_id     uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
        type         text NOT NULL,
        source       text NOT NULL,
        subject      text NOT NULL,
        data         jsonb NOT NULL,
        create_time  timestamptz NOT NULL DEFAULT now(),
        publish_time timestamptz
      );
      CREATE INDEX outbox_unpublished ON outbox (id) WHERE publish_time IS NULL;
    `,
  },
  {
    version: 2,
    name: 'jobs and processed events',
    sql: `
      CREATE TABLE jobs (
        id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        type             text NOT NULL,
        state            text NOT NULL CHECK (state IN ('PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
        project          text COLLATE "C" NOT NULL DEFAULT '',
        feature_set      text COLLATE "C" NOT NULL DEFAULT '',
        spec             jsonb NOT NULL,
        progress         double precision NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
        message          text NOT NULL DEFAULT '',
        error            jsonb,
        result           jsonb,
        created_by       text NOT NULL,
        request_id       text NOT NULL DEFAULT '',
        cancel_requested boolean NOT NULL DEFAULT false,
        revision         integer NOT NULL DEFAULT 1,
        create_time      timestamptz NOT NULL DEFAULT clock_timestamp(),
        start_time       timestamptz,
        end_time         timestamptz
      );
      CREATE UNIQUE INDEX jobs_request ON jobs (created_by, request_id) WHERE request_id <> '';
      CREATE INDEX jobs_newest ON jobs (create_time DESC, id DESC);
      CREATE INDEX jobs_active ON jobs (state) WHERE state IN ('PENDING', 'RUNNING');

      -- Idempotent event handling: a handler records (source, id) in the transaction of its effect.
      CREATE TABLE processed_events (
        handler        text NOT NULL,
        source         text NOT NULL,
        id             text NOT NULL,
        process_time   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (handler, source, id)
      );
    `,
  },
  {
    version: 3,
    name: 'outbox delivery state',
    sql: `
      ALTER TABLE outbox
        ADD COLUMN attempts integer NOT NULL DEFAULT 0,
        ADD COLUMN last_error text,
        ADD COLUMN dead_letter_time timestamptz;
      DROP INDEX outbox_unpublished;
      CREATE INDEX outbox_pending ON outbox (id) WHERE publish_time IS NULL AND dead_letter_time IS NULL;
    `,
  },
  {
    version: 4,
    name: 'ingest catalog',
    sql: `
      -- An ingest is visible exactly when its row here is COMMITTED: data files are written first,
      -- under a folder of their own, and this row commits last (with its job and events).
      CREATE TABLE ingests (
        id             uuid PRIMARY KEY,
        project        text COLLATE "C" NOT NULL,
        feature_set    text COLLATE "C" NOT NULL,
        major          integer NOT NULL,
        minor          integer NOT NULL,
        job_id         uuid NOT NULL UNIQUE REFERENCES jobs (id),
        source         jsonb NOT NULL,
        state          text NOT NULL CHECK (state IN ('COMMITTED', 'REVERTED')),
        rows           bigint NOT NULL,
        duplicate_rows bigint NOT NULL,
        files          jsonb NOT NULL,
        statistics     jsonb NOT NULL DEFAULT '{}',
        created_by     text NOT NULL,
        commit_time    timestamptz NOT NULL DEFAULT clock_timestamp(),
        revert_time    timestamptz,
        FOREIGN KEY (project, feature_set) REFERENCES feature_sets (project, name) ON DELETE CASCADE
      );
      CREATE INDEX ingests_history ON ingests (project, feature_set, commit_time DESC, id DESC);
    `,
  },
  {
    version: 5,
    name: 'current statistics per feature set version',
    sql: `
      -- Statistics over the rows visible now, replaced by every ingest commit and every revert
      -- (an ingest row keeps the statistics as they were right after it).
      CREATE TABLE feature_set_statistics (
        project      text COLLATE "C" NOT NULL,
        feature_set  text COLLATE "C" NOT NULL,
        major        integer NOT NULL,
        statistics   jsonb NOT NULL,
        update_time  timestamptz NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (project, feature_set, major),
        FOREIGN KEY (project, feature_set) REFERENCES feature_sets (project, name) ON DELETE CASCADE
      );
      INSERT INTO feature_set_statistics (project, feature_set, major, statistics)
        SELECT DISTINCT ON (project, feature_set, major) project, feature_set, major, statistics
        FROM ingests WHERE state = 'COMMITTED' ORDER BY project, feature_set, major, commit_time DESC, id DESC;
    `,
  },
  {
    version: 6,
    name: 'online rows log, drain positions, job heartbeats',
    sql: `
      -- Rows written online, in commit order, until online-to-offline drains them into an offline
      -- ingest (the embedded default's durable log; service mode uses a Kafka topic). One record per
      -- online write: the rows of one call, each a JSON array in schema order (stored form).
      CREATE TABLE online_log (
        seq          bigserial PRIMARY KEY,
        project      text COLLATE "C" NOT NULL,
        feature_set  text COLLATE "C" NOT NULL,
        major        integer NOT NULL,
        rows         jsonb NOT NULL,
        row_count    integer NOT NULL,
        create_time  timestamptz NOT NULL DEFAULT clock_timestamp()
      );
      CREATE INDEX online_log_table ON online_log (project, feature_set, major, seq);
      -- How far each table's log is in the offline store: advanced only by the commit of the ingest
      -- that holds those rows (compare-and-set), so every logged row lands offline exactly once.
      CREATE TABLE online_sync (
        project          text COLLATE "C" NOT NULL,
        feature_set      text COLLATE "C" NOT NULL,
        major            integer NOT NULL,
        drained_through  bigint NOT NULL,
        ingest_id        uuid,
        update_time      timestamptz NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (project, feature_set, major)
      );
      -- A running job's worker touches this while alive; one silent past the lease is abandoned.
      ALTER TABLE jobs ADD COLUMN heartbeat_time timestamptz;
      CREATE INDEX jobs_running ON jobs (heartbeat_time) WHERE state = 'RUNNING';
    `,
  },
  {
    version: 7,
    name: 'processed events (idempotent handlers), job attempts',
    sql: `
      -- Every CloudEvent a consumer handled, by source and id: redeliveries are recognised and skipped.
      -- (Replaces version 2's table of the same name, which nothing wrote.)
      DROP TABLE processed_events;
      CREATE TABLE processed_events (
        consumer      text COLLATE "C" NOT NULL,
        source        text COLLATE "C" NOT NULL,
        id            text COLLATE "C" NOT NULL,
        type          text NOT NULL,
        handled_time  timestamptz NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (consumer, source, id)
      );
      CREATE INDEX processed_events_time ON processed_events (handled_time);
      -- Which worker owns a running job: a job taken over from a dead worker gets the next attempt,
      -- and the old worker's late reports (matched on the attempt) change nothing.
      ALTER TABLE jobs ADD COLUMN attempt integer NOT NULL DEFAULT 0;
      -- When the worker reported the outcome (job.status); the job stays RUNNING until status-handler
      -- applies it, but it has no worker left to lose.
      ALTER TABLE jobs ADD COLUMN reported_time timestamptz;
    `,
  },
  {
    version: 8,
    name: 'job changes announced (watchers follow NOTIFY instead of polling)',
    sql: `
      -- Every change that moves a job's revision (state, progress, message, result; not heartbeats)
      -- is announced on commit with the job's id.
      CREATE FUNCTION featurestore_job_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('featurestore_jobs', NEW.id::text);
        RETURN NULL;
      END $$;
      CREATE TRIGGER jobs_changed AFTER INSERT OR UPDATE OF revision ON jobs
        FOR EACH ROW EXECUTE FUNCTION featurestore_job_changed();
    `,
  },
  {
    version: 9,
    name: 'roles and access requests',
    sql: `
      -- A role of a principal on a project ('' feature set: the project and all its feature sets)
      -- or on one feature set. One row per (resource, principal, role).
      CREATE TABLE permissions (
        project       text COLLATE "C" NOT NULL,
        feature_set   text COLLATE "C" NOT NULL DEFAULT '',
        principal_id  text COLLATE "C" NOT NULL,
        role          text NOT NULL CHECK (role IN ('OWNER', 'EDITOR', 'SENSITIVE_CONSUMER', 'CONSUMER', 'VIEWER')),
        granted_by    text NOT NULL,
        create_time   timestamptz NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (project, feature_set, principal_id, role)
      );
      CREATE INDEX permissions_principal ON permissions (principal_id, project);
      CREATE TABLE access_requests (
        id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        project          text COLLATE "C" NOT NULL,
        feature_set      text COLLATE "C" NOT NULL DEFAULT '',
        principal_id     text COLLATE "C" NOT NULL,
        role             text NOT NULL CHECK (role IN ('OWNER', 'EDITOR', 'SENSITIVE_CONSUMER', 'CONSUMER', 'VIEWER')),
        reason           text NOT NULL DEFAULT '',
        state            text NOT NULL DEFAULT 'PENDING' CHECK (state IN ('PENDING', 'APPROVED', 'REJECTED', 'WITHDRAWN')),
        decided_by       text NOT NULL DEFAULT '',
        decision_reason  text NOT NULL DEFAULT '',
        create_time      timestamptz NOT NULL DEFAULT clock_timestamp(),
        decide_time      timestamptz
      );
      CREATE INDEX access_requests_resource ON access_requests (project, feature_set, state);
    `,
  },
  {
    version: 10,
    name: 'personal access tokens',
    sql: `
      -- A token's secret is never stored: its sha256 is, with the public lookup part of the secret.
      CREATE TABLE tokens (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        lookup          text COLLATE "C" NOT NULL UNIQUE,
        hash            text NOT NULL,
        name            text NOT NULL,
        principal_id    text COLLATE "C" NOT NULL,
        principal       jsonb NOT NULL,
        create_time     timestamptz NOT NULL DEFAULT clock_timestamp(),
        expire_time     timestamptz NOT NULL,
        last_use_time   timestamptz,
        revoke_time     timestamptz
      );
      CREATE INDEX tokens_principal ON tokens (principal_id, create_time);
    `,
  },
  {
    version: 11,
    name: 'jobs remember whether their starter was an admin',
    sql: `
      -- A job runs with the permissions of the principal who started it, checked again when it
      -- starts: grants are in the catalog, but being an admin comes with the token, so it is kept here.
      ALTER TABLE jobs ADD COLUMN created_by_admin boolean NOT NULL DEFAULT false;
    `,
  },
  {
    version: 12,
    name: 'jobs handed off to a cluster application',
    sql: `
      -- The application (spark-k8s: a SparkApplication's name) running a job outside any request.
      -- While set, the job has no lease: the application's watch ends it, not a takeover.
      ALTER TABLE jobs ADD COLUMN handed_off text;
    `,
  },
  {
    version: 13,
    name: "the credential and result of a handed-off job's application",
    sql: `
      -- A handed-off job's application reports over gRPC with a credential of its own: only its
      -- hash is kept. What it reports as its result waits here until the job finishes with it.
      -- Both are cleared when the job ends.
      ALTER TABLE jobs ADD COLUMN runner_token_hash text;
      ALTER TABLE jobs ADD COLUMN runner_outcome text;
    `,
  },
  {
    version: 14,
    name: 'feature views',
    sql: `
      -- A feature view: features of several feature sets sharing an entity key, versioned like a
      -- feature set (every change a new version, the latest named here). The definition (sources
      -- pinned to majors, entity columns, output names) is one jsonb value.
      CREATE TABLE feature_views (
        project        text COLLATE "C" NOT NULL REFERENCES projects (name) ON DELETE CASCADE,
        name           text COLLATE "C" NOT NULL,
        latest_version integer NOT NULL,
        create_time    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (project, name)
      );

      CREATE TABLE feature_view_versions (
        project     text COLLATE "C" NOT NULL,
        name        text COLLATE "C" NOT NULL,
        version     integer NOT NULL CHECK (version >= 1),
        definition  jsonb NOT NULL,
        description text NOT NULL DEFAULT '',
        owner       text NOT NULL,
        tags        jsonb NOT NULL DEFAULT '{}',
        created_by  text NOT NULL,
        create_time timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (project, name, version),
        FOREIGN KEY (project, name) REFERENCES feature_views (project, name) ON DELETE CASCADE
      );
    `,
  },
];

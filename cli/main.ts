import { readFile, open } from 'node:fs/promises';
import { basename, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { Command, InvalidArgumentError } from 'commander';
import { FeatureSet, type InferSchemaResponse } from '../shared/gen/featurestore/v1/feature_set.js';
import { Format, type Schema } from '../shared/gen/featurestore/v1/common.js';
import { ExtraColumns, Ingest, IngestState } from '../shared/gen/featurestore/v1/ingest.js';
import { Job, JobState, JobType } from '../shared/gen/featurestore/v1/job.js';
import { Project } from '../shared/gen/featurestore/v1/project.js';
import { connect, DEFAULT_ENDPOINT, unary, type Clients } from './client.js';
import { collectTag, duration, parseDuration, table, tags, time, typeName } from './format.js';
import { jobOutcome, jobRows, watchJob } from './jobs.js';
import { jsonToValue, textToValue, valueToJson } from './online.js';
import { parse as parseLossless } from 'lossless-json';
import { optionalTimestamp, timestampFromDate, timestampToIso } from '../shared/runtime/api/proto-time.js';

/** Rows per IngestOnline call from `online put` (the server's default limit is 5,000). */
const ONLINE_BATCH = 1000;
import { parseSchemaFile, schemaToFile } from './schema-file.js';
import { RowStatus } from '../shared/gen/featurestore/v1/retrieve.js';

/** Bytes of a sample file sent for inference; CSV and JSON lines are cut at the last full line. */
const SAMPLE_BYTES = 4 * 1024 * 1024;

interface GlobalOptions {
  endpoint: string;
  json: boolean;
}

const program = new Command('featurestore')
  .description('Command line for the feature store: projects, feature sets, schemas.')
  .option('--endpoint <host:port>', 'feature store gRPC endpoint (env FEATURESTORE_ENDPOINT)', process.env['FEATURESTORE_ENDPOINT'] || DEFAULT_ENDPOINT)
  .option('--json', 'print JSON for scripts instead of tables', false)
  .showHelpAfterError();

const asParser =
  <T>(fn: (value: string, previous: T) => T) =>
  (value: string, previous: T) => {
    try {
      return fn(value, previous);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
const tagOption = asParser(collectTag);
const durationOption = asParser((v: string) => parseDuration(v));
const listOption = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** Runs an action with connected clients, printing errors the way a user can act on. */
function action<A extends unknown[]>(fn: (clients: Clients, opts: GlobalOptions, ...args: A) => Promise<void>) {
  return async (...args: A) => {
    const opts = program.opts<GlobalOptions>();
    const clients = connect(opts.endpoint);
    try {
      await fn(clients, opts, ...args);
    } catch (err) {
      process.exitCode = 1;
      process.stderr.write(`error: ${explain(err as ServiceError, opts.endpoint)}\n`);
    } finally {
      clients.close();
    }
  };
}

function explain(err: ServiceError | Error, endpoint: string): string {
  const code = (err as ServiceError).code;
  if (code === undefined) return err.message;
  if (code === GrpcStatus.UNAVAILABLE && /ECONNREFUSED|No connection established|connect/i.test(err.message)) {
    return `cannot reach the feature store at ${endpoint}: start it (\`make up\`) or point --endpoint / FEATURESTORE_ENDPOINT at it`;
  }
  return `${(err as ServiceError).details || err.message} (${GrpcStatus[code]})`;
}

function print(opts: GlobalOptions, json: unknown, human: () => string): void {
  process.stdout.write(opts.json ? `${JSON.stringify(json, null, 2)}\n` : `${human()}\n`);
}

function projectRows(projects: Project[]): string {
  return table(
    ['NAME', 'FEATURE SETS', 'OWNER', 'TAGS', 'DESCRIPTION'],
    projects.map((p) => [p.name, p.featureSetCount, p.owner, tags(p.tags), p.description]),
  );
}

function featureSetRows(sets: FeatureSet[]): string {
  return table(
    ['NAME', 'VERSION', 'FEATURES', 'PRIMARY KEY', 'EVENT TIME', 'TTL', 'TAGS'],
    sets.map((f) => [
      f.name,
      f.version,
      f.schema?.features.length ?? 0,
      f.schema?.primaryKey.join(',') ?? '',
      f.schema?.eventTimeColumn ?? '',
      duration(f.ttl),
      tags(f.tags),
    ]),
  );
}

function featureSetDetail(f: FeatureSet): string {
  const head = [
    `${f.project}/${f.name}  version ${f.version}  (etag ${f.etag})`,
    f.description && `  ${f.description}`,
    `  owner ${f.owner}, ttl ${duration(f.ttl)}, tags {${tags(f.tags)}}`,
    `  primary key ${f.schema?.primaryKey.join(', ')}; event time ${f.schema?.eventTimeColumn}`,
    `  registered ${time(f.createTime)}; this version ${time(f.updateTime)} by ${f.createdBy}: ${f.changeSummary}`,
  ].filter(Boolean);
  const features = table(
    ['FEATURE', 'TYPE', 'SENSITIVE', 'DESCRIPTION', 'TAGS'],
    (f.schema?.features ?? []).map((x) => [x.name, typeName(x), x.sensitive ? 'yes' : '', x.description, tags(x.tags)]),
  );
  return `${head.join('\n')}\n${features}`;
}

function formatOf(file: string, explicit?: string): Format {
  const name = (explicit ?? file).toLowerCase();
  if (explicit ? name === 'csv' : /\.(csv|tsv)$/.test(name)) return Format.FORMAT_CSV;
  if (explicit ? name === 'parquet' : /\.(parquet|pq)$/.test(name)) return Format.FORMAT_PARQUET;
  if (explicit ? name === 'jsonl' : /\.(jsonl|ndjson|json)$/.test(name)) return Format.FORMAT_JSONL;
  throw new Error(`cannot tell the format of ${file}: pass --format csv|parquet|jsonl`);
}

/** Reads the start of a sample file: whole lines of CSV/JSON lines, a whole Parquet file. */
async function readSample(file: string, format: Format): Promise<Buffer> {
  const handle = await open(file, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new Error(`cannot open ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  });
  try {
    const { size } = await handle.stat();
    if (format === Format.FORMAT_PARQUET && size > SAMPLE_BYTES) {
      throw new Error(`${file} is ${size} bytes; Parquet samples must be whole and at most ${SAMPLE_BYTES} bytes: write a smaller sample file`);
    }
    const buffer = Buffer.alloc(Math.min(size, SAMPLE_BYTES));
    await handle.read(buffer, 0, buffer.length, 0);
    if (size <= SAMPLE_BYTES || format === Format.FORMAT_PARQUET) return buffer;
    const end = buffer.lastIndexOf(0x0a);
    if (end <= 0) throw new Error(`the first ${SAMPLE_BYTES} bytes of ${file} hold no complete line`);
    return buffer.subarray(0, end + 1);
  } finally {
    await handle.close();
  }
}

async function inferFromFile(c: Clients, file: string, o: { primaryKey?: string[]; eventTime?: string; format?: string }): Promise<InferSchemaResponse> {
  const format = formatOf(file, o.format);
  const data = await readSample(file, format);
  return unary(c.featureSets, c.featureSets.inferSchema, {
    sample: { $case: 'inline', value: { data, format, fileName: basename(file) } },
    primaryKey: o.primaryKey ?? [],
    eventTimeColumn: o.eventTime ?? '',
  });
}

// ---- projects -------------------------------------------------------------------------------

const projects = program.command('projects').description('create, list, show, update and delete projects');

projects
  .command('create <name>')
  .option('-d, --description <text>', 'what the project is for', '')
  .option('-t, --tag <key=value>', 'a tag (repeatable)', tagOption, {})
  .action(
    action(async (c, opts, name: string, o: { description: string; tag: Record<string, string> }) => {
      const p = await unary(c.projects, c.projects.createProject, { name, description: o.description, tags: o.tag });
      print(opts, Project.toJSON(p), () => `created project ${p.name}`);
    }),
  );

projects
  .command('list')
  .option('--prefix <prefix>', 'only names starting with this', '')
  .option('--page-size <n>', 'projects per request', (v) => Number(v), 100)
  .action(
    action(async (c, opts, o: { prefix: string; pageSize: number }) => {
      const all: Project[] = [];
      let pageToken = '';
      do {
        const page = await unary(c.projects, c.projects.listProjects, { pageSize: o.pageSize, pageToken, namePrefix: o.prefix });
        all.push(...page.projects);
        pageToken = page.nextPageToken;
      } while (pageToken);
      print(
        opts,
        all.map((p) => Project.toJSON(p)),
        () => (all.length ? projectRows(all) : 'no projects yet: create one with `featurestore projects create NAME`'),
      );
    }),
  );

projects.command('get <name>').action(
  action(async (c, opts, name: string) => {
    const p = await unary(c.projects, c.projects.getProject, { name });
    print(opts, Project.toJSON(p), () => `${projectRows([p])}\ncreated ${time(p.createTime)}, updated ${time(p.updateTime)}, etag ${p.etag}`);
  }),
);

projects
  .command('update <name>')
  .option('-d, --description <text>')
  .option('--owner <principal>')
  .option('-t, --tag <key=value>', 'set a tag; key= removes it (repeatable)', tagOption, {})
  .option('--replace-tags', 'replace all tags instead of merging', false)
  .option('--etag <etag>', 'fail if the project changed since this etag', '')
  .action(
    action(async (c, opts, name: string, o: { description?: string; owner?: string; tag: Record<string, string>; replaceTags: boolean; etag: string }) => {
      const p = await unary(c.projects, c.projects.updateProject, {
        name,
        description: o.description,
        owner: o.owner,
        tags: o.tag,
        replaceTags: o.replaceTags,
        etag: o.etag,
      });
      print(opts, Project.toJSON(p), () => `updated project ${p.name} (etag ${p.etag})`);
    }),
  );

projects
  .command('delete <name>')
  .option('--force', 'also delete its feature sets', false)
  .action(
    action(async (c, opts, name: string, o: { force: boolean }) => {
      await unary(c.projects, c.projects.deleteProject, { name, force: o.force, etag: '' });
      print(opts, { deleted: name }, () => `deleted project ${name}`);
    }),
  );

// ---- feature sets ---------------------------------------------------------------------------

const featureSets = program.command('feature-sets').alias('fs').description('register, list, show, version and delete feature sets');

featureSets
  .command('register <project> <name>')
  .description('register from a schema file (--schema) or a schema inferred from a sample file (--from-sample)')
  .option('--schema <file>', 'schema JSON file (as written by `featurestore schema infer`)')
  .option('--from-sample <file>', 'CSV, Parquet or JSON-lines sample to infer the schema from')
  .option('--format <format>', 'sample format when the extension does not tell: csv, parquet, jsonl')
  .option('-k, --primary-key <columns>', 'primary-key columns, comma-separated', listOption)
  .option('-e, --event-time <column>', 'event-time column (inferred from the sample when omitted)')
  .option('-d, --description <text>', '', '')
  .option('-t, --tag <key=value>', 'a tag (repeatable)', tagOption, {})
  .option('--ttl <duration>', 'how long a row stays current, e.g. 7d', durationOption)
  .option('--owner <principal>', 'defaults to you')
  .action(
    action(async (c, opts, project: string, name: string, o: Record<string, unknown>) => {
      let schema: Schema;
      if (o['schema'] && o['fromSample']) throw new Error('give --schema or --from-sample, not both');
      if (o['schema']) {
        schema = parseSchemaFile(await readFile(String(o['schema']), 'utf8'), String(o['schema']));
        if (o['primaryKey']) schema.primaryKey = o['primaryKey'] as string[];
        if (o['eventTime']) schema.eventTimeColumn = String(o['eventTime']);
      } else if (o['fromSample']) {
        if (!o['primaryKey']) throw new Error('--from-sample needs --primary-key (the columns that identify an entity)');
        const inferred = await inferFromFile(c, String(o['fromSample']), o as { primaryKey: string[]; eventTime?: string; format?: string });
        for (const w of inferred.warnings) if (!opts.json) process.stderr.write(`note: ${w}\n`);
        schema = inferred.schema!;
      } else {
        throw new Error('give --schema FILE or --from-sample FILE');
      }
      const fs = await unary(c.featureSets, c.featureSets.registerFeatureSet, {
        project,
        name,
        schema,
        description: String(o['description'] ?? ''),
        tags: o['tag'] as Record<string, string>,
        ttl: o['ttl'] as never,
        owner: String(o['owner'] ?? ''),
      });
      print(opts, FeatureSet.toJSON(fs), () => `registered ${fs.project}/${fs.name} version ${fs.version}\n${featureSetDetail(fs)}`);
    }),
  );

featureSets
  .command('list <project>')
  .option('--prefix <prefix>', 'only names starting with this', '')
  .option('-t, --tag <key=value>', 'only feature sets with this tag; key= matches any value (repeatable)', tagOption, {})
  .action(
    action(async (c, opts, project: string, o: { prefix: string; tag: Record<string, string> }) => {
      const all: FeatureSet[] = [];
      let pageToken = '';
      do {
        const page = await unary(c.featureSets, c.featureSets.listFeatureSets, { project, namePrefix: o.prefix, tags: o.tag, pageSize: 0, pageToken });
        all.push(...page.featureSets);
        pageToken = page.nextPageToken;
      } while (pageToken);
      print(
        opts,
        all.map((f) => FeatureSet.toJSON(f)),
        () => (all.length ? featureSetRows(all) : `no feature sets in ${project}`),
      );
    }),
  );

featureSets
  .command('get <project> <name>')
  .option('--version <version>', '"major.minor" or "major"; latest when omitted', '')
  .action(
    action(async (c, opts, project: string, name: string, o: { version: string }) => {
      const fs = await unary(c.featureSets, c.featureSets.getFeatureSet, { project, name, version: o.version });
      print(opts, FeatureSet.toJSON(fs), () => featureSetDetail(fs));
    }),
  );

featureSets
  .command('update <project> <name>')
  .description('change metadata (a new minor version)')
  .option('-d, --description <text>')
  .option('--owner <principal>')
  .option('-t, --tag <key=value>', 'set a tag; key= removes it (repeatable)', tagOption, {})
  .option('--ttl <duration>', 'e.g. 7d', durationOption)
  .option('--no-ttl', 'remove the TTL')
  .option('--sensitive <features>', 'mark features sensitive, comma-separated', listOption)
  .option('--not-sensitive <features>', 'unmark features, comma-separated', listOption)
  .option('--feature-description <name=text>', 'describe a feature (repeatable)', tagOption, {})
  .option('--etag <etag>', 'fail if the feature set changed since this etag', '')
  .action(
    action(async (c, opts, project: string, name: string, o: Record<string, unknown>) => {
      const patches = new Map<string, { name: string; description?: string; sensitive?: boolean; tags: Record<string, string> }>();
      const patch = (n: string) => patches.get(n) ?? patches.set(n, { name: n, tags: {} }).get(n)!;
      for (const n of (o['sensitive'] as string[] | undefined) ?? []) patch(n).sensitive = true;
      for (const n of (o['notSensitive'] as string[] | undefined) ?? []) patch(n).sensitive = false;
      for (const [n, text] of Object.entries(o['featureDescription'] as Record<string, string>)) patch(n).description = text;
      const fs = await unary(c.featureSets, c.featureSets.updateFeatureSet, {
        project,
        name,
        description: o['description'] as string | undefined,
        owner: o['owner'] as string | undefined,
        tags: o['tag'] as Record<string, string>,
        replaceTags: false,
        ttl: (o['ttl'] === false ? undefined : o['ttl']) as never,
        clearTtl: o['ttl'] === false,
        features: [...patches.values()],
        etag: String(o['etag']),
      });
      print(opts, FeatureSet.toJSON(fs), () => `updated ${fs.project}/${fs.name}: now version ${fs.version}`);
    }),
  );

featureSets
  .command('new-version <project> <name>')
  .description('change the schema (a new major version) and report compatibility')
  .requiredOption('--schema <file>', 'the new schema JSON')
  .option('--dry-run', 'only report what would change', false)
  .option('--allow-incompatible', 'make the version even if it breaks readers', false)
  .option('--etag <etag>', 'fail if the feature set changed since this etag', '')
  .action(
    action(async (c, opts, project: string, name: string, o: { schema: string; dryRun: boolean; allowIncompatible: boolean; etag: string }) => {
      const schema = parseSchemaFile(await readFile(o.schema, 'utf8'), o.schema);
      const res = await unary(c.featureSets, c.featureSets.createFeatureSetVersion, {
        project,
        name,
        schema,
        etag: o.etag,
        validateOnly: o.dryRun,
        allowIncompatible: o.allowIncompatible,
        description: '',
      });
      const changes = res.report?.changes ?? [];
      print(opts, { featureSet: FeatureSet.toJSON(res.featureSet!), report: res.report }, () =>
        [
          o.dryRun ? 'dry run: nothing changed' : `${project}/${name} is now version ${res.featureSet?.version}`,
          `compatible: ${res.report?.compatible ? 'yes' : 'no'}`,
          changes.length
            ? table(
                ['CHANGE', 'FEATURE', 'FROM', 'TO', 'BREAKING'],
                changes.map((x) => [SchemaChangeName(x.kind), x.feature, x.from, x.to, x.breaking ? 'yes' : '']),
              )
            : 'no changes',
        ].join('\n'),
      );
    }),
  );

function SchemaChangeName(kind: number): string {
  return ['UNSPECIFIED', 'FEATURE_ADDED', 'FEATURE_REMOVED', 'TYPE_WIDENED', 'TYPE_CHANGED', 'PRIMARY_KEY_CHANGED', 'EVENT_TIME_CHANGED'][kind] ?? String(kind);
}

featureSets.command('versions <project> <name>').action(
  action(async (c, opts, project: string, name: string) => {
    const all: FeatureSet[] = [];
    let pageToken = '';
    do {
      const page = await unary(c.featureSets, c.featureSets.listFeatureSetVersions, { project, name, pageSize: 0, pageToken });
      all.push(...page.versions);
      pageToken = page.nextPageToken;
    } while (pageToken);
    print(
      opts,
      all.map((f) => FeatureSet.toJSON(f)),
      () =>
        table(
          ['VERSION', 'CREATED', 'BY', 'CHANGE'],
          all.map((f) => [f.version, time(f.updateTime), f.createdBy, f.changeSummary]),
        ),
    );
  }),
);

featureSets.command('delete <project> <name>').action(
  action(async (c, opts, project: string, name: string) => {
    await unary(c.featureSets, c.featureSets.deleteFeatureSet, { project, name, etag: '' });
    print(opts, { deleted: `${project}/${name}` }, () => `deleted ${project}/${name}`);
  }),
);

// ---- ingest ---------------------------------------------------------------------------------

/** A local path becomes an absolute file:// URI (the server reads it; it must lie under its roots). */
/** Follows a started job to its end with a progress bar; a job that does not succeed exits 1. */
async function followJob(c: Clients, opts: GlobalOptions, job: Job): Promise<void> {
  if (!opts.json) process.stderr.write(`job ${job.id}\n`);
  const done = await watchJob(c, job.id, { json: opts.json, tty: Boolean(process.stdout.isTTY) });
  if (!opts.json) process.stdout.write(`${jobOutcome(done)}\n`);
  if (done.state !== JobState.JOB_STATE_SUCCEEDED) process.exitCode = 1;
}

function sourceUri(source: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(source) ? source : pathToFileURL(resolvePath(source)).href;
}

program
  .command('ingest <project> <featureSet> <source>')
  .description('ingest a file, folder or glob (a path, or a file://, s3:// or abfss:// URI) offline, following the job until it ends')
  .option('--version <version>', 'feature set version; latest when omitted', '')
  .option('--format <format>', 'csv, parquet or jsonl; from the file names when omitted')
  .option('--delimiter <char>', 'CSV delimiter')
  .option('--extra-columns <policy>', 'ignore (drop them, the default) or fail', 'ignore')
  .option('--request-id <id>', 'retrying with the same id returns the first job instead of ingesting twice', '')
  .option('--no-wait', 'print the job and return without following it')
  .action(
    action(
      async (
        c,
        opts,
        project: string,
        name: string,
        source: string,
        o: { version: string; format?: string; delimiter?: string; extraColumns: string; requestId: string; wait: boolean },
      ) => {
        const policy = { ignore: ExtraColumns.EXTRA_COLUMNS_IGNORE, fail: ExtraColumns.EXTRA_COLUMNS_FAIL }[o.extraColumns.toLowerCase()];
        if (policy === undefined) throw new Error('--extra-columns must be ignore or fail');
        const job = await unary(c.ingest, c.ingest.startIngest, {
          featureSet: { project, name, version: o.version },
          source: {
            uri: sourceUri(source),
            format: o.format ? formatOf('', o.format) : Format.FORMAT_UNSPECIFIED,
            options: o.delimiter ? { delimiter: o.delimiter } : {},
          },
          extraColumns: policy,
          requestId: o.requestId,
        });
        if (!o.wait) return print(opts, Job.toJSON(job), () => `started job ${job.id}; follow it with: featurestore jobs watch ${job.id}`);
        await followJob(c, opts, job);
      },
    ),
  );

program
  .command('ingests <project> <featureSet>')
  .description('ingest history, newest first')
  .option('--limit <n>', 'at most this many', (v) => Number(v), 50)
  .action(
    action(async (c, opts, project: string, name: string, o: { limit: number }) => {
      const page = await unary(c.ingest, c.ingest.listIngests, { featureSet: { project, name, version: '' }, pageSize: o.limit, pageToken: '' });
      print(
        opts,
        page.ingests.map((i) => Ingest.toJSON(i)),
        () =>
          page.ingests.length
            ? table(
                ['INGEST', 'STATE', 'ROWS', 'DUPLICATES', 'VERSION', 'SOURCE', 'COMMITTED', 'BY'],
                page.ingests.map((i) => [
                  i.id,
                  (IngestState[i.state] ?? '').replace('INGEST_STATE_', ''),
                  i.rows,
                  i.duplicateRows,
                  i.featureSet?.version ?? '',
                  i.source?.uri ?? '',
                  time(i.commitTime),
                  i.createdBy,
                ]),
              )
            : `no ingests into ${project}/${name} yet`,
      );
    }),
  );

program
  .command('revert <project> <featureSet> <ingestId>')
  .description("hide an ingest's rows: a new minor version without them (time travel to before the revert still sees them)")
  .option('--no-wait', 'print the job and return without following it')
  .action(
    action(async (c, opts, project: string, name: string, ingestId: string, o: { wait: boolean }) => {
      const job = await unary(c.ingest, c.ingest.revertIngest, { featureSet: { project, name, version: '' }, ingestId });
      if (!o.wait) return print(opts, Job.toJSON(job), () => `started job ${job.id}; follow it with: featurestore jobs watch ${job.id}`);
      await followJob(c, opts, job);
    }),
  );

const dateOption = (v: string) => {
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError(`"${v}" is not a time: use ISO 8601, e.g. 2026-11-01T00:00:00Z`);
  return d;
};

program
  .command('retrieve <project> <featureSet>')
  .description("write a feature set's rows to files (Parquet, or CSV) and print download links")
  .option('--version <version>', 'feature set version; latest when omitted', '')
  .option('--features <names>', 'features besides the key and event time, comma-separated; all when omitted', listOption, [])
  .option('--from <time>', 'event time from (inclusive)', dateOption)
  .option('--to <time>', 'event time up to (exclusive)', dateOption)
  .option('--as-of-ingest <id>', 'time travel: the data as it was right after this ingest')
  .option('--as-of <time>', 'time travel: the data as it was at this moment', dateOption)
  .option('--csv', 'write CSV instead of Parquet', false)
  .action(
    action(
      async (
        c,
        opts,
        project: string,
        name: string,
        o: { version: string; features: string[]; from?: Date; to?: Date; asOfIngest?: string; asOf?: Date; csv: boolean },
      ) => {
        if (o.asOfIngest && o.asOf) throw new Error('give --as-of-ingest or --as-of, not both');
        const job = await unary(c.retrieve, c.retrieve.startRetrieve, {
          featureSet: { project, name, version: o.version },
          features: o.features,
          startTime: optionalTimestamp(o.from),
          endTime: optionalTimestamp(o.to),
          asOf: o.asOfIngest ? { $case: 'asOfIngestId', value: o.asOfIngest } : o.asOf ? { $case: 'asOfTime', value: timestampFromDate(o.asOf) } : undefined,
          output: { format: o.csv ? Format.FORMAT_CSV : Format.FORMAT_PARQUET, uri: '' },
        });
        await followJob(c, opts, job);
      },
    ),
  );

program
  .command('training-set <entities>')
  .description('join an entity table (a path or URI: keys, a timestamp, any labels) with features point in time; prints a download link')
  .requiredOption('-f, --features <refs>', 'project/feature_set[:version]/feature or project/feature_set/*, comma-separated', listOption)
  .option('-t, --timestamp-column <name>', "the entity table's timestamp column", 'ts')
  .option('--format <format>', 'csv, parquet or jsonl; from the file names when omitted')
  .option('--csv', 'write CSV instead of Parquet', false)
  .option('--no-wait', 'print the job and return without following it')
  .action(
    action(async (c, opts, entities: string, o: { features: string[]; timestampColumn: string; format?: string; csv: boolean; wait: boolean }) => {
      const job = await unary(c.retrieve, c.retrieve.startTrainingSet, {
        entities: {
          $case: 'entitySource',
          value: { uri: sourceUri(entities), format: o.format ? formatOf('', o.format) : Format.FORMAT_UNSPECIFIED, options: {} },
        },
        timestampColumn: o.timestampColumn,
        features: o.features,
        output: { format: o.csv ? Format.FORMAT_CSV : Format.FORMAT_PARQUET, uri: '' },
      });
      if (!o.wait) return print(opts, Job.toJSON(job), () => `started job ${job.id}; follow it with: featurestore jobs watch ${job.id}`);
      await followJob(c, opts, job);
    }),
  );

// ---- online ---------------------------------------------------------------------------------

const online = program.command('online').description('write and read rows in the online store');

online
  .command('put <project> <featureSet> [rows...]')
  .description('write rows given as JSON objects (or JSON lines on stdin with -); the newest event time per entity wins')
  .action(
    action(async (c, opts, project: string, name: string, given: string[]) => {
      const fs = await unary(c.featureSets, c.featureSets.getFeatureSet, { project, name, version: '' });
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
          throw new Error(`${at}: not JSON (${(err as Error).message})`);
        }
        if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new Error(`${at}: not a JSON object`);
        return o as Record<string, unknown>;
      });
      const columns = [...new Set(objects.flatMap((o) => Object.keys(o)))];
      const rows = objects.map((o, i) => ({
        // Unknown columns go as strings: the server names them in its per-row errors.
        values: columns.map((col) => {
          if (!byName.has(col)) return { kind: { $case: 'stringValue' as const, value: String(o[col]) } };
          try {
            return jsonToValue(byName.get(col)!, o[col]);
          } catch (err) {
            throw new Error(`${lines[i]!.at}: ${(err as Error).message}`);
          }
        }),
      }));
      // Batches below the server's row limit: a batch it refuses as too large is sent again in halves.
      let accepted = 0;
      const errors: { at: string; column: string; message: string }[] = [];
      const send = async (from: number, to: number): Promise<void> => {
        try {
          const res = await unary(c.ingest, c.ingest.ingestOnline, { featureSet: { project, name, version: '' }, columns, rows: rows.slice(from, to) });
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
  .description('read entities by key: each key is its primary-key values, comma-separated (u1 or u1,42)')
  .option('--features <names>', 'features to return, comma-separated; all when omitted', listOption, [])
  .action(
    action(async (c, opts, project: string, name: string, keys: string[], o: { features: string[] }) => {
      const fs = await unary(c.featureSets, c.featureSets.getFeatureSet, { project, name, version: '' });
      const pk = (fs.schema?.primaryKey ?? []).map((k) => fs.schema!.features.find((f) => f.name === k)!);
      const parsed = keys.map((k) => {
        const parts = k.split(',');
        if (parts.length !== pk.length) throw new Error(`key "${k}" has ${parts.length} part(s); the key is ${pk.map((f) => f.name).join(', ')}`);
        return { values: parts.map((p, i) => textToValue(pk[i]!, p)) };
      });
      const res = await unary(c.retrieve, c.retrieve.retrieveOnline, { featureSet: { project, name, version: '' }, keys: parsed, features: o.features });
      const status = (s: RowStatus) => (RowStatus[s] ?? '').replace('ROW_STATUS_', '');
      const out: Record<string, unknown>[] = res.rows.map((r, i) => ({
        key: keys[i],
        status: status(r.status),
        eventTime: r.eventTime ? timestampToIso(r.eventTime) : null,
        ...Object.fromEntries(res.featureNames.map((f, j) => [f, r.values[j] === undefined ? null : valueToJson(r.values[j]!)])),
      }));
      print(opts, out, () =>
        table(
          ['KEY', 'STATUS', 'EVENT TIME', ...res.featureNames.map((f) => f.toUpperCase())],
          out.map((r) =>
            [
              r['key'],
              r['status'],
              r['eventTime'] ?? '',
              ...res.featureNames.map((f) => r[f]).map((v) => (v == null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v))),
            ].map(String),
          ),
        ),
      );
    }),
  );

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

// ---- jobs -----------------------------------------------------------------------------------

const jobs = program.command('jobs').description('list, show, cancel and watch jobs (ingests, retrieves, training sets)');
const enumOption = (prefix: string, names: Record<string, unknown>) => (v: string) => {
  const key = `${prefix}${v.toUpperCase().replaceAll('-', '_')}`;
  if (!(key in names))
    throw new InvalidArgumentError(
      `use one of ${Object.keys(names)
        .filter((k) => k.startsWith(prefix) && !k.endsWith('UNSPECIFIED'))
        .map((k) => k.slice(prefix.length).toLowerCase())
        .join(', ')}`,
    );
  return names[key] as number;
};

jobs
  .command('list')
  .option('--project <project>', 'only jobs of this project', '')
  .option('--type <type>', 'ingest, revert, retrieve, training_set, materialize, online_to_offline', enumOption('JOB_TYPE_', JobType), 0)
  .option('--state <state>', 'pending, running, succeeded, failed, cancelled', enumOption('JOB_STATE_', JobState), 0)
  .option('--limit <n>', 'at most this many, newest first', (v) => Number(v), 50)
  .action(
    action(async (c, opts, o: { project: string; type: number; state: number; limit: number }) => {
      const page = await unary(c.jobs, c.jobs.listJobs, { project: o.project, type: o.type, state: o.state, pageSize: o.limit, pageToken: '' });
      print(
        opts,
        page.jobs.map((j) => Job.toJSON(j)),
        () => (page.jobs.length ? jobRows(page.jobs) : 'no jobs'),
      );
    }),
  );

jobs.command('get <id>').action(
  action(async (c, opts, id: string) => {
    const job = await unary(c.jobs, c.jobs.getJob, { id });
    print(opts, Job.toJSON(job), () => `${jobRows([job])}\n${jobOutcome(job)}`);
  }),
);

jobs.command('cancel <id>').action(
  action(async (c, opts, id: string) => {
    const job = await unary(c.jobs, c.jobs.cancelJob, { id });
    print(opts, Job.toJSON(job), () => jobOutcome(job));
  }),
);

jobs
  .command('watch <id>')
  .description('follow a job with a live progress bar until it ends; exits 1 unless it succeeded')
  .action(
    action(async (c, opts, id: string) => {
      const job = await watchJob(c, id, { json: opts.json, tty: Boolean(process.stdout.isTTY) });
      if (!opts.json) process.stdout.write(`${jobOutcome(job)}\n`);
      if (job.state !== JobState.JOB_STATE_SUCCEEDED) process.exitCode = 1;
    }),
  );

// ---- schema ---------------------------------------------------------------------------------

program
  .command('schema')
  .description('work with schema files')
  .command('infer <file>')
  .description('infer a schema from a sample file and print it as a schema file')
  .option('-k, --primary-key <columns>', 'primary-key columns, comma-separated', listOption)
  .option('-e, --event-time <column>', 'event-time column')
  .option('--format <format>', 'csv, parquet or jsonl')
  .action(
    action(async (c, _opts, file: string, o: { primaryKey?: string[]; eventTime?: string; format?: string }) => {
      const res = await inferFromFile(c, file, o);
      for (const w of res.warnings) process.stderr.write(`note: ${w}\n`);
      process.stdout.write(`${JSON.stringify(schemaToFile(res.schema!), null, 2)}\n`);
    }),
  );

await program.parseAsync(process.argv);

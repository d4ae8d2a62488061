import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Schema } from '../../shared/gen/featurestore/v1/common.js';
import type { Duration } from '../../shared/gen/google/protobuf/duration.js';
import { FeatureSet } from '../../shared/gen/featurestore/v1/feature_set.js';
import { unary } from '../client.js';
import { duration, table, tags, time, typeName } from '../format.js';
import { action, durationOption, examples, listOption, print, tagOption, VERSION_HELP, versioned } from '../program.js';
import { parseSchemaFile } from '../schema-file.js';
import { inferFromFile } from './schema.js';

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

interface RegisterOptions {
  schema?: string;
  fromSample?: string;
  format?: string;
  primaryKey?: string[];
  eventTime?: string;
  description: string;
  tag: Record<string, string>;
  ttl?: Duration;
  owner?: string;
}

export function featureSetCommands(program: Command): void {
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
    .addHelpText(
      'after',
      examples(
        'featurestore fs register fraud transactions --from-sample examples/transactions.csv -k customer_id --ttl 30d',
        'featurestore fs register fraud tx2 --schema schema.json',
      ),
    )
    .action(
      action(async (c, opts, project: string, name: string, o: RegisterOptions) => {
        let schema: Schema;
        if (o.schema && o.fromSample) throw new Error('give --schema or --from-sample, not both');
        if (o.schema) {
          schema = parseSchemaFile(await readFile(o.schema, 'utf8'), o.schema);
          if (o.primaryKey) schema.primaryKey = o.primaryKey;
          if (o.eventTime) schema.eventTimeColumn = o.eventTime;
        } else if (o.fromSample) {
          if (!o.primaryKey) throw new Error('--from-sample needs --primary-key (the columns that identify an entity)');
          const inferred = await inferFromFile(c, o.fromSample, o);
          for (const w of inferred.warnings) if (!opts.json) process.stderr.write(`note: ${w}\n`);
          schema = inferred.schema!;
        } else {
          throw new Error('give --schema FILE or --from-sample FILE');
        }
        const fs = await unary(c.featureSets, c.featureSets.registerFeatureSet, {
          project,
          name,
          schema,
          description: o.description,
          tags: o.tag,
          ttl: o.ttl,
          owner: o.owner ?? '',
        });
        print(opts, FeatureSet.toJSON(fs), () => `registered ${fs.project}/${fs.name} version ${fs.version}\n${featureSetDetail(fs)}`);
      }),
    );

  featureSets
    .command('list <project>')
    .option('--prefix <prefix>', 'only names starting with this', '')
    .option('-t, --tag <key=value>', 'only feature sets with this tag; key= matches any value (repeatable)', tagOption, {})
    .description("list a project's feature sets (latest versions)")
    .addHelpText('after', examples('featurestore fs list fraud -t team=risk'))
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
    .description('show a feature set version: schema, statistics, metadata; ' + VERSION_HELP)
    .addHelpText('after', examples('featurestore fs get fraud transactions:1.0'))
    .action(
      action(async (c, opts, project: string, arg: string) => {
        const { name, version } = versioned(arg);
        const fs = await unary(c.featureSets, c.featureSets.getFeatureSet, { project, name, version });
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
    .addHelpText('after', examples('featurestore fs update fraud transactions --sensitive amount -t pii=yes'))
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
    .addHelpText('after', examples('featurestore fs new-version fraud tx2 --schema schema.json --dry-run'))
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
    return (
      ['UNSPECIFIED', 'FEATURE_ADDED', 'FEATURE_REMOVED', 'TYPE_WIDENED', 'TYPE_CHANGED', 'PRIMARY_KEY_CHANGED', 'EVENT_TIME_CHANGED'][kind] ?? String(kind)
    );
  }

  featureSets
    .command('versions <project> <name>')
    .description('list every version of a feature set with what changed')
    .addHelpText('after', examples('featurestore fs versions fraud transactions'))
    .action(
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

  featureSets
    .command('delete <project> <name>')
    .description('delete a feature set and all its versions')
    .addHelpText('after', examples('featurestore fs delete fraud tx2'))
    .action(
      action(async (c, opts, project: string, name: string) => {
        await unary(c.featureSets, c.featureSets.deleteFeatureSet, { project, name, etag: '' });
        print(opts, { deleted: `${project}/${name}` }, () => `deleted ${project}/${name}`);
      }),
    );
}

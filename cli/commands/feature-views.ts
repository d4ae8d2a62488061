import type { Command } from 'commander';
import { FeatureView, type FeatureViewSource } from '../../shared/gen/featurestore/v1/feature_view.js';
import { unary } from '../client.js';
import { table, tags, time } from '../format.js';
import { action, examples, print, tagOption, versioned } from '../program.js';

/** "project/feature_set[:major][/f1,f2][@key1,key2]": a source of a view (all features and the key's own names when left out). */
export function parseSource(text: string): FeatureViewSource {
  const at = text.lastIndexOf('@');
  const keyColumns =
    at < 0
      ? []
      : text
          .slice(at + 1)
          .split(',')
          .filter(Boolean);
  const [project = '', set = '', features = '', ...rest] = (at < 0 ? text : text.slice(0, at)).split('/');
  if (!project || !set || rest.length > 0) {
    throw new Error(`"${text}" is not a source; write project/feature_set, project/feature_set:2/f1,f2 or project/feature_set@entity_column`);
  }
  return { featureSet: `${project}/${set}`, features: features.split(',').filter(Boolean), keyColumns };
}

const sourceText = (s: FeatureViewSource) => `${s.featureSet}/${s.features.join(',')}@${s.keyColumns.join(',')}`;

function viewDetail(v: FeatureView): string {
  const head = [
    `${v.project}/${v.name}  version ${v.version}  (etag ${v.etag})`,
    v.description && `  ${v.description}`,
    `  owner ${v.owner}, tags {${tags(v.tags)}}`,
    `  entity columns ${v.entityColumns.join(', ')}`,
    `  registered ${time(v.createTime)}; this version ${time(v.updateTime)} by ${v.createdBy}`,
  ].filter(Boolean);
  let at = 0;
  const rows = v.sources.flatMap((s) => s.features.map((f) => [v.featureNames[at++] ?? f, `${s.featureSet}/${f}`, s.keyColumns.join(',')]));
  return `${head.join('\n')}\n${table(['OUTPUT NAME', 'FEATURE', 'KEY COLUMNS'], rows)}`;
}

export function featureViewCommands(program: Command): void {
  const views = program
    .command('feature-views')
    .alias('fv')
    .description('register, list, show, version and delete feature views (features of several feature sets under one entity key)');

  views
    .command('register <project> <name> <sources...>')
    .description('each source is project/feature_set[:major][/f1,f2][@entity_columns]: every feature when none are named; @ maps the key onto entity columns')
    .option('-d, --description <text>', '', '')
    .option('-t, --tag <key=value>', 'a tag (repeatable)', tagOption, {})
    .option('--owner <principal>', 'defaults to you')
    .addHelpText('after', examples('featurestore fv register fraud model fraud/transactions/amount,country fraud/profile@customer_id'))
    .action(
      action(async (c, opts, project: string, name: string, sources: string[], o: { description: string; tag: Record<string, string>; owner?: string }) => {
        const view = await unary(c.featureViews, c.featureViews.registerFeatureView, {
          project,
          name,
          sources: sources.map(parseSource),
          description: o.description,
          tags: o.tag,
          owner: o.owner ?? '',
        });
        print(opts, FeatureView.toJSON(view), () => viewDetail(view));
      }),
    );

  views
    .command('get <project> <name>')
    .description('show a feature view: its sources, output names and entity columns (name:3 for version 3)')
    .addHelpText('after', examples('featurestore fv get fraud model', 'featurestore fv get fraud model:1'))
    .action(
      action(async (c, opts, project: string, arg: string) => {
        const view = await unary(c.featureViews, c.featureViews.getFeatureView, { project, ...versioned(arg) });
        print(opts, FeatureView.toJSON(view), () => viewDetail(view));
      }),
    );

  views
    .command('list <project>')
    .description('latest version of each feature view')
    .option('--prefix <text>', 'names starting with', '')
    .addHelpText('after', examples('featurestore fv list fraud'))
    .action(
      action(async (c, opts, project: string, o: { prefix: string }) => {
        const res = await unary(c.featureViews, c.featureViews.listFeatureViews, { project, namePrefix: o.prefix, tags: {}, pageSize: 1000, pageToken: '' });
        print(
          opts,
          res.featureViews.map((v) => FeatureView.toJSON(v)),
          () =>
            table(
              ['NAME', 'VERSION', 'FEATURES', 'ENTITY COLUMNS', 'SOURCES'],
              res.featureViews.map((v) => [v.name, v.version, v.featureNames.length, v.entityColumns.join(','), v.sources.map(sourceText).join(' ')]),
            ),
        );
      }),
    );

  views
    .command('update <project> <name> [sources...]')
    .description('make the next version: new sources (as for register), description or tags; earlier versions stay readable')
    .option('-d, --description <text>')
    .option('-t, --tag <key=value>', 'a tag (repeatable; an empty value removes it)', tagOption, {})
    .option('--etag <etag>', 'only if the view is still at this version', '')
    .addHelpText('after', examples('featurestore fv update fraud model fraud/transactions/amount fraud/profile@customer_id --etag 1'))
    .action(
      action(async (c, opts, project: string, name: string, sources: string[], o: { description?: string; tag: Record<string, string>; etag: string }) => {
        const view = await unary(c.featureViews, c.featureViews.updateFeatureView, {
          project,
          name,
          sources: sources.map(parseSource),
          description: o.description,
          tags: o.tag,
          replaceTags: false,
          etag: o.etag,
        });
        print(opts, FeatureView.toJSON(view), () => viewDetail(view));
      }),
    );

  views
    .command('delete <project> <name>')
    .description('delete every version of a feature view')
    .option('--etag <etag>', 'only if the view is still at this version', '')
    .addHelpText('after', examples('featurestore fv delete fraud model'))
    .action(
      action(async (c, opts, project: string, name: string, o: { etag: string }) => {
        await unary(c.featureViews, c.featureViews.deleteFeatureView, { project, name, etag: o.etag });
        print(opts, { deleted: `${project}/${name}` }, () => `deleted feature view ${project}/${name}`);
      }),
    );
}

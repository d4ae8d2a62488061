import type { Command } from 'commander';
import { Project } from '../../shared/gen/featurestore/v1/project.js';
import { unary } from '../client.js';
import { table, tags, time } from '../format.js';
import { action, example, print, tagOption } from '../program.js';

function projectRows(projects: Project[]): string {
  return table(
    ['NAME', 'FEATURE SETS', 'OWNER', 'TAGS', 'DESCRIPTION'],
    projects.map((p) => [p.name, p.featureSetCount, p.owner, tags(p.tags), p.description]),
  );
}

export function projectCommands(program: Command): void {
  const projects = program.command('projects').description('create, list, show, update and delete projects');

  example(
    projects
      .command('create <name>')
      .description('create a project (you own it)')
      .option('-d, --description <text>', 'what the project is for', '')
      .option('-t, --tag <key=value>', 'a tag (repeatable)', tagOption, {}),
    'featurestore projects create fraud -d "Card fraud features" -t team=risk',
  ).action(
    action(async (c, opts, name: string, o: { description: string; tag: Record<string, string> }) => {
      const p = await unary(c.projects, c.projects.createProject, { name, description: o.description, tags: o.tag });
      print(opts, Project.toJSON(p), () => `created project ${p.name}`);
    }),
  );

  example(
    projects
      .command('list')
      .description('list projects with their feature set counts')
      .option('--prefix <prefix>', 'only names starting with this', '')
      .option('--page-size <n>', 'projects per request', (v) => Number(v), 100),
    'featurestore projects list --prefix fr',
  ).action(
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

  example(projects.command('get <name>').description('show a project'), 'featurestore projects get fraud').action(
    action(async (c, opts, name: string) => {
      const p = await unary(c.projects, c.projects.getProject, { name });
      print(opts, Project.toJSON(p), () => `${projectRows([p])}\ncreated ${time(p.createTime)}, updated ${time(p.updateTime)}, etag ${p.etag}`);
    }),
  );

  example(
    projects
      .command('update <name>')
      .description("change a project's description, owner or tags")
      .option('-d, --description <text>', 'what the project is for')
      .option('--owner <principal>', 'who owns it')
      .option('-t, --tag <key=value>', 'set a tag; key= removes it (repeatable)', tagOption, {})
      .option('--replace-tags', 'replace all tags instead of merging', false)
      .option('--etag <etag>', 'fail if the project changed since this etag', ''),
    'featurestore projects update fraud -t team=payments -t old=',
  ).action(
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

  example(
    projects
      .command('delete <name>')
      .description('delete a project (refused while it has feature sets, unless --force)')
      .option('--force', 'also delete its feature sets', false),
    'featurestore projects delete scratchpad --force',
  ).action(
    action(async (c, opts, name: string, o: { force: boolean }) => {
      await unary(c.projects, c.projects.deleteProject, { name, force: o.force, etag: '' });
      print(opts, { deleted: name }, () => `deleted project ${name}`);
    }),
  );
}

// Imports flow one way: shared/core <- shared/adapters <- shared/runtime <- functions/.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { REPO } from './support/process.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g),
  ].map((m) => m[1] ?? m[2] ?? m[3]);
}

/** Packages that talk to databases, storage, brokers or identity providers. */
const INFRASTRUCTURE = /^(pg|@electric-sql\/pglite|@duckdb\/node-api|ioredis|kafkajs|@aws-sdk\/|@azure\/|jose|@kubernetes\/client-node)/;

function violations(layer: string, allowed: (spec: string, target: string) => boolean): string[] {
  const out: string[] = [];
  for (const file of files(join(REPO, layer))) {
    for (const spec of imports(file)) {
      const target = spec.startsWith('.') ? relative(REPO, join(file, '..', spec)) : spec;
      if (!allowed(spec, target)) out.push(`${relative(REPO, file)} imports ${spec}`);
    }
  }
  return out;
}

describe('layering', () => {
  // zod is the one library core uses: schemas of stored data (job specs) are domain knowledge, and zod does no I/O.
  it('shared/core imports only itself, node builtins and zod', () => {
    assert.deepEqual(
      violations('shared/core', (spec, target) => spec.startsWith('node:') || spec === 'zod' || target.startsWith('shared/core/')),
      [],
    );
  });

  it('shared/adapters never import the runtime or functions', () => {
    assert.deepEqual(
      violations('shared/adapters', (_spec, target) => !target.startsWith('shared/runtime') && !target.startsWith('functions')),
      [],
    );
  });

  it('shared/runtime never imports functions', () => {
    assert.deepEqual(
      violations('shared/runtime', (_spec, target) => !target.startsWith('functions')),
      [],
    );
  });

  it('functions import no database, storage, Kafka or auth library, and no adapter directly', () => {
    assert.deepEqual(
      violations('functions', (spec, target) => !INFRASTRUCTURE.test(spec) && !target.startsWith('shared/adapters')),
      [],
    );
  });

  it('nothing deployed imports the local stand-ins (dev/ plays Knative, Kafka delivery and cron on one machine)', () => {
    for (const layer of ['shared', 'functions', 'cli'])
      assert.deepEqual(
        violations(layer, (_spec, target) => !target.startsWith('dev/')),
        [],
        layer,
      );
  });

  it('finds imports at all (the check itself works)', () => {
    assert.ok(imports(join(REPO, 'functions', 'register', 'index.ts')).includes('../../shared/runtime/function.js'));
  });
});

/** Import cycles among the project's own modules, each as "a -> b -> a". */
function cycles(roots: string[]): string[] {
  const graph = new Map<string, string[]>();
  for (const file of roots.flatMap((r) => files(join(REPO, r)))) {
    const from = relative(REPO, file);
    const local = imports(file).filter((s) => s.startsWith('.') && !s.includes('/gen/'));
    graph.set(
      from,
      local.map((s) => relative(REPO, join(file, '..', s)).replace(/\.js$/, '.ts')),
    );
  }
  const found: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (node: string, path: string[]) => {
    if (state.get(node) === 'done') return;
    if (state.get(node) === 'open') {
      found.push([...path.slice(path.indexOf(node)), node].join(' -> '));
      return;
    }
    state.set(node, 'open');
    for (const next of graph.get(node) ?? []) visit(next, [...path, node]);
    state.set(node, 'done');
  };
  for (const node of graph.keys()) visit(node, []);
  return found;
}

describe('modules', () => {
  it('import no circle (each module can be read and tested on its own)', () => {
    assert.deepEqual(cycles(['shared/core', 'shared/adapters', 'shared/runtime', 'functions', 'cli', 'dev']), []);
  });
});

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
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => (m[1] ?? m[2])!);
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
  it('shared/core imports only itself and node builtins', () => {
    assert.deepEqual(
      violations('shared/core', (spec, target) => spec.startsWith('node:') || target.startsWith('shared/core/')),
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

  it('finds imports at all (the check itself works)', () => {
    assert.ok(imports(join(REPO, 'functions', 'register', 'index.ts')).includes('../../shared/runtime/function.js'));
  });
});

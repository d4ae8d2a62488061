// The real `featurestore` binary against a real all-in-one host.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ALL_FUNCTIONS } from '../../functions/index.js';
import type { RunningHost } from '../../shared/runtime/host.js';
import { startTestHost } from '../support/hosts.js';
import { REPO } from '../support/process.js';
import { newIngestJob } from '../support/jobs.js';

const run = promisify(execFile);
const BIN = join(REPO, 'cli', 'bin.js');
const SAMPLE = join(REPO, 'examples', 'transactions.csv');

describe('featurestore CLI', () => {
  let host: RunningHost;
  let cli: (...args: string[]) => Promise<{ stdout: string; stderr: string; code: number }>;
  /** Runs the CLI in another working directory (and with more environment). */
  let cliIn: (cwd: string | { cwd: string; env: Record<string, string> }, ...args: string[]) => Promise<{ stdout: string; stderr: string; code: number }>;
  const dir = mkdtempSync(join(tmpdir(), 'fs-cli-'));

  before(async () => {
    // A tiny online batch limit: `online put` must split what it sends.
    host = await startTestHost(ALL_FUNCTIONS, { FEATURESTORE_METADATA_URL: 'pglite:memory', FEATURESTORE_ONLINE_MAX_ROWS: '2' });
    cli = (...args) => cliIn(REPO, ...args);
    cliIn = async (where, ...args) => {
      const { cwd, env } = typeof where === 'string' ? { cwd: where, env: {} } : where;
      try {
        const { stdout, stderr } = await run(BIN, args, { cwd, env: { ...process.env, FEATURESTORE_ENDPOINT: `127.0.0.1:${host.port}`, ...env } });
        return { stdout, stderr, code: 0 };
      } catch (err) {
        const e = err as { stdout: string; stderr: string; code: number };
        return { stdout: e.stdout, stderr: e.stderr, code: e.code };
      }
    };
  });
  after(async () => {
    await host.stop();
  });

  it('prints its release, and every command has a description and an example in --help', async () => {
    const version = await cli('--version');
    assert.equal(version.stdout.trim(), JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version);
    const groups = ['projects', 'fs', 'fv', 'online', 'jobs', 'schema', 'access', 'tokens'];
    const commands = [
      ...(
        await Promise.all(groups.map(async (g) => [g, /Commands:\n([\s\S]*?)(?:\n\n|\n?$)/.exec((await cli(g, '--help')).stdout)?.[1] ?? ''] as const))
      ).flatMap(([g, list]) =>
        list
          .split('\n')
          .filter((l) => /^ {2}\S/.test(l)) // not a wrapped description
          .map((l) => l.trim().split(/\s+/)[0])
          .filter((c) => c && c !== 'help')
          .map((c) => [g, c]),
      ),
      ['ingest'],
      ['ingests'],
      ['revert'],
      ['retrieve'],
      ['training-set'],
      ['whoami'],
    ];
    assert.ok(commands.length >= 20, `found ${commands.length} commands`);
    for (const command of commands) {
      const help = (await cli(...command, '--help')).stdout;
      assert.match(help, /^Usage: featurestore .+\n\n\S.+/, `${command.join(' ')}: a description`);
      assert.match(help, /\nExamples?:\n {2}\$ featurestore /, `${command.join(' ')}: an example`);
    }
  });

  it('creates and lists projects, as a table and as JSON', async () => {
    const created = await cli('projects', 'create', 'fraud', '-d', 'Card fraud', '-t', 'team=risk');
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /created project fraud/);
    const table = await cli('projects', 'list');
    assert.match(table.stdout, /NAME\s.*FEATURE SETS/);
    assert.match(table.stdout, /fraud\s.*team=risk\s.*Card fraud/);
    const json = JSON.parse((await cli('--json', 'projects', 'list')).stdout);
    assert.deepEqual(
      json.map((p: { name: string; tags: unknown }) => [p.name, p.tags]),
      [['fraud', { team: 'risk' }]],
    );
  });

  it('registers a feature set inferred from the sample CSV and lists it', async () => {
    const reg = await cli('fs', 'register', 'fraud', 'transactions', '--from-sample', SAMPLE, '-k', 'customer_id', '--ttl', '30d', '-d', 'Card transactions');
    assert.equal(reg.code, 0, reg.stderr);
    assert.match(reg.stdout, /registered fraud\/transactions version 1\.0/);
    assert.match(reg.stderr, /picked "event_time"/);
    const listed = JSON.parse((await cli('--json', 'fs', 'list', 'fraud')).stdout);
    assert.equal(listed.length, 1);
    assert.equal(listed[0].name, 'transactions');
    assert.deepEqual(listed[0].ttl, { seconds: '2592000' });
    assert.deepEqual(listed[0].schema.primaryKey, ['customer_id']);
    const shown = await cli('fs', 'get', 'fraud', 'transactions');
    assert.match(shown.stdout, /merchant_category\s.*STRING/);
    assert.match(shown.stdout, /is_fraud\s.*BOOL/);
  });

  it('ingests the sample offline, following the job, and lists the ingest history', async () => {
    const res = await cli('ingest', 'fraud', 'transactions', 'examples/transactions.csv');
    assert.equal(res.code, 0, res.stderr);
    // The watch starts wherever the job is by then.
    assert.match(res.stdout, /^(PENDING|RUNNING) /);
    assert.match(res.stdout, /SUCCEEDED 100% 5 rows written, 0 duplicates skipped/);
    assert.match(res.stdout, /ingest [0-9a-f-]{36}: 5 rows, 0 duplicates skipped/);
    const again = await cli('ingest', 'fraud', 'transactions', 'examples/transactions.csv', '--no-wait');
    assert.match(again.stdout, /started job [0-9a-f-]{36}; follow it with: featurestore jobs watch/);
    const againId = /started job ([0-9a-f-]{36})/.exec(again.stdout)![1];
    assert.equal((await cli('jobs', 'watch', againId)).code, 0);
    const hist = JSON.parse((await cli('--json', 'ingests', 'fraud', 'transactions')).stdout);
    assert.deepEqual(
      hist.map((i: { rows?: string; duplicateRows?: string }) => [i.rows ?? '0', i.duplicateRows ?? '0']),
      [
        ['0', '5'],
        ['5', '0'],
      ],
    );
    // Reverting the newest (empty) ingest makes version 1.1 and leaves the data as it was.
    const reverted = await cli('revert', 'fraud', 'transactions', hist[0].id);
    assert.equal(reverted.code, 0, reverted.stderr);
    assert.match(reverted.stdout, new RegExp(`ingest ${hist[0].id} reverted: 0 rows hidden; the feature set is now version 1\\.1`));
    assert.match((await cli('ingests', 'fraud', 'transactions')).stdout, /REVERTED/);
    const out = join(dir, 'early', 'november.csv');
    const got = await cli('retrieve', 'fraud', 'transactions', '--features', 'amount', '--to', '2026-11-02T00:00:00Z', '--csv', '-o', out);
    assert.equal(got.code, 0, got.stderr);
    assert.match(got.stdout, /SUCCEEDED 100% 2 rows from [12] ingest\(s\)/);
    assert.match(got.stdout, /2 rows in:\n {2}file:\/\/.+\/retrieve\/[0-9a-f-]{36}\/part-0\.csv/);
    assert.ok(got.stdout.includes(`saved ${out}`), got.stdout);
    assert.equal(readFileSync(out, 'utf8').trim().split('\n').length, 3, 'a header and the 2 rows, where -o asked');
    assert.match((await cli('retrieve', 'fraud', 'transactions', '--from', 'yesterday')).stderr, /"yesterday" is not a time/);
    // A point-in-time training set from the example labels, followed to its end.
    // Without -o the file lands in the working directory.
    const ts = await cliIn(dir, 'training-set', join(REPO, 'examples', 'labels.csv'), '-f', 'fraud/transactions/amount,fraud/transactions/country', '--csv');
    assert.equal(ts.code, 0, ts.stderr);
    assert.match(ts.stdout, /SUCCEEDED 100% 4 rows joined point in time with 1 feature set\(s\)/);
    const saved = /saved (\S+\/training-set-[0-9a-f]{8}\.csv)\n/.exec(ts.stdout)?.[1];
    assert.ok(saved?.startsWith(dir), ts.stdout);
    assert.equal(
      readFileSync(saved!, 'utf8'),
      'customer_id,ts,is_fraud_label,amount,country\nc001,2026-11-01 12:00:00+00,0,42.5,DE\nc001,2026-11-03 00:00:00+00,1,13.99,DE\nc002,2026-11-01 11:30:00+00,1,1200.0,US\nc009,2026-11-02 00:00:00+00,0,,\n',
    );
    const bad = await cli('ingest', 'fraud', 'transactions', '/etc/passwd');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /source.uri: .* is outside the folders this server may read/);
  });

  it('puts rows online and gets them back by key', async () => {
    const put = await cli(
      'online',
      'put',
      'fraud',
      'transactions',
      '{"customer_id":"c001","event_time":"2026-11-20T00:00:00Z","amount":5.5,"country":"DE","is_fraud":false}',
    );
    assert.equal(put.code, 0, put.stderr);
    assert.match(put.stdout, /1 of 1 row\(s\) written/);
    const got = await cli('online', 'get', 'fraud', 'transactions', 'c001', 'c999', '--features', 'amount,country');
    assert.equal(got.code, 0, got.stderr);
    assert.match(got.stdout, /KEY\W+STATUS\W+EVENT TIME\W+AMOUNT\W+COUNTRY/);
    assert.match(got.stdout, /c001\W+PRESENT\W+2026-11-20T00:00:00.000Z\W+5.5\W+DE/);
    assert.match(got.stdout, /c999\W+MISSING/);
    const json = JSON.parse((await cli('--json', 'online', 'get', 'fraud', 'transactions', 'c001')).stdout);
    assert.deepEqual([json[0].amount, json[0].is_fraud, json[0].merchant_category], [5.5, false, null]);
    const bad = await cli('online', 'put', 'fraud', 'transactions', '{"customer_id":"c002","event_time":"2026-11-20T00:00:00Z","bogus":1}');
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /0 of 1 row\(s\) written\n {2}row 1, column bogus: is not a feature of this feature set/);
    // JSON lines on stdin, more rows than the server takes per call: split into batches it accepts;
    // errors name the input line (blank lines counted), and digits beyond 2^53 arrive intact.
    const lines = [
      '{"customer_id":"c010","event_time":"2026-11-20T00:00:00Z","amount":1}',
      '',
      '{"customer_id":"c011","event_time":"2026-11-20T00:00:00Z","amount":2}',
      '{"customer_id":"c012","event_time":"2026-11-20T00:00:00Z","amount":3}',
      '{"customer_id":"c013","event_time":"2026-11-20T00:00:00.0000001Z","amount":4}',
      '{"customer_id":"c014","event_time":"2026-11-20T00:00:00Z","amount":5}',
    ].join('\n');
    const piped = await new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) => {
      const child = spawn(BIN, ['online', 'put', 'fraud', 'transactions', '-'], { env: { ...process.env, FEATURESTORE_ENDPOINT: `127.0.0.1:${host.port}` } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d));
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      child.on('close', (code) => resolve({ stdout, stderr, code }));
      child.stdin.end(lines);
    });
    assert.equal(piped.code, 1, piped.stderr);
    assert.match(piped.stdout, /^4 of 5 row\(s\) written\n {2}line 5, column event_time: has sub-microsecond digits/);
    const refused = await cli('online', 'put', 'fraud', 'transactions', '{"customer_id":"c015","event_time":"2026-11-20T00:00:00Z","amount":"lots"}');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /row 1: amount: "lots" is not a number/);
  });

  it('registers a feature view, shows it, and reads entities through it with each set’s status', async () => {
    const reg = await cli('fv', 'register', 'fraud', 'model', 'fraud/transactions/amount,country@customer_id');
    assert.equal(reg.code, 0, reg.stderr);
    assert.match(reg.stdout, /fraud\/model {2}version 1/);
    assert.match(reg.stdout, /amount\W+fraud\/transactions:1\/amount\W+customer_id/);
    assert.match((await cli('fv', 'list', 'fraud')).stdout, /model\W+1\W+2\W+customer_id/);
    const got = await cli('--json', 'online', 'get', 'fraud', 'model', 'c001', 'c999', '--view');
    assert.equal(got.code, 0, got.stderr);
    const rows = JSON.parse(got.stdout) as Record<string, unknown>[];
    assert.deepEqual(
      rows.map((r) => [r['key'], r['status'], r['sets'], r['amount'], r['country']]),
      [
        ['c001', 'PRESENT', { 'fraud/transactions:1': 'PRESENT' }, 5.5, 'DE'],
        ['c999', 'MISSING', { 'fraud/transactions:1': 'MISSING' }, null, null],
      ],
    );
    const bad = await cli('fv', 'register', 'fraud', 'bad', 'fraud/transactions/nope');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /sources\[0\]\.features\[0\]/);
  });

  it('writes an inferred schema file that registers and versions through --schema', async () => {
    const inferred = await cli('schema', 'infer', SAMPLE, '-k', 'customer_id');
    assert.equal(inferred.code, 0, inferred.stderr);
    const file = join(dir, 'schema.json');
    writeFileSync(file, inferred.stdout);
    const schema = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(schema.features.find((f: { name: string }) => f.name === 'amount').type, 'FLOAT64');
    const reg = await cli('fs', 'register', 'fraud', 'tx_copy', '--schema', file);
    assert.equal(reg.code, 0, reg.stderr);

    schema.features.push({ name: 'channel', type: 'STRING' });
    writeFileSync(file, JSON.stringify(schema));
    const dry = await cli('fs', 'new-version', 'fraud', 'tx_copy', '--schema', file, '--dry-run');
    assert.match(dry.stdout, /dry run: nothing changed/);
    assert.match(dry.stdout, /FEATURE_ADDED\s.*channel/);
    const made = await cli('fs', 'new-version', 'fraud', 'tx_copy', '--schema', file);
    assert.match(made.stdout, /now version 2\.0/);
    const versions = await cli('fs', 'versions', 'fraud', 'tx_copy');
    assert.match(versions.stdout, /2\.0[\s\S]*1\.0/);
  });

  it('exits 1 with the server message, field and code on errors', async () => {
    const missing = await cli('fs', 'get', 'fraud', 'nope');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /error: name: feature set "fraud\/nope" does not exist \(NOT_FOUND\)/);
    const badName = await cli('projects', 'create', 'bad-name');
    assert.equal(badName.code, 1);
    assert.match(badName.stderr, /error: name: "bad-name" is not a valid name.*\(INVALID_ARGUMENT\)/);
    const refused = await cli('projects', 'delete', 'fraud');
    assert.match(refused.stderr, /force: .* delete them first or set force \(FAILED_PRECONDITION\)/);
    const badType = join(dir, 'bad.json');
    writeFileSync(
      badType,
      JSON.stringify({
        features: [
          { name: 'id', type: 'DECIMAL' },
          { name: 'ts', type: 'TIMESTAMP' },
        ],
        primaryKey: ['id'],
        eventTimeColumn: 'ts',
      }),
    );
    const typed = await cli('fs', 'register', 'fraud', 'typed', '--schema', badType);
    assert.equal(typed.code, 1);
    assert.match(typed.stderr, /feature "id" has unknown type "DECIMAL"; use one of STRING, BOOL, INT32/);
    const ttl = await cli('fs', 'register', 'fraud', 'x', '--schema', badType, '--ttl', '5 weeks');
    assert.equal(ttl.code, 1);
    assert.match(ttl.stderr, /not a duration/);
  });

  it('says who you are, grants and lists roles, and takes access requests', async () => {
    assert.equal((await cli('whoami')).stdout.trim(), 'local (local user), admin');
    const granted = await cli('access', 'grant', 'fraud/transactions', 'alice@example.com', 'sensitive_consumer');
    assert.equal(granted.code, 0, granted.stderr);
    assert.match(granted.stdout, /alice@example.com is sensitive_consumer on fraud\/transactions/);
    assert.match((await cli('access', 'list', 'fraud')).stdout, /fraud\/transactions\s+│?\s*alice@example.com\s+│?\s*sensitive_consumer/);
    assert.match((await cli('access', 'grant', 'fraud', 'bob', 'boss')).stderr, /use one of owner, editor, consumer, sensitive_consumer, viewer/);
    const asked = await cli('--json', 'access', 'request', 'fraud', 'viewer', '-r', 'dashboards');
    const id = (JSON.parse(asked.stdout) as { id: string }).id;
    assert.match((await cli('access', 'requests', 'fraud', '--state', 'pending')).stdout, new RegExp(`${id}.*viewer.*pending.*dashboards`));
    assert.match((await cli('access', 'approve', id)).stdout, new RegExp(`request ${id} approved`));
    const again = await cli('access', 'reject', id, '-r', 'too late');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /no longer pending \(FAILED_PRECONDITION\)/);
    assert.match((await cli('access', 'revoke', 'fraud/transactions', 'alice@example.com', 'sensitive_consumer')).stdout, /no longer sensitive_consumer/);
    // A personal access token, sent by the CLI from FEATURESTORE_TOKEN.
    const made = JSON.parse((await cli('--json', 'tokens', 'create', 'ci', '--ttl', '1d')).stdout) as { token: { id: string }; secret: string };
    const withToken = (secret: string) => cliIn({ cwd: REPO, env: { FEATURESTORE_TOKEN: secret } }, 'whoami');
    assert.equal((await withToken(made.secret)).stdout.trim(), 'local (local user), admin');
    assert.match((await cli('tokens', 'list')).stdout, new RegExp(`${made.token.id}\\s.*ci`));
    assert.match((await cli('tokens', 'revoke', made.token.id)).stdout, /revoked/);
    const refused = await withToken(made.secret);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /unknown, revoked or expired.*\(UNAUTHENTICATED\)/);
  });

  it('lists, shows and watches jobs until they end, exiting 1 unless they succeed', async () => {
    const jobs = await host.deps.jobStore();
    const { job } = await jobs.createJob(newIngestJob('fraud', 'transactions', { createdBy: 'local' }), () => []);
    const listed = await cli('jobs', 'list', '--state', 'pending');
    assert.match(listed.stdout, new RegExp(`${job.id}\\s.*INGEST\\s.*PENDING\\s.*0%\\s.*fraud/transactions`));
    assert.match((await cli('jobs', 'list', '--state', 'sleeping')).stderr, /use one of pending, running, succeeded, failed, cancelled/);

    const watching = cli('jobs', 'watch', job.id);
    const pause = () => new Promise((r) => setTimeout(r, 1500));
    await pause();
    await jobs.updateJob(job.id, { state: 'RUNNING', progress: 0.5, message: 'writing parquet' }, ['PENDING'], () => []);
    await pause();
    await jobs.updateJob(
      job.id,
      { state: 'SUCCEEDED', progress: 1, message: 'committed', result: { kind: 'ingest', ingestId: 'ing-1', rows: 5, duplicateRows: 1 } },
      ['RUNNING'],
      () => [],
    );
    const watched = await watching;
    assert.equal(watched.code, 0, watched.stderr);
    assert.match(watched.stdout, /^PENDING 0%\nRUNNING 50% writing parquet\nSUCCEEDED 100% committed\n/);
    assert.match(watched.stdout, /ingest ing-1: 5 rows, 1 duplicates skipped/);

    const { job: bad } = await jobs.createJob(newIngestJob('fraud', 'transactions', { createdBy: 'local' }), () => []);
    await jobs.updateJob(
      bad.id,
      {
        state: 'FAILED',
        error: { code: 'INVALID_ARGUMENT', message: '2 bad rows', details: [{ field: 'source', row: 7, column: 'amount', message: 'not a number: "abc"' }] },
      },
      ['PENDING'],
      () => [],
    );
    const failed = await cli('jobs', 'watch', bad.id);
    assert.equal(failed.code, 1);
    assert.match(failed.stdout, /error: 2 bad rows \(INVALID_ARGUMENT\)\n {2}row 7, column amount, source: not a number: "abc"/);
    const cancelled = await cli('jobs', 'cancel', bad.id);
    assert.match(cancelled.stderr, /already failed; only pending or running jobs can be cancelled \(FAILED_PRECONDITION\)/);
  });

  it('tells the user how to start the store when nothing listens', async () => {
    const res = await cli('--endpoint', '127.0.0.1:1', 'projects', 'list');
    assert.equal(res.code, 1);
    assert.match(res.stderr, /cannot reach the feature store at 127\.0\.0\.1:1: start it \(`make up`\)/);
  });
});

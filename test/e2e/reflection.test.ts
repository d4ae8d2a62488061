// gRPC server reflection: grpcurl (built from its Go module, scripts/tools/grpcurl.sh) lists,
// describes and calls the store's services with no proto files, including messages that use
// google.protobuf.Timestamp; a function lists only what it serves; v1alpha answers too, and unknown
// symbols are NOT_FOUND.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { credentials, status } from '@grpc/grpc-js';
import { BinaryReader } from '@bufbuild/protobuf/wire';
import { ALL_FUNCTIONS } from '../../functions/index.js';
import { retrieve } from '../../functions/retrieve/index.js';
import { ServerReflectionClient, type ServerReflectionRequest, type ServerReflectionResponse } from '../../shared/gen/grpc/reflection/v1alpha/reflection.js';
import type { RunningHost } from '../../shared/runtime/host.js';
import { startTestHost } from '../support/hosts.js';
import { REPO } from '../support/process.js';

const GRPCURL = execFileSync(join(REPO, 'scripts', 'tools', 'grpcurl.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();

describe('gRPC server reflection', () => {
  let store: RunningHost;
  let single: RunningHost;
  before(async () => {
    store = await startTestHost(ALL_FUNCTIONS, { FEATURESTORE_METADATA_URL: 'pglite:memory' });
    single = await startTestHost([retrieve], { FEATURESTORE_METADATA_URL: 'pglite:memory' });
  });
  after(async () => {
    await store?.stop();
    await single?.stop();
  });

  /** grpcurl in a child process (asynchronously: the servers run in this process). */
  const grpcurl = (port: number, verb: string[], flags: string[] = []) =>
    new Promise<{ code: number; out: string; err: string }>((resolve) =>
      execFile(GRPCURL, ['-plaintext', ...flags, `127.0.0.1:${port}`, ...verb], (error, out, err) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, out, err }),
      ),
    );

  it('grpcurl lists what a function serves, and nothing else', async () => {
    assert.deepEqual((await grpcurl(single.port, ['list'])).out.trim().split('\n'), [
      'featurestore.v1.RetrieveService',
      'grpc.health.v1.Health',
      'grpc.reflection.v1.ServerReflection',
    ]);
    const all = (await grpcurl(store.port, ['list'])).out.trim().split('\n');
    for (const service of [
      'featurestore.v1.ProjectService',
      'featurestore.v1.FeatureSetService',
      'featurestore.v1.IngestService',
      'featurestore.v1.JobService',
    ])
      assert.ok(all.includes(service), `${service} in ${all.join(', ')}`);
  });

  it('grpcurl describes methods and messages that use well-known types, and calls them from JSON', async () => {
    const method = await grpcurl(store.port, ['describe', 'featurestore.v1.RetrieveService.RetrieveOnline']);
    assert.equal(method.code, 0, method.err);
    assert.match(method.out, /rpc RetrieveOnline \( \.featurestore\.v1\.RetrieveOnlineRequest \) returns \( \.featurestore\.v1\.RetrieveOnlineResponse \)/);
    const job = await grpcurl(store.port, ['describe', 'featurestore.v1.Job']);
    assert.equal(job.code, 0, job.err);
    assert.match(job.out, /\.google\.protobuf\.Timestamp create_time = \d+;/);
    const created = await grpcurl(
      store.port,
      ['featurestore.v1.ProjectService/CreateProject'],
      ['-d', JSON.stringify({ name: 'reflected', description: 'made with grpcurl' })],
    );
    assert.equal(created.code, 0, created.err);
    assert.equal((JSON.parse(created.out) as { name: string }).name, 'reflected');
    const listed = await grpcurl(store.port, ['featurestore.v1.ProjectService/ListProjects'], ['-d', '{}']);
    assert.deepEqual(
      (JSON.parse(listed.out) as { projects: { name: string; createTime: string }[] }).projects.map((p) => [p.name, typeof p.createTime]),
      [['reflected', 'string']],
    );
    const refused = await grpcurl(
      store.port,
      ['featurestore.v1.RetrieveService/RetrieveOnline'],
      ['-d', JSON.stringify({ featureSet: { project: 'reflected', name: 'nope' }, keys: [{ values: [{ stringValue: 'a' }] }] })],
    );
    assert.notEqual(refused.code, 0);
    assert.match(refused.err, /Code: NotFound\s+Message: feature_set: feature set "reflected\/nope" does not exist/);
    assert.match((await grpcurl(store.port, ['describe', 'featurestore.v1.NoSuchThing'])).err, /Symbol not found: featurestore\.v1\.NoSuchThing/);
  });

  it('answers v1alpha: a file with every file it imports, and NOT_FOUND for what does not exist', async () => {
    const client = new ServerReflectionClient(`127.0.0.1:${single.port}`, credentials.createInsecure());
    const ask = (requests: Pick<ServerReflectionRequest, 'messageRequest'>[]) =>
      new Promise<ServerReflectionResponse[]>((resolve, reject) => {
        const call = client.serverReflectionInfo();
        const out: ServerReflectionResponse[] = [];
        call.on('data', (r: ServerReflectionResponse) => out.push(r));
        call.on('end', () => resolve(out));
        call.on('error', reject);
        for (const r of requests) call.write({ host: '', ...r });
        call.end();
      });
    const [byName, bySymbol, missing, extensions] = await ask([
      { messageRequest: { $case: 'fileByFilename', value: 'featurestore/v1/retrieve.proto' } },
      { messageRequest: { $case: 'fileContainingSymbol', value: 'featurestore.v1.OnlineRow' } },
      { messageRequest: { $case: 'fileContainingSymbol', value: 'featurestore.v1.Missing' } },
      { messageRequest: { $case: 'allExtensionNumbersOfType', value: 'featurestore.v1.OnlineRow' } },
    ]);
    client.close();
    const names = (r: ServerReflectionResponse) =>
      r.messageResponse?.$case === 'fileDescriptorResponse' ? r.messageResponse.value.fileDescriptorProto.map(fileName) : [];
    assert.equal(names(byName)[0], 'featurestore/v1/retrieve.proto');
    assert.ok(names(byName).includes('google/protobuf/timestamp.proto'), names(byName).join(', '));
    assert.equal(new Set(names(byName)).size, names(byName).length, 'each file once');
    assert.deepEqual(names(bySymbol), names(byName), 'OnlineRow is defined in retrieve.proto');
    assert.deepEqual(missing.messageResponse, {
      $case: 'errorResponse',
      value: { errorCode: status.NOT_FOUND, errorMessage: 'symbol featurestore.v1.Missing not found' },
    });
    assert.deepEqual(extensions.messageResponse, {
      $case: 'allExtensionNumbersResponse',
      value: { baseTypeName: 'featurestore.v1.OnlineRow', extensionNumber: [] },
    });
  });
});

/** A FileDescriptorProto's name (field 1). */
function fileName(bytes: Uint8Array): string {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1) return reader.string();
    reader.skip(wireType);
  }
  return '';
}

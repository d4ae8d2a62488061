// The direct unary path (shared/runtime/grpc/direct-unary.ts): unary calls answered straight from
// HTTP/2 in front of grpc-js. Checked with grpc-js's own client and with a raw HTTP/2 client sending
// what grpc-js's client never would: the wire form of every answer, the errors for malformed
// requests, the deadline, and the calls handed back to grpc-js.
import assert from 'node:assert/strict';
import { connect, type ClientHttp2Session } from 'node:http2';
import { after, before, describe, it } from 'node:test';
import { credentials, Metadata, status } from '@grpc/grpc-js';
import { InvalidArgument } from '../../shared/core/errors.js';
import { LOCAL_PRINCIPAL } from '../../shared/core/principal.js';
import { GetProjectRequest, Project, ProjectServiceClient, ProjectServiceService } from '../../shared/gen/featurestore/v1/project.js';
import { startGrpcServer, type RunningGrpcServer } from '../../shared/runtime/grpc/grpc-server.js';
import { bindService, type Handlers } from '../../shared/runtime/grpc/service-binding.js';
import { projectMessage } from '../support/grpc.js';
import { testLogger } from '../support/silent-logger.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const GET = '/featurestore.v1.ProjectService/GetProject';
const REFUSAL = 'is not a näme we know: ✓ 100% sure';

const project = projectMessage;

/** A gRPC message's frame: not compressed, its length, its bytes. */
const frame = (message: Uint8Array, flag = 0) => Buffer.concat([Buffer.from([flag]), Buffer.from(new Uint32Array([message.length]).buffer).reverse(), message]);

interface RawAnswer {
  status: number;
  message?: string;
  field?: string;
  data: Buffer;
  ms: number;
}

describe('the direct unary path', () => {
  let server: RunningGrpcServer;
  let client: ProjectServiceClient;
  let session: ClientHttp2Session;
  const finished: string[] = [];

  before(async () => {
    const handlers = {
      getProject: async (req) => {
        if (req.name === 'refuse') throw new InvalidArgument(REFUSAL, { field: 'name' });
        if (req.name === 'slow') {
          // Ignores its signal: the deadline must be answered anyway, and this answer dropped.
          await sleep(600);
          finished.push('slow');
        }
        return project(req.name);
      },
      createProject: async (req) => project(req.name, `${req.description.length} characters, ${req.description.slice(-3)}`),
    } as Partial<Handlers<typeof ProjectServiceService>> as Handlers<typeof ProjectServiceService>;
    const binding = bindService('featurestore.v1.ProjectService', ProjectServiceService, handlers, {
      logger: testLogger,
      authenticator: { authenticate: async () => LOCAL_PRINCIPAL },
    });
    server = await startGrpcServer([binding], { host: '127.0.0.1', port: 0, logger: testLogger });
    client = new ProjectServiceClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
    session = connect(`http://127.0.0.1:${server.port}`);
  });
  after(async () => {
    client?.close();
    session?.close();
    await server?.shutdown(100);
  });

  /** Sends `body` as it is, and reads the answer's status wherever it came (headers or trailers). */
  const raw = (body: Buffer, headers: Record<string, string> = {}) =>
    new Promise<RawAnswer>((resolve, reject) => {
      const started = Date.now();
      const req = session.request({ ':method': 'POST', ':path': GET, 'content-type': 'application/grpc', te: 'trailers', ...headers });
      const chunks: Buffer[] = [];
      let fields: Record<string, unknown> = {};
      req.on('response', (h) => (fields = { ...fields, ...h }));
      req.on('trailers', (t) => (fields = { ...fields, ...t }));
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('error', reject);
      req.on('close', () =>
        resolve({
          status: Number(fields['grpc-status']),
          message: fields['grpc-message'] === undefined ? undefined : decodeURI(String(fields['grpc-message'])),
          field: fields['featurestore-field'] as string | undefined,
          data: Buffer.concat(chunks),
          ms: Date.now() - started,
        }),
      );
      req.end(body);
    });

  const getProject = (name: string) =>
    new Promise<{ code: number; details?: string; field?: string; project?: Project }>((resolve) =>
      client.getProject({ name }, (err, res) =>
        resolve(err ? { code: err.code, details: err.details, field: err.metadata.get('featurestore-field')[0] as string } : { code: status.OK, project: res }),
      ),
    );

  it('is on with this grpc-js, and answers its client', async () => {
    assert.equal(server.direct, true, 'grpc-js no longer has the stream hook: see answerUnaryDirectly in grpc-server.ts');
    const before = server.directCalls;
    const ok = await getProject('alpha');
    assert.equal(ok.code, status.OK);
    assert.equal(ok.project?.name, 'alpha');
    assert.equal(server.directCalls, before + 1);
  });

  it('answers the wire form: one framed message, then grpc-status 0 in the trailers', async () => {
    const answer = await raw(frame(GetProjectRequest.encode({ name: 'wire' }).finish()));
    assert.equal(answer.status, status.OK);
    assert.equal(answer.data.readUInt32BE(1) + 5, answer.data.length);
    assert.equal(answer.data[0], 0);
    assert.equal(Project.decode(answer.data.subarray(5)).name, 'wire');
  });

  it('carries a refusal status, its non-ASCII message and the field at fault', async () => {
    const refused = await getProject('refuse');
    assert.equal(refused.code, status.INVALID_ARGUMENT);
    assert.match(refused.details ?? '', /näme we know: ✓ 100% sure/);
    assert.equal(refused.field, 'name');
  });

  it('answers malformed requests with the status grpc-js gives, and bytes that are not the message INVALID_ARGUMENT', async () => {
    const garbage = await raw(frame(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])));
    assert.equal(garbage.status, status.INVALID_ARGUMENT);
    assert.equal(garbage.field, 'request');
    assert.match(garbage.message ?? '', /is not a valid GetProjectRequest/);
    assert.equal((await raw(Buffer.alloc(0))).status, status.UNIMPLEMENTED);
    const one = frame(GetProjectRequest.encode({ name: 'x' }).finish());
    assert.equal((await raw(Buffer.concat([one, one]))).status, status.UNIMPLEMENTED);
    assert.equal((await raw(one.subarray(0, one.length - 1))).status, status.INTERNAL);
    assert.equal((await raw(one.subarray(0, 3))).status, status.INTERNAL);
    assert.equal((await raw(frame(GetProjectRequest.encode({ name: 'x' }).finish(), 1))).status, status.INTERNAL);
    const huge = Buffer.from([0, 0x7f, 0xff, 0xff, 0xff]);
    const tooBig = await raw(huge);
    assert.equal(tooBig.status, status.RESOURCE_EXHAUSTED);
    assert.match(tooBig.message ?? '', /larger than max/);
  });

  it('reads a request that comes in many frames', async () => {
    const description = 'd'.repeat(3_000_000) + 'end';
    const answer = await new Promise<Project>((resolve, reject) =>
      client.createProject({ name: 'big', description, tags: {} }, (err, res) => (err ? reject(err) : resolve(res))),
    );
    assert.equal(answer.description, '3000003 characters, end');
  });

  it('answers DEADLINE_EXCEEDED at the deadline even when the handler goes on, and drops its late answer', async () => {
    const answer = await raw(frame(GetProjectRequest.encode({ name: 'slow' }).finish()), { 'grpc-timeout': '150m' });
    assert.equal(answer.status, status.DEADLINE_EXCEEDED);
    assert.ok(answer.ms < 500, `answered after ${answer.ms} ms`);
    assert.equal(answer.data.length, 0);
    await sleep(700);
    assert.deepEqual(finished, ['slow']);
    assert.equal((await getProject('after')).code, status.OK);
  });

  it('hands compressed requests and timeouts it cannot read to grpc-js', async () => {
    const gzip = new ProjectServiceClient(`127.0.0.1:${server.port}`, credentials.createInsecure(), { 'grpc.default_compression_algorithm': 2 });
    try {
      const before = server.directCalls;
      const answer = await new Promise<Project>((resolve, reject) =>
        gzip.createProject({ name: 'zipped', description: 'z'.repeat(10_000), tags: {} }, new Metadata(), (err, res) => (err ? reject(err) : resolve(res))),
      );
      assert.equal(answer.description, '10000 characters, zzz');
      const odd = await raw(frame(GetProjectRequest.encode({ name: 'x' }).finish()), { 'grpc-timeout': '5 parsecs' });
      assert.notEqual(odd.status, status.OK);
      assert.equal(server.directCalls, before);
    } finally {
      gzip.close();
    }
  });
});

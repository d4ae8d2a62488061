import { credentials, InterceptingCall, type Interceptor, type ServiceError } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { AccessServiceClient } from '../../shared/gen/featurestore/v1/access.js';
import { FeatureSetServiceClient } from '../../shared/gen/featurestore/v1/feature_set.js';
import { FeatureViewServiceClient } from '../../shared/gen/featurestore/v1/feature_view.js';
import { IngestServiceClient } from '../../shared/gen/featurestore/v1/ingest.js';
import { ProjectServiceClient, type Project } from '../../shared/gen/featurestore/v1/project.js';
import { RetrieveServiceClient } from '../../shared/gen/featurestore/v1/retrieve.js';
import { JobServiceClient, type Job } from '../../shared/gen/featurestore/v1/job.js';
import { DataType, type Schema } from '../../shared/gen/featurestore/v1/common.js';
import type { Duration } from '../../shared/gen/google/protobuf/duration.js';
import { feature } from './helpers.js';
import { unary } from '../../cli/client.js';
export { unary };

/** A Project message as a test handler answers it. */
export const projectMessage = (name: string, description = ''): Project => ({
  name,
  description,
  owner: '',
  tags: {},
  createTime: undefined,
  updateTime: undefined,
  etag: '',
  featureSetCount: 0,
});

/** Sends `authorization: Bearer <token>` with every call (unary and streams). */
export function bearer(token: string): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start: (metadata, listener, next) => {
        metadata.set('authorization', `Bearer ${token}`);
        next(metadata, listener);
      },
    });
}

/** A client of every service; with `token`, every call carries it as a bearer token. */
export function clients(port: number, token?: string) {
  const address = `127.0.0.1:${port}`;
  const creds = credentials.createInsecure();
  const options = token ? { interceptors: [bearer(token)] } : {};
  const all = {
    projects: new ProjectServiceClient(address, creds, options),
    featureSets: new FeatureSetServiceClient(address, creds, options),
    featureViews: new FeatureViewServiceClient(address, creds, options),
    ingest: new IngestServiceClient(address, creds, options),
    retrieve: new RetrieveServiceClient(address, creds, options),
    jobs: new JobServiceClient(address, creds, options),
    access: new AccessServiceClient(address, creds, options),
  };
  return { ...all, close: () => Object.values(all).forEach((c) => c.close()) };
}

/** Asserts a call failed with the given status and the given field named in message and trailer. */
export async function rejectsWith(promise: Promise<unknown>, code: number, field?: string, message?: RegExp): Promise<ServiceError> {
  const err = await promise.then(
    () => assert.fail(`expected status ${code}, got success`),
    (e: ServiceError) => e,
  );
  assert.equal(err.code, code, `status of "${err.details}"`);
  if (field !== undefined) {
    assert.ok(err.details.startsWith(`${field}: `), `"${err.details}" should name field ${field}`);
    assert.deepEqual(err.metadata.get('featurestore-field'), [field]);
  }
  if (message) assert.match(err.details, message);
  return err;
}

/** Watches a job until its stream ends and returns the last state seen (the final one). */
export function finishedJob(c: ReturnType<typeof clients>, id: string): Promise<Job> {
  return new Promise<Job>((resolve, reject) => {
    let last: Job | undefined;
    const stream = c.jobs.watchJob({ id });
    stream.on('data', (m: { job: Job }) => (last = m.job));
    stream.on('end', () => (last ? resolve(last) : reject(new Error(`the watch of job ${id} ended without news`))));
    stream.on('error', reject);
  });
}

/** Registers feature set `name` in an existing project with a schema and nothing else set. */
export async function registerFeatureSet(c: ReturnType<typeof clients>, project: string, name: string, schema: Schema, extra: { ttl?: Duration } = {}) {
  return unary(c.featureSets, c.featureSets.registerFeatureSet, { project, name, schema, description: '', tags: {}, ttl: extra.ttl, owner: '' });
}

/**
 * Creates `project` and registers `name` in it: by default the usual test shape, `id` STRING key,
 * `ts` TIMESTAMP event time and `v` INT64.
 */
export async function projectWithFeatureSet(
  c: ReturnType<typeof clients>,
  project: string,
  name = 'users',
  features = [feature('id', DataType.DATA_TYPE_STRING), feature('ts', DataType.DATA_TYPE_TIMESTAMP), feature('v', DataType.DATA_TYPE_INT64)],
  keys: { primaryKey: string[]; eventTimeColumn: string } = { primaryKey: ['id'], eventTimeColumn: 'ts' },
): Promise<void> {
  await unary(c.projects, c.projects.createProject, { name: project, description: '', tags: {} });
  await registerFeatureSet(c, project, name, { features, ...keys });
}

/** Project `fraud` with feature set `tx` (the ingest journeys'): customer_id key, event_time, amount FLOAT64, country. */
export const fraudTx = (c: ReturnType<typeof clients>) =>
  projectWithFeatureSet(
    c,
    'fraud',
    'tx',
    [
      feature('customer_id', DataType.DATA_TYPE_STRING),
      feature('event_time', DataType.DATA_TYPE_TIMESTAMP),
      feature('amount', DataType.DATA_TYPE_FLOAT64),
      feature('country', DataType.DATA_TYPE_STRING),
    ],
    { primaryKey: ['customer_id'], eventTimeColumn: 'event_time' },
  );

// The permission matrix, end to end with real tokens: every RPC called as each of the five roles
// (granted on the project; the owner by creating it), an admin (the provider's admin group), a
// caller with no role, and a caller with no token. What is allowed is read from docs/security.md
// (the role table and the RPC table), so the documentation is what is tested. An allowed call must
// get past authorization: it succeeds, or fails for the documented reason of that case (a stale
// etag, a request already decided); a refused one answers PERMISSION_DENIED (UNAUTHENTICATED
// without a token). Jobs started by allowed callers must succeed.
import { status, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ALL_FUNCTIONS } from '../../functions/index.js';
import { ROLE_ACTIONS, ROLES, type Role as RoleName } from '../../shared/core/access.js';
import type { Action } from '../../shared/core/ports/authorizer.js';
import { AccessServiceService, Role } from '../../shared/gen/featurestore/v1/access.js';
import { DataType, Format } from '../../shared/gen/featurestore/v1/common.js';
import { FeatureSetServiceService } from '../../shared/gen/featurestore/v1/feature_set.js';
import { FeatureViewServiceService } from '../../shared/gen/featurestore/v1/feature_view.js';
import { IngestServiceService } from '../../shared/gen/featurestore/v1/ingest.js';
import { JobServiceService, JobState, type Job } from '../../shared/gen/featurestore/v1/job.js';
import { ProjectServiceService } from '../../shared/gen/featurestore/v1/project.js';
import { RetrieveServiceService } from '../../shared/gen/featurestore/v1/retrieve.js';
import { timestampFromDate } from '../../shared/runtime/api/proto-time.js';
import type { RunningHost } from '../../shared/runtime/host.js';
import { clients, finishedJob, registerFeatureSet, unary } from '../support/grpc.js';
import { feature, i64, str, ts } from '../support/helpers.js';
import { startTestHost } from '../support/hosts.js';
import { REPO } from '../support/process.js';
import { ingestJobSpec } from '../support/jobs.js';
import { EventTypes } from '../../shared/core/events.js';
import { jobEvent } from '../../shared/core/jobs.js';
import { oidcEnv, serviceToken, TEST_ISSUER } from '../support/oidc.js';

type Clients = ReturnType<typeof clients>;
type Rule = Action | 'anyone' | 'own';

/** docs/security.md: RPC -> what it needs. */
function documentedRpcs(): Map<string, Rule> {
  const text = readFileSync(join(REPO, 'docs', 'security.md'), 'utf8');
  return new Map([...text.matchAll(/^\| ([A-Z][A-Za-z]+) \| (?:`([a-zA-Z.]+)`|(anyone|own)) \|/gm)].map((m) => [m[1], (m[2] ?? m[3]) as Rule]));
}

const IDENTITIES = ['svc-owner', 'svc-editor', 'svc-sensitive-consumer', 'svc-consumer', 'svc-viewer', 'svc-nobody', 'svc-admin'] as const;
type Identity = (typeof IDENTITIES)[number];
const ROLE_OF: Partial<Record<Identity, RoleName>> = {
  'svc-owner': 'OWNER',
  'svc-editor': 'EDITOR',
  'svc-sensitive-consumer': 'SENSITIVE_CONSUMER',
  'svc-consumer': 'CONSUMER',
  'svc-viewer': 'VIEWER',
};

function allowed(rule: Rule, who: Identity): boolean {
  if (rule === 'anyone' || rule === 'own' || rule === 'project.create' || who === 'svc-admin') return true;
  const role = ROLE_OF[who];
  return role !== undefined && ROLE_ACTIONS[role].includes(rule);
}

const P = 'matrix';
const FS = 'events';
const OTHER = 'other';
const FEATURES = [
  feature('id', DataType.DATA_TYPE_STRING),
  feature('ts', DataType.DATA_TYPE_TIMESTAMP),
  feature('v', DataType.DATA_TYPE_INT64),
  { ...feature('secret', DataType.DATA_TYPE_FLOAT64), sensitive: true },
];
const ref = (name = FS) => ({ project: P, name, version: '' });
const STALE = '"999"';
const VIEW = 'view';
/** A retrieve of every feature of the feature set, as CSV. */
const retrieveAll = () => ({
  featureSet: ref(),
  features: [],
  output: { format: Format.FORMAT_CSV, uri: '' },
  startTime: undefined,
  endTime: undefined,
  asOf: undefined,
});
/** A training set of every feature of the feature set for one inline entity row, as CSV. */
const trainingSetOfAll = () => ({
  entities: { $case: 'entityRows' as const, value: { columns: ['id', 'ts'], rows: [{ values: [str('a'), ts(new Date())] }] } },
  timestampColumn: 'ts',
  features: [`${P}/${FS}/*`],
  output: { format: Format.FORMAT_CSV, uri: '' },
});

function firstMessage<T>(stream: ClientReadableStream<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    stream.once('data', (m: T) => {
      resolve(m);
      stream.cancel();
    });
    stream.once('error', (err: ServiceError) => (err.code === status.CANCELLED ? undefined : reject(err)));
  });
}

describe(
  'the permission matrix: every RPC as every role, an admin, no role and no token',
  { skip: !TEST_ISSUER && 'needs the dev OpenID provider (make test starts it)' },
  () => {
    const issuer = TEST_ISSUER!;
    let host: RunningHost;
    let data: string;
    let source: string;
    let admin: Clients;
    const as = new Map<Identity, Clients>();
    let ownersJob: Job;
    let n = 0;
    /** A fresh pending access request (for approve and reject): the viewer asks for a role on another feature set, which nothing else here reads. */
    const pendingRequest = async () =>
      (
        await unary(as.get('svc-viewer')!.access, as.get('svc-viewer')!.access.requestAccess, {
          resource: { project: P, featureSet: OTHER },
          role: Role.ROLE_CONSUMER,
          reason: '',
        })
      ).id;

    /** How to make each call validly; `passes` is the answer of an allowed caller when not OK. */
    const CASES: Record<string, { call: (c: Clients, who: Identity) => Promise<unknown>; passes?: status; job?: true }> = {
      WhoAmI: { call: (c) => unary(c.access, c.access.whoAmI, {}) },
      CreateProject: { call: (c) => unary(c.projects, c.projects.createProject, { name: `p${++n}`, description: '', tags: {} }) },
      GetProject: { call: (c) => unary(c.projects, c.projects.getProject, { name: P }) },
      ListProjects: { call: (c) => unary(c.projects, c.projects.listProjects, { pageSize: 0, pageToken: '', namePrefix: '' }) },
      UpdateProject: {
        call: (c) => unary(c.projects, c.projects.updateProject, { name: P, description: 'x', tags: {}, replaceTags: false, etag: 'r999' }),
        passes: status.ABORTED,
      },
      DeleteProject: { call: (c) => unary(c.projects, c.projects.deleteProject, { name: P, force: false, etag: 'r999' }), passes: status.ABORTED },
      RegisterFeatureSet: {
        call: (c) =>
          registerFeatureSet(c, P, `fs${++n}`, {
            features: [feature('id', DataType.DATA_TYPE_STRING), feature('ts', DataType.DATA_TYPE_TIMESTAMP)],
            primaryKey: ['id'],
            eventTimeColumn: 'ts',
          }),
      },
      GetFeatureSet: { call: (c) => unary(c.featureSets, c.featureSets.getFeatureSet, { project: P, name: FS, version: '' }) },
      ListFeatureSets: {
        call: (c) => unary(c.featureSets, c.featureSets.listFeatureSets, { project: P, pageSize: 0, pageToken: '', namePrefix: '', tags: {} }),
      },
      ListFeatureSetVersions: { call: (c) => unary(c.featureSets, c.featureSets.listFeatureSetVersions, { project: P, name: FS, pageSize: 0, pageToken: '' }) },
      UpdateFeatureSet: {
        call: (c) =>
          unary(c.featureSets, c.featureSets.updateFeatureSet, {
            project: P,
            name: FS,
            description: 'x',
            tags: {},
            replaceTags: false,
            clearTtl: false,
            etag: STALE,
            ttl: undefined,
            features: [],
          }),
        passes: status.ABORTED,
      },
      CreateFeatureSetVersion: {
        call: (c) =>
          unary(c.featureSets, c.featureSets.createFeatureSetVersion, {
            project: P,
            name: FS,
            // A compatible change (a feature added), only validated: nothing changes.
            schema: { features: [...FEATURES, feature('w', DataType.DATA_TYPE_INT64)], primaryKey: ['id'], eventTimeColumn: 'ts' },
            etag: '',
            validateOnly: true,
            allowIncompatible: false,
            description: 'x',
          }),
      },
      DeleteFeatureSet: { call: (c) => unary(c.featureSets, c.featureSets.deleteFeatureSet, { project: P, name: FS, etag: STALE }), passes: status.ABORTED },
      RegisterFeatureView: {
        call: (c) =>
          unary(c.featureViews, c.featureViews.registerFeatureView, {
            project: P,
            name: `view${++n}`,
            sources: [{ featureSet: `${P}/${FS}`, features: [], keyColumns: [] }],
            description: '',
            tags: {},
            owner: '',
          }),
      },
      GetFeatureView: { call: (c) => unary(c.featureViews, c.featureViews.getFeatureView, { project: P, name: VIEW, version: '' }) },
      ListFeatureViews: {
        call: (c) => unary(c.featureViews, c.featureViews.listFeatureViews, { project: P, pageSize: 0, pageToken: '', namePrefix: '', tags: {} }),
      },
      ListFeatureViewVersions: {
        call: (c) => unary(c.featureViews, c.featureViews.listFeatureViewVersions, { project: P, name: VIEW, pageSize: 0, pageToken: '' }),
      },
      UpdateFeatureView: {
        call: (c) =>
          unary(c.featureViews, c.featureViews.updateFeatureView, { project: P, name: VIEW, sources: [], tags: { x: 'y' }, replaceTags: false, etag: '999' }),
        passes: status.ABORTED,
      },
      DeleteFeatureView: {
        call: (c) => unary(c.featureViews, c.featureViews.deleteFeatureView, { project: P, name: VIEW, etag: '999' }),
        passes: status.ABORTED,
      },
      InferSchema: {
        call: (c) =>
          unary(c.featureSets, c.featureSets.inferSchema, {
            sample: { $case: 'inline', value: { data: Buffer.from('id,ts\na,2024-01-01T00:00:00Z\n'), format: Format.FORMAT_CSV, fileName: '' } },
            primaryKey: ['id'],
            eventTimeColumn: 'ts',
          }),
      },
      StartIngest: {
        call: (c) =>
          unary(c.ingest, c.ingest.startIngest, { featureSet: ref(), source: { uri: source, format: 0, options: {} }, extraColumns: 0, requestId: '' }),
        job: true,
      },
      ListIngests: { call: (c) => unary(c.ingest, c.ingest.listIngests, { featureSet: ref(), pageSize: 0, pageToken: '' }) },
      RevertIngest: {
        // An ingest that does not exist: an allowed caller gets past authorization to NOT_FOUND.
        call: (c) => unary(c.ingest, c.ingest.revertIngest, { featureSet: ref(), ingestId: '00000000-0000-4000-8000-000000000000' }),
        passes: status.NOT_FOUND,
      },
      IngestOnline: {
        call: (c) =>
          unary(c.ingest, c.ingest.ingestOnline, { featureSet: ref(), columns: ['id', 'ts', 'v'], rows: [{ values: [str('o1'), ts(new Date()), i64('1')] }] }),
      },
      RetrieveOnline: { call: (c) => unary(c.retrieve, c.retrieve.retrieveOnline, { featureSet: ref(), keys: [{ values: [str('a')] }], features: [] }) },
      StartRetrieve: {
        call: (c) => unary(c.retrieve, c.retrieve.startRetrieve, retrieveAll()),
        job: true,
      },
      StartTrainingSet: {
        call: (c) => unary(c.retrieve, c.retrieve.startTrainingSet, trainingSetOfAll()),
        job: true,
      },
      StartMaterialize: {
        call: (c) => unary(c.retrieve, c.retrieve.startMaterialize, { featureSet: ref(), startTime: undefined, endTime: timestampFromDate(new Date()) }),
        job: true,
      },
      GetJob: { call: (c) => unary(c.jobs, c.jobs.getJob, { id: ownersJob.id }) },
      ListJobs: { call: (c) => unary(c.jobs, c.jobs.listJobs, { project: P, type: 0, state: 0, pageSize: 0, pageToken: '' }) },
      WatchJob: { call: (c) => firstMessage(c.jobs.watchJob({ id: ownersJob.id })) },
      // The owner's job has finished: an allowed caller gets past authorization to FAILED_PRECONDITION.
      CancelJob: { call: (c) => unary(c.jobs, c.jobs.cancelJob, { id: ownersJob.id }), passes: status.FAILED_PRECONDITION },
      GrantPermission: {
        call: (c) => unary(c.access, c.access.grantPermission, { resource: { project: P, featureSet: '' }, principalId: 'someone', role: Role.ROLE_VIEWER }),
      },
      RevokePermission: {
        call: (c) =>
          unary(c.access, c.access.revokePermission, { resource: { project: P, featureSet: '' }, principalId: 'nobody-at-all', role: Role.ROLE_VIEWER }),
        passes: status.NOT_FOUND,
      },
      ListPermissions: { call: (c) => unary(c.access, c.access.listPermissions, { resource: { project: P, featureSet: '' }, pageSize: 0, pageToken: '' }) },
      RequestAccess: {
        call: (c) => unary(c.access, c.access.requestAccess, { resource: { project: P, featureSet: FS }, role: Role.ROLE_CONSUMER, reason: 'matrix' }),
      },
      ApproveAccess: { call: async (c) => unary(c.access, c.access.approveAccess, { id: await pendingRequest() }) },
      RejectAccess: { call: async (c) => unary(c.access, c.access.rejectAccess, { id: await pendingRequest(), reason: 'no' }) },
      WithdrawAccess: {
        call: async (c) => {
          const mine = await unary(c.access, c.access.requestAccess, { resource: { project: P, featureSet: '' }, role: Role.ROLE_VIEWER, reason: '' });
          return unary(c.access, c.access.withdrawAccess, { id: mine.id });
        },
      },
      ListAccessRequests: {
        call: (c) => unary(c.access, c.access.listAccessRequests, { resource: { project: P, featureSet: '' }, state: 0, pageSize: 0, pageToken: '' }),
      },
      CreateToken: { call: (c) => unary(c.access, c.access.createToken, { name: 'matrix', ttl: undefined }) },
      ListTokens: { call: (c) => unary(c.access, c.access.listTokens, { pageSize: 0, pageToken: '' }) },
      RevokeToken: {
        call: async (c) => {
          const { token } = await unary(c.access, c.access.createToken, { name: 'to-revoke', ttl: undefined });
          return unary(c.access, c.access.revokeToken, { id: token!.id });
        },
      },
    };

    before(async () => {
      data = realpathSync(mkdtempSync(join(tmpdir(), 'fs-matrix-')));
      source = pathToFileURL(join(data, 'events.csv')).href;
      writeFileSync(join(data, 'events.csv'), `id,ts,v,secret\na,${new Date(Date.now() - 3_600_000).toISOString()},1,0.25\n`);
      host = await startTestHost(ALL_FUNCTIONS, { FEATURESTORE_METADATA_URL: 'pglite:memory', FEATURESTORE_FILE_ROOTS: data, ...oidcEnv(issuer) });
      for (const who of IDENTITIES) as.set(who, clients(host.port, await serviceToken(issuer, who)));
      admin = as.get('svc-admin')!;
      const owner = as.get('svc-owner')!;
      await unary(owner.projects, owner.projects.createProject, { name: P, description: '', tags: {} });
      for (const name of [FS, OTHER]) await registerFeatureSet(owner, P, name, { features: FEATURES, primaryKey: ['id'], eventTimeColumn: 'ts' });
      await unary(owner.featureViews, owner.featureViews.registerFeatureView, {
        project: P,
        name: VIEW,
        sources: [{ featureSet: `${P}/${FS}`, features: [], keyColumns: [] }],
        description: '',
        tags: {},
        owner: '',
      });
      for (const [who, role] of Object.entries(ROLE_OF)) {
        if (role === 'OWNER') continue;
        await unary(owner.access, owner.access.grantPermission, { resource: { project: P, featureSet: '' }, principalId: who, role: Role[`ROLE_${role}`] });
      }
      ownersJob = await unary(owner.ingest, owner.ingest.startIngest, {
        featureSet: ref(),
        source: { uri: source, format: 0, options: {} },
        extraColumns: 0,
        requestId: '',
      });
      assert.equal((await finishedJob(owner, ownersJob.id)).state, JobState.JOB_STATE_SUCCEEDED);
    });
    after(async () => {
      for (const c of as.values()) c.close();
      await host.stop();
    });

    it('the docs name every RPC of every service, and the test knows how to call each', () => {
      const rpcs = documentedRpcs();
      const services = [
        ProjectServiceService,
        FeatureSetServiceService,
        FeatureViewServiceService,
        IngestServiceService,
        RetrieveServiceService,
        JobServiceService,
        AccessServiceService,
      ];
      const all = services.flatMap((s) => Object.values(s).map((m) => m.path.split('/')[2]));
      assert.deepEqual([...rpcs.keys()].sort(), [...all].sort(), 'docs/security.md lists exactly the RPCs of the API');
      assert.deepEqual(Object.keys(CASES).sort(), [...all].sort(), 'a case per RPC');
      assert.deepEqual(ROLES.length, 5);
    });

    it('each identity gets exactly what the docs say, and the jobs of allowed callers succeed', async () => {
      const rules = documentedRpcs();
      const jobs: Array<{ rpc: string; who: Identity; id: string }> = [];
      const wrong: string[] = [];
      for (const [rpc, rule] of rules) {
        for (const who of IDENTITIES) {
          const expected = allowed(rule, who);
          const outcome = await CASES[rpc].call(as.get(who)!, who).then(
            (res) => ({ code: status.OK, res }),
            (err: ServiceError) => ({ code: err.code, details: err.details, res: undefined }),
          );
          const passes = [status.OK, CASES[rpc].passes ?? status.OK];
          const ok = expected ? passes.includes(outcome.code) : outcome.code === status.PERMISSION_DENIED;
          if (!ok)
            wrong.push(
              `${rpc} as ${who}: expected ${expected ? 'allowed' : 'PERMISSION_DENIED'}, got ${status[outcome.code]} ${'details' in outcome ? outcome.details : ''}`,
            );
          if (expected && CASES[rpc].job && outcome.code === status.OK) jobs.push({ rpc, who, id: (outcome.res as Job).id });
        }
      }
      assert.deepEqual(wrong, []);
      assert.ok(jobs.length >= 4 * 3, 'owner, editor and admin started ingest and materialize jobs, consumers retrieves and training sets');
      for (const { rpc, who, id } of jobs) {
        const done = await finishedJob(admin, id);
        assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, `${rpc} as ${who}: ${done.error?.message}`);
      }
    });

    it('sensitive features: withheld below sensitive consumer in online reads, retrieves, training sets and statistics, and named', async () => {
      const online = async (who: Identity, features: string[] = []) => {
        const c = as.get(who)!;
        return unary(c.retrieve, c.retrieve.retrieveOnline, { featureSet: ref(), keys: [{ values: [str('o1')] }], features });
      };
      const consumer = await online('svc-consumer');
      assert.deepEqual([consumer.featureNames, consumer.withheldFeatures], [['v'], ['secret']]);
      assert.equal(consumer.rows[0].values.length, 1);
      const sensitive = await online('svc-sensitive-consumer');
      assert.deepEqual([sensitive.featureNames, sensitive.withheldFeatures], [['v', 'secret'], []]);
      // Through a feature view too, in turns (what one caller may see never shapes another's answer).
      const viewed = async (who: Identity) => {
        const c = as.get(who)!;
        const r = await unary(c.retrieve, c.retrieve.retrieveOnline, {
          featureView: { project: P, name: VIEW, version: '' },
          keys: [{ values: [str('o1')] }],
          features: [],
        });
        return [r.featureNames, r.withheldFeatures, r.rows[0].values.length];
      };
      for (const who of ['svc-sensitive-consumer', 'svc-consumer', 'svc-sensitive-consumer', 'svc-consumer'] as const) {
        assert.deepEqual(await viewed(who), who === 'svc-consumer' ? [['v'], ['secret'], 1] : [['v', 'secret'], [], 2], who);
      }
      await assert.rejects(online('svc-consumer', ['secret']), (e: ServiceError) => {
        assert.equal(e.code, status.PERMISSION_DENIED);
        assert.match(e.details, /^features: every feature asked for of matrix\/events is sensitive/);
        return true;
      });

      /** Runs a retrieve and a training set as `who`: their files' header lines and what they withheld. */
      const offline = async (who: Identity) => {
        const c = as.get(who)!;
        const out: Array<{ header: string; withheld: string[] }> = [];
        for (const started of [
          unary(c.retrieve, c.retrieve.startRetrieve, retrieveAll()),
          unary(c.retrieve, c.retrieve.startTrainingSet, trainingSetOfAll()),
        ]) {
          const done = await finishedJob(c, (await started).id);
          assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.error?.message);
          const r = done.result?.$case === 'retrieveResult' ? done.result.value : undefined;
          assert.ok(r);
          out.push({ header: readFileSync(new URL(r.downloadUrls[0]), 'utf8').split('\n')[0], withheld: r.withheldFeatures });
        }
        return out;
      };
      assert.deepEqual(await offline('svc-consumer'), [
        { header: 'id,ts,v', withheld: ['secret'] },
        { header: 'id,ts,v', withheld: ['matrix/events/secret'] },
      ]);
      assert.deepEqual(await offline('svc-sensitive-consumer'), [
        { header: 'id,ts,v,secret', withheld: [] },
        { header: 'id,ts,v,secret', withheld: [] },
      ]);

      const stats = async (who: Identity) => {
        const c = as.get(who)!;
        const fs = await unary(c.featureSets, c.featureSets.getFeatureSet, { project: P, name: FS, version: '' });
        return { withheld: fs.withheldStatistics, withStats: fs.schema!.features.filter((f) => f.statistics).map((f) => f.name) };
      };
      assert.deepEqual(await stats('svc-viewer'), { withheld: ['secret'], withStats: ['id', 'ts', 'v'] });
      assert.deepEqual(await stats('svc-sensitive-consumer'), { withheld: [], withStats: ['id', 'ts', 'v', 'secret'] });
    });

    it('a job runs as its starter, checked again when it starts: a starter without the role (revoked meanwhile) fails it with PERMISSION_DENIED', async () => {
      // Jobs written to the store as the use case would have after its check; the worker checks again.
      const jobs = await host.deps.jobStore();
      const started = async (createdBy: Identity) =>
        (
          await jobs.createJob(
            { type: 'INGEST', project: P, featureSet: FS, spec: ingestJobSpec(P, FS, { source: { uri: source, options: {} } }), createdBy, requestId: '' },
            (j) => [jobEvent(EventTypes.jobRequested, j, {})],
          )
        ).job;
      const kept = await finishedJob(admin, (await started('svc-editor')).id);
      assert.equal(kept.state, JobState.JOB_STATE_SUCCEEDED, kept.error?.message);
      // svc-consumer never held (or no longer holds) the editor role.
      const lost = await finishedJob(admin, (await started('svc-consumer')).id);
      assert.equal(lost.state, JobState.JOB_STATE_FAILED);
      assert.equal(lost.error?.code, 'PERMISSION_DENIED');
      assert.match(lost.error?.message ?? '', /svc-consumer, who started this job, may no longer run it: svc-consumer needs the editor role/);
    });

    it('a denial says which role would allow it and how to ask', async () => {
      const c = as.get('svc-viewer')!;
      await assert.rejects(
        unary(c.retrieve, c.retrieve.retrieveOnline, { featureSet: ref(), keys: [{ values: [str('a')] }], features: [] }),
        (err: ServiceError) => {
          assert.equal(err.code, status.PERMISSION_DENIED);
          assert.match(err.details, /svc-viewer needs the consumer role on feature set matrix\/events .*featurestore access request matrix\/events consumer/);
          return true;
        },
      );
    });

    it('lists show only what the caller may see', async () => {
      const names = async (who: Identity) =>
        (await unary(as.get(who)!.projects, as.get(who)!.projects.listProjects, { pageSize: 0, pageToken: '', namePrefix: '' })).projects.map((p) => p.name);
      assert.ok((await names('svc-viewer')).includes(P));
      assert.ok(!(await names('svc-nobody')).includes(P), 'a caller with no role does not see the project');
      assert.ok((await names('svc-admin')).includes(P));
      const nobody = as.get('svc-nobody')!;
      const theirJobs = await unary(nobody.jobs, nobody.jobs.listJobs, { project: '', type: 0, state: 0, pageSize: 0, pageToken: '' });
      assert.ok(
        theirJobs.jobs.every((j) => j.createdBy === 'svc-nobody'),
        'without a project, one lists only one own jobs',
      );
      const all = await unary(admin.jobs, admin.jobs.listJobs, { project: '', type: 0, state: 0, pageSize: 0, pageToken: '' });
      assert.ok(all.jobs.some((j) => j.id === ownersJob.id));
    });

    it('a grant takes effect at once, and so does its revocation (the permission cache follows NOTIFY)', async () => {
      const owner = as.get('svc-owner')!;
      const nobody = as.get('svc-nobody')!;
      const read = () => unary(nobody.featureSets, nobody.featureSets.getFeatureSet, { project: P, name: FS, version: '' });
      await assert.rejects(read(), (e: ServiceError) => e.code === status.PERMISSION_DENIED);
      const grant = { resource: { project: P, featureSet: FS }, principalId: 'svc-nobody', role: Role.ROLE_VIEWER };
      await unary(owner.access, owner.access.grantPermission, grant);
      const deadline = Date.now() + 2_000;
      while (
        await read().then(
          () => false,
          () => Date.now() < deadline,
        )
      )
        await new Promise((r) => setTimeout(r, 20));
      assert.equal((await read()).name, FS);
      await unary(owner.access, owner.access.revokePermission, grant);
      const until = Date.now() + 2_000;
      while (
        await read().then(
          () => Date.now() < until,
          () => false,
        )
      )
        await new Promise((r) => setTimeout(r, 20));
      await assert.rejects(read(), (e: ServiceError) => e.code === status.PERMISSION_DENIED);
    });

    it('without a token every RPC is UNAUTHENTICATED', async () => {
      const anonymous = clients(host.port);
      try {
        const wrong: string[] = [];
        for (const rpc of documentedRpcs().keys()) {
          const code = await CASES[rpc].call(anonymous, 'svc-nobody').then(
            () => status.OK,
            (e: ServiceError) => e.code,
          );
          if (code !== status.UNAUTHENTICATED) wrong.push(`${rpc}: ${status[code]}`);
        }
        assert.deepEqual(wrong, []);
      } finally {
        anonymous.close();
      }
    });
  },
);

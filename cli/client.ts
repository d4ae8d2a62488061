import { credentials, Metadata, type CallOptions, type Client, type ClientUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { AccessServiceClient } from '../shared/gen/featurestore/v1/access.js';
import { FeatureSetServiceClient } from '../shared/gen/featurestore/v1/feature_set.js';
import { FeatureViewServiceClient } from '../shared/gen/featurestore/v1/feature_view.js';
import { IngestServiceClient } from '../shared/gen/featurestore/v1/ingest.js';
import { JobServiceClient } from '../shared/gen/featurestore/v1/job.js';
import { ProjectServiceClient } from '../shared/gen/featurestore/v1/project.js';
import { RetrieveServiceClient } from '../shared/gen/featurestore/v1/retrieve.js';

export const DEFAULT_ENDPOINT = '127.0.0.1:8080';

/** The last (widest) overload of a generated unary method, which TypeScript infers from. */
type UnaryMethod<Req, Res> = (
  req: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (err: ServiceError | null, res: Res) => void,
) => ClientUnaryCall;

/** Calls with a deadline so a hung server cannot hang the CLI. */
const CALL_TIMEOUT_MS = 60_000;

let signedIn: string | undefined;

/** The token of `featurestore login`, once read (and refreshed) for this run. */
export function useSignedInToken(token: string | undefined): void {
  signedIn = token;
}

/**
 * Call metadata: a bearer token, when there is one: FEATURESTORE_TOKEN (a personal access token or
 * an OIDC token), else the token `featurestore login` cached.
 */
export function callMetadata(): Metadata {
  const md = new Metadata();
  const token = process.env['FEATURESTORE_TOKEN'] || signedIn;
  if (token) md.set('authorization', `Bearer ${token}`);
  return md;
}

/** Promise form of a generated unary method. */
export function unary<Req, Res>(client: Client, method: UnaryMethod<Req, Res>, request: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    method.call(client, request, callMetadata(), { deadline: Date.now() + CALL_TIMEOUT_MS }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

export function connect(endpoint: string) {
  const creds = credentials.createInsecure();
  const projects = new ProjectServiceClient(endpoint, creds);
  const featureSets = new FeatureSetServiceClient(endpoint, creds);
  const featureViews = new FeatureViewServiceClient(endpoint, creds);
  const jobs = new JobServiceClient(endpoint, creds);
  const ingest = new IngestServiceClient(endpoint, creds);
  const retrieve = new RetrieveServiceClient(endpoint, creds);
  const access = new AccessServiceClient(endpoint, creds);
  return {
    projects,
    featureSets,
    featureViews,
    jobs,
    ingest,
    retrieve,
    access,
    close() {
      for (const c of [projects, featureSets, featureViews, jobs, ingest, retrieve, access]) c.close();
    },
  };
}

export type Clients = ReturnType<typeof connect>;

// `make services`: the whole store in service mode on this machine. Starts PostgreSQL, Redis, MinIO
// and Kafka with the repo's scripts (data under .featurestore/services, ports on 127.0.0.1), then every
// function as its own process from its bundle in dist/, the outbox relay, the Kafka dispatcher, the
// cron and one gRPC ingress on $PORT (default 8080), so the CLI works as with `make up`.
// Ctrl-C stops the functions, then the servers.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { createLogger } from '../../shared/runtime/logger.js';
import { startLocalKnative } from './local-knative.js';

const root = resolve(new URL('..', import.meta.url).pathname); // dist/ -> the repo (this file runs as the bundle dist/service-mode.mjs)
const servicesDir = resolve(process.env['FEATURESTORE_SERVICES_DIR'] ?? resolve(root, '.featurestore/services'));
mkdirSync(servicesDir, { recursive: true });
const env = {
  ...process.env,
  FEATURESTORE_SERVICES_DIR: servicesDir,
  FEATURESTORE_PG_PORT: process.env['FEATURESTORE_PG_PORT'] ?? '25432',
  FEATURESTORE_REDIS_PORT: process.env['FEATURESTORE_REDIS_PORT'] ?? '26370',
  FEATURESTORE_MINIO_PORT: process.env['FEATURESTORE_MINIO_PORT'] ?? '29000',
  FEATURESTORE_KAFKA_PORT: process.env['FEATURESTORE_KAFKA_PORT'] ?? '29092',
};
const logger = createLogger(process.env['LOG_LEVEL'] ?? 'info', { host: 'service-mode' });
const SERVICES = ['postgres', 'redis', 'minio', 'kafka'];
const service = (name: string, action: 'start' | 'stop') =>
  execFileSync(join(root, 'scripts/services', `${name}.sh`), [action], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();

logger.info({ services: SERVICES, dir: servicesDir }, 'starting PostgreSQL, Redis, MinIO and Kafka (the first run installs them)');
const [pgUrl, redisUrls, s3Endpoint, brokers] = SERVICES.map((s) => service(s, 'start'));
const s3 = new S3Client({
  region: 'us-east-1',
  endpoint: s3Endpoint,
  forcePathStyle: true,
  credentials: { accessKeyId: 'featurestore', secretAccessKey: 'featurestore-secret' },
});
await s3.send(new CreateBucketCommand({ Bucket: 'featurestore' })).catch((err: { name?: string }) => {
  if (err.name !== 'BucketAlreadyOwnedByYou' && err.name !== 'BucketAlreadyExists') throw err;
});
s3.destroy();
const stopServers = () => {
  for (const s of [...SERVICES].reverse()) {
    try {
      service(s, 'stop');
    } catch (err) {
      logger.warn({ service: s, err: String(err) }, 'could not stop');
    }
  }
};
const kn = await startLocalKnative({
  env: {
    FEATURESTORE_METADATA_URL: pgUrl,
    FEATURESTORE_ONLINE_URL: redisUrls.split(' ')[0],
    FEATURESTORE_OFFLINE_URL: 's3://featurestore/offline',
    FEATURESTORE_S3_ENDPOINT: s3Endpoint,
    FEATURESTORE_S3_ACCESS_KEY_ID: 'featurestore',
    FEATURESTORE_S3_SECRET_ACCESS_KEY: 'featurestore-secret',
    FEATURESTORE_KAFKA_BROKERS: brokers,
    FEATURESTORE_FILE_ROOTS: process.env['FEATURESTORE_FILE_ROOTS'] ?? process.cwd(),
    LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'info',
  },
  command: (fn) => [process.execPath, join(root, 'dist/functions', `${fn}.mjs`)],
  bind: '127.0.0.1',
  ingressPort: Number(process.env['PORT'] ?? 8080),
  pingEveryMs: Number(process.env['FEATURESTORE_SYNC_INTERVAL_SECONDS'] ?? 60) * 1000,
  brokers: brokers.split(','),
  logger,
  onLine: (_fn, line) => process.stdout.write(`${line}\n`),
}).catch((err: unknown) => {
  // A function that cannot start stops everything: no server is left running behind the error.
  logger.fatal({ err: String(err) }, 'service mode could not start; stopping the servers');
  stopServers();
  process.exit(1);
});
logger.info(`ready on 127.0.0.1:${kn.ingressPort}; in another shell try: npx featurestore projects list`);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  logger.info('stopping the functions, then the servers');
  await kn.stop();
  stopServers();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());

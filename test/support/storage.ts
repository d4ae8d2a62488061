import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { randomBytes } from 'node:crypto';
import type { AdlsLocation } from '../../shared/adapters/object-store/adls-object-store.js';
import type { S3Location } from '../../shared/adapters/object-store/s3-object-store.js';

/** Azurite's well-known development account (public, documented by Microsoft). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests with \`make test\` (it starts MinIO and Azurite)`);
  return value;
}

/** A new bucket on the test MinIO server. */
export async function freshBucket(): Promise<S3Location> {
  const location: S3Location = {
    bucket: `fs-test-${randomBytes(5).toString('hex')}`,
    prefix: 'root/',
    endpoint: required('FEATURESTORE_TEST_S3_ENDPOINT'),
    region: 'us-east-1',
    accessKeyId: 'featurestore',
    secretAccessKey: 'featurestore-secret',
  };
  const client = new S3Client({
    region: location.region,
    endpoint: location.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: location.accessKeyId!, secretAccessKey: location.secretAccessKey! },
  });
  await client.send(new CreateBucketCommand({ Bucket: location.bucket }));
  client.destroy();
  return location;
}

/** A new file system (container) on the test Azurite server. */
export async function freshFileSystem(): Promise<AdlsLocation> {
  const blobEndpoint = required('FEATURESTORE_TEST_AZURITE_ENDPOINT');
  const location: AdlsLocation = {
    account: AZURITE_ACCOUNT,
    accountKey: AZURITE_KEY,
    fileSystem: `fs-test-${randomBytes(5).toString('hex')}`,
    prefix: 'root/',
    blobEndpoint,
    // Azurite has no DFS endpoint; the DataLake calls the adapter makes map to the blob endpoint.
    dfsEndpoint: blobEndpoint,
  };
  await new BlobServiceClient(blobEndpoint, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY)).getContainerClient(location.fileSystem).create();
  return location;
}

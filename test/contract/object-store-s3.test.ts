import { S3ObjectStore } from '../../shared/adapters/object-store/s3-object-store.js';
import { freshBucket } from '../support/storage.js';
import { fetchUrl, objectStoreContract } from './object-store.contract.js';

objectStoreContract('S3 on MinIO', async () => new S3ObjectStore(await freshBucket()), fetchUrl);

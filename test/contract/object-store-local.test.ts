import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalObjectStore } from '../../shared/adapters/object-store/local-object-store.js';
import { fetchUrl, objectStoreContract } from './object-store.contract.js';

objectStoreContract('local files', async () => new LocalObjectStore(mkdtempSync(join(tmpdir(), 'fs-objects-'))), fetchUrl);

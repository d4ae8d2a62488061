import { AdlsObjectStore } from '../../shared/adapters/object-store/adls-object-store.js';
import { freshFileSystem } from '../support/storage.js';
import { fetchUrl, objectStoreContract } from './object-store.contract.js';

objectStoreContract('ADLS Gen2 on Azurite', async () => new AdlsObjectStore(await freshFileSystem()), fetchUrl);

// Every function, in the order the all-in-one host starts them.
import { ingest } from './ingest/index.js';
import { offlineToOnline } from './offline-to-online/index.js';
import { onlineToOffline } from './online-to-offline/index.js';
import { register } from './register/index.js';
import { retrieve } from './retrieve/index.js';
import { sparkSubmit } from './spark-submit/index.js';
import { statusHandler } from './status-handler/index.js';

export const ALL_FUNCTIONS = [register, ingest, retrieve, sparkSubmit, statusHandler, offlineToOnline, onlineToOffline];

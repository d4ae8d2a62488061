import { unimplemented } from '../../shared/runtime/grpc/service-binding.js';
import type { FunctionDefinition } from '../../shared/runtime/function.js';
import { IngestServiceService } from '../../shared/gen/featurestore/v1/ingest.js';

/** ingest: offline ingest and revert jobs (issue #3), online ingest (issue #4). */
export const ingest: FunctionDefinition = {
  name: 'ingest',
  trigger: 'grpc',
  async init({ bind }) {
    return {
      services: [bind('featurestore.v1.IngestService', IngestServiceService, unimplemented(IngestServiceService, 'offline ingest arrives with issue #3, online ingest with issue #4'))],
    };
  },
};

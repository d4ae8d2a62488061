import { unimplemented } from '../../shared/runtime/grpc/service-binding.js';
import type { FunctionDefinition } from '../../shared/runtime/function.js';
import { RetrieveServiceService } from '../../shared/gen/featurestore/v1/retrieve.js';

/** retrieve: online reads (issue #4), offline retrieve and training sets (issue #3). */
export const retrieve: FunctionDefinition = {
  name: 'retrieve',
  trigger: 'grpc',
  async init({ bind }) {
    return {
      services: [
        bind('featurestore.v1.RetrieveService', RetrieveServiceService, unimplemented(RetrieveServiceService, 'offline retrieve arrives with issue #3, online reads with issue #4')),
      ],
    };
  },
};

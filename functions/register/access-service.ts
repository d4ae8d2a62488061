import type { AccessUseCases } from '../../shared/core/use-cases/access.js';
import {
  accessRequestStateFromProto,
  accessRequestToProto,
  permissionToProto,
  principalToProto,
  resourceFromProto,
  roleFromProto,
  tokenToProto,
  ttlFromProto,
} from '../../shared/runtime/api/mappers.js';
import type { Handlers } from '../../shared/runtime/grpc/service-binding.js';
import type { AccessServiceService } from '../../shared/gen/featurestore/v1/access.js';
import type { TokenUseCases } from '../../shared/core/use-cases/tokens.js';

export function accessHandlers(access: AccessUseCases, tokens: TokenUseCases): Handlers<typeof AccessServiceService> {
  return {
    // The secret is in this one reply only; the catalog keeps its hash.
    createToken: async (req, { principal, signal }) => {
      const ttl = ttlFromProto(req.ttl);
      const created = await tokens.create(principal, { name: req.name, ttlSeconds: ttl ?? undefined }, signal);
      return { token: tokenToProto(created.token), secret: created.secret };
    },
    listTokens: async (req, { principal, signal }) => {
      const page = await tokens.list(principal, req, signal);
      return { tokens: page.items.map(tokenToProto), nextPageToken: page.nextPageToken };
    },
    revokeToken: async (req, { principal, signal }) => {
      await tokens.revoke(principal, req.id, signal);
      return {};
    },
    whoAmI: async (_req, { principal }) => principalToProto(access.whoAmI(principal)),
    grantPermission: async (req, { principal, signal }) =>
      permissionToProto(
        await access.grant(principal, { ...resourceFromProto(req.resource), principalId: req.principalId, role: roleFromProto(req.role) }, signal),
      ),
    revokePermission: async (req, { principal, signal }) => {
      await access.revoke(principal, { ...resourceFromProto(req.resource), principalId: req.principalId, role: roleFromProto(req.role) }, signal);
      return {};
    },
    listPermissions: async (req, { principal, signal }) => {
      const page = await access.listPermissions(principal, { ...resourceFromProto(req.resource), pageSize: req.pageSize, pageToken: req.pageToken }, signal);
      return { permissions: page.items.map(permissionToProto), nextPageToken: page.nextPageToken };
    },
    requestAccess: async (req, { principal, signal }) =>
      accessRequestToProto(await access.request(principal, { ...resourceFromProto(req.resource), role: roleFromProto(req.role), reason: req.reason }, signal)),
    approveAccess: async (req, { principal, signal }) => accessRequestToProto(await access.approve(principal, req.id, signal)),
    rejectAccess: async (req, { principal, signal }) => accessRequestToProto(await access.reject(principal, req.id, req.reason, signal)),
    withdrawAccess: async (req, { principal, signal }) => accessRequestToProto(await access.withdraw(principal, req.id, signal)),
    listAccessRequests: async (req, { principal, signal }) => {
      const page = await access.listRequests(
        principal,
        { ...resourceFromProto(req.resource), state: accessRequestStateFromProto(req.state), pageSize: req.pageSize, pageToken: req.pageToken },
        signal,
      );
      return { accessRequests: page.items.map(accessRequestToProto), nextPageToken: page.nextPageToken };
    },
  };
}

// The dev OpenID provider as a process (scripts/services/oidc.sh): 127.0.0.1:$FEATURESTORE_OIDC_PORT,
// audience urn:featurestore, the public client `featurestore-cli` (device flow; any login name
// signs in, with email <name>@example.test; `admin` is in the group featurestore-admins), and one
// confidential client per test identity with the client credentials grant, secret "<id>-secret":
// svc-owner, svc-editor, svc-sensitive-consumer, svc-consumer, svc-viewer, svc-nobody, and
// svc-admin (group featurestore-admins). Prints its issuer URL once it listens.
import { DEV_ADMIN_GROUP, DEV_SERVICE_CLIENTS } from './main-settings.js';
import { startOidcProvider } from './provider.js';

const provider = await startOidcProvider({
  port: Number(process.env['FEATURESTORE_OIDC_PORT'] ?? 29400),
  audience: process.env['FEATURESTORE_OIDC_AUDIENCE'] ?? 'urn:featurestore',
  services: DEV_SERVICE_CLIENTS.map((id) => ({ id, secret: `${id}-secret`, groups: id === 'svc-admin' ? [DEV_ADMIN_GROUP] : [] })),
  peopleGroups: { admin: [DEV_ADMIN_GROUP] },
});
console.log(provider.issuer);
const stop = () => void provider.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

/** The dev provider's confidential clients (client credentials; secret "<id>-secret"), one per test identity. */
export const DEV_SERVICE_CLIENTS = ['svc-owner', 'svc-editor', 'svc-sensitive-consumer', 'svc-consumer', 'svc-viewer', 'svc-nobody', 'svc-admin'];
/** Members are admins of a store started with FEATURESTORE_OIDC_ADMIN_GROUP set to it (svc-admin, the person `admin`). */
export const DEV_ADMIN_GROUP = 'featurestore-admins';

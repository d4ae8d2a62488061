// The signed-in user's tokens (`featurestore login`): cached in the user's config folder, readable
// by them only (0600 in a 0700 folder), refreshed with the refresh token when the access token is
// about to expire. FEATURESTORE_TOKEN, when set, wins over the cache.
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface Credentials {
  issuer: string;
  clientId: string;
  tokenEndpoint: string;
  accessToken: string;
  refreshToken?: string;
  /** When the access token expires (ms since the epoch). */
  expiresAt: number;
}

/** Refreshed when less than this is left. */
const REFRESH_MARGIN_MS = 60_000;

export const credentialsPath = () => join(process.env['XDG_CONFIG_HOME'] || join(homedir(), '.config'), 'featurestore', 'credentials.json');

export async function saveCredentials(c: Credentials): Promise<string> {
  const path = credentialsPath();
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(c, null, 2), { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, path);
  return path;
}

export async function loadCredentials(): Promise<Credentials | undefined> {
  try {
    return JSON.parse(await readFile(credentialsPath(), 'utf8')) as Credentials;
  } catch {
    return undefined;
  }
}

export async function forgetCredentials(): Promise<boolean> {
  const had = (await loadCredentials()) !== undefined;
  await rm(credentialsPath(), { force: true });
  return had;
}

/** The token endpoint's answer, as RFC 6749 and RFC 8628 define it. */
export interface TokenAnswer {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
  error?: string;
  error_description?: string;
}

/** POSTs a form to the provider and reads its JSON answer (a token endpoint's by default). */
export async function postForm<T = TokenAnswer>(url: string, form: Record<string, string>): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(form),
    signal: AbortSignal.timeout(30_000),
  });
  return (await res.json()) as T;
}

/**
 * The cached access token, refreshed first when it is about to expire; undefined when there is
 * none (or it expired and cannot be refreshed: the user signs in again).
 */
export async function cachedAccessToken(): Promise<string | undefined> {
  const c = await loadCredentials();
  if (!c) return undefined;
  if (c.expiresAt - Date.now() > REFRESH_MARGIN_MS) return c.accessToken;
  if (!c.refreshToken) return undefined;
  const answer = await postForm(c.tokenEndpoint, { grant_type: 'refresh_token', refresh_token: c.refreshToken, client_id: c.clientId }).catch(() => undefined);
  if (!answer?.access_token) {
    process.stderr.write(`your sign-in to ${c.issuer} expired: run featurestore login\n`);
    return undefined;
  }
  await saveCredentials({
    ...c,
    accessToken: answer.access_token,
    refreshToken: answer.refresh_token ?? c.refreshToken,
    expiresAt: Date.now() + (answer.expires_in ?? 300) * 1000,
  });
  return answer.access_token;
}

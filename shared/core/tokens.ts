// Personal access tokens: a secret shown once, stored as a hash only. The secret carries a public
// lookup id (to find the row without scanning) and the random part that is hashed; verification
// compares hashes in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Principal } from './principal.js';

/** How every personal access token starts (so it is recognised, and found by secret scanners). */
export const TOKEN_PREFIX = 'fspat_';

/** A token as stored: never the secret, only its hash. */
export interface StoredToken {
  id: string;
  /** The public part of the secret that finds the row. */
  lookup: string;
  /** sha256 of the whole secret, hex. */
  hash: string;
  name: string;
  /** Who the token acts as: the principal that created it, as it was then. */
  principal: Principal;
  createTime: Date;
  expireTime: Date;
  lastUseTime?: Date;
  revokeTime?: Date;
}

const hashOf = (secret: string) => createHash('sha256').update(secret).digest('hex');

/** A new secret and what is stored of it. */
export function newTokenSecret(): { secret: string; lookup: string; hash: string } {
  const lookup = randomBytes(6).toString('hex');
  const secret = `${TOKEN_PREFIX}${lookup}_${randomBytes(32).toString('base64url')}`;
  return { secret, lookup, hash: hashOf(secret) };
}

/** The lookup id of something that looks like a token secret; undefined otherwise. */
export function tokenLookup(secret: string): string | undefined {
  const m = /^fspat_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/.exec(secret);
  return m?.[1];
}

/** Whether `secret` is the token's (constant time). */
export function matchesToken(secret: string, token: Pick<StoredToken, 'hash'>): boolean {
  const a = Buffer.from(hashOf(secret), 'hex');
  const b = Buffer.from(token.hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** How every job runner credential starts: `fsjob_<job id>_<random>`. */
export const RUNNER_TOKEN_PREFIX = 'fsjob_';

/**
 * A handed-off job's credential: the job's Spark application reports progress and result with it
 * (only the hash is stored, on the job; it stops working when the job ends or is taken back).
 */
export function newRunnerToken(jobId: string): { secret: string; hash: string } {
  const secret = `${RUNNER_TOKEN_PREFIX}${jobId}_${randomBytes(32).toString('base64url')}`;
  return { secret, hash: hashOf(secret) };
}

/** The job a runner credential names; undefined for anything that does not look like one. */
export function runnerTokenJob(secret: string): string | undefined {
  return /^fsjob_([0-9a-f-]{36})_[A-Za-z0-9_-]{43}$/.exec(secret)?.[1];
}

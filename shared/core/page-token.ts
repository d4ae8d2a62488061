import { InvalidArgument } from './errors.js';
import type { Page } from './model.js';

// Page tokens are opaque to clients: base64url JSON of the last key seen (keyset pagination), so
// pages stay stable while rows are added and no OFFSET scan is needed.

export function encodePageToken(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodePageToken<T>(token: string | undefined, check: (value: unknown) => value is T, field = 'page_token'): T | undefined {
  if (!token) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidArgument('is not a token this server issued; pass the next_page_token of the previous page', { field });
  }
  if (!check(value)) throw new InvalidArgument('is not a token this server issued; pass the next_page_token of the previous page', { field });
  return value;
}

export const isNamePosition = (v: unknown): v is { after: string } =>
  typeof v === 'object' && v !== null && typeof (v as { after?: unknown }).after === 'string';

export const isVersionPosition = (v: unknown): v is { major: number; minor: number } =>
  typeof v === 'object' && v !== null && Number.isInteger((v as { major?: unknown }).major) && Number.isInteger((v as { minor?: unknown }).minor);

/** A position by time and id (ingests, jobs, access requests, tokens): the time as ISO 8601 text. */
export const isTimePosition = (v: unknown): v is { t: string; id: string } =>
  typeof v === 'object' && v !== null && typeof (v as { t?: unknown }).t === 'string' && typeof (v as { id?: unknown }).id === 'string';

/**
 * One page from `limit + 1` rows read: the first `limit`, and a token for the position of the last
 * of them when there were more.
 */
export function pageOf<T>(rows: T[], limit: number, positionOf: (last: T) => unknown): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextPageToken: rows.length > limit && last !== undefined ? encodePageToken(positionOf(last)) : '' };
}

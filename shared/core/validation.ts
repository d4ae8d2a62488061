import { InvalidArgument } from './errors.js';
import type { FeatureSetVersionNumber, Tags } from './model.js';

const MAX_TAGS = 64;
const TAG_KEY = /^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,62}$/;
const MAX_TAG_VALUE = 256;

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export function validateTags(tags: Tags | undefined, field: string, allowEmptyValues = false): Tags {
  const out: Tags = {};
  const entries = Object.entries(tags ?? {});
  if (entries.length > MAX_TAGS) throw new InvalidArgument(`has ${entries.length} tags; at most ${MAX_TAGS} are allowed`, { field });
  for (const [key, value] of entries) {
    if (!TAG_KEY.test(key)) {
      throw new InvalidArgument(`tag key "${key}" is invalid: letters, digits and _ . - /, at most 63 characters`, { field });
    }
    if (value.length > MAX_TAG_VALUE) throw new InvalidArgument(`value of tag "${key}" is longer than ${MAX_TAG_VALUE} characters`, { field });
    if (value === '' && !allowEmptyValues) throw new InvalidArgument(`tag "${key}" has an empty value`, { field });
    out[key] = requireStorableText(value, field);
  }
  return out;
}

/** Text the catalog can store: PostgreSQL text holds no NUL character (U+0000). */
export function requireStorableText(text: string, field: string): string {
  if (text.includes('\u0000')) throw new InvalidArgument('contains the NUL character (U+0000), which cannot be stored', { field });
  return text;
}

/** Merges a tag patch: an empty value removes the key. With replace, the patch is the new set. */
export function applyTagPatch(current: Tags, patch: Tags, replace: boolean): Tags {
  const out: Tags = replace ? {} : { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === '') delete out[key];
    else out[key] = value;
  }
  return out;
}

export function validatePageSize(pageSize: number | undefined, field = 'page_size'): number {
  const size = pageSize ?? 0;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) {
    throw new InvalidArgument(`must be between 0 and ${MAX_PAGE_SIZE} (0 means ${DEFAULT_PAGE_SIZE})`, { field });
  }
  return size === 0 ? DEFAULT_PAGE_SIZE : size;
}

/** Parses "major.minor" or "major"; empty means latest (undefined). */
export function parseVersion(version: string | undefined, field = 'version'): { major: number; minor?: number } | undefined {
  if (!version) return undefined;
  const m = /^(\d{1,9})(?:\.(\d{1,9}))?$/.exec(version);
  if (!m) throw new InvalidArgument(`"${version}" is not a version: use "major.minor" or "major", e.g. "2.1"`, { field });
  const major = Number(m[1]);
  if (major < 1) throw new InvalidArgument('major versions start at 1', { field });
  return m[2] === undefined ? { major } : { major, minor: Number(m[2]) };
}

export function validateTtlSeconds(seconds: number | null, field = 'ttl'): number | null {
  if (seconds === null) return null;
  if (!Number.isFinite(seconds) || seconds <= 0) throw new InvalidArgument('must be positive, or unset for no limit', { field });
  if (!Number.isInteger(seconds)) throw new InvalidArgument('must be a whole number of seconds', { field });
  return seconds;
}

export function sameVersion(a: FeatureSetVersionNumber, b: FeatureSetVersionNumber): boolean {
  return a.major === b.major && a.minor === b.minor;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(v: unknown): v is string {
  return typeof v === 'string' && UUID.test(v);
}

/** A required id (of a job or an ingest): a UUID, returned lower-case. */
export function requireUuid(id: string, field: string, what = 'id'): string {
  if (!id) throw new InvalidArgument('is required', { field });
  if (!UUID.test(id)) throw new InvalidArgument(`"${id.slice(0, 80)}" is not ${what === 'id' ? 'an id' : `a ${what} id`}`, { field });
  return id.toLowerCase();
}

// google.protobuf.Timestamp <-> Date and exact text. The generated code keeps Timestamps as
// {seconds, nanos} (ts-proto useDate=false) because a Date holds milliseconds only: feature values
// carry microseconds, and a value with sub-microsecond digits must be seen (and refused), not cut.
import type { Timestamp } from '../../gen/google/protobuf/timestamp.js';
import { InvalidArgument } from '../../core/errors.js';
import { timestampProblem } from '../../core/values.js';

export function timestampFromDate(d: Date): Timestamp {
  const ms = d.getTime();
  const seconds = Math.floor(ms / 1000);
  return { seconds: String(seconds), nanos: (ms - seconds * 1000) * 1_000_000 };
}

export function optionalTimestamp(d: Date | undefined): Timestamp | undefined {
  return d === undefined ? undefined : timestampFromDate(d);
}

/** µs since the epoch as a Timestamp. */
export function timestampFromMicros(us: number): Timestamp {
  const seconds = Math.floor(us / 1e6);
  return { seconds: String(seconds), nanos: Math.round(us - seconds * 1e6) * 1000 };
}

/**
 * A request's moment as a Date (sub-millisecond digits dropped: for time ranges and as-of times);
 * outside years 1 to 9999 it is refused as the request's `field`.
 */
export function dateFromTimestamp(t: Timestamp, field: string): Date {
  const bad = timestampProblem(Number(t.seconds), t.nanos);
  if (bad) throw new InvalidArgument(bad, { field });
  return new Date(Number(t.seconds) * 1000 + Math.floor(t.nanos / 1_000_000));
}

export function optionalDate(t: Timestamp | undefined, field: string): Date | undefined {
  return t === undefined ? undefined : dateFromTimestamp(t, field);
}

/** ISO 8601 in UTC as Date.toISOString writes it (3 fraction digits), with 6 or 9 when the value has them. */
export function timestampToIso(t: Timestamp): string {
  const base = new Date(Number(t.seconds) * 1000).toISOString().slice(0, 19);
  const digits = String(t.nanos).padStart(9, '0');
  const keep = t.nanos % 1_000_000 === 0 ? 3 : t.nanos % 1000 === 0 ? 6 : 9;
  return `${base}.${digits.slice(0, keep)}Z`;
}

/**
 * ISO 8601 text (a date, or a date and time with an optional fraction of up to 9 digits and a zone;
 * no zone means UTC) as an exact Timestamp, or undefined when it is not such text.
 */
export function timestampFromIso(text: string): Timestamp | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(text.trim());
  if (!m) return undefined;
  const zone =
    !m[4] || m[4].toUpperCase() === 'Z' ? 'Z' : m[4].length === 3 ? `${m[4]}:00` : m[4].includes(':') ? m[4] : `${m[4].slice(0, 3)}:${m[4].slice(3)}`;
  const ms = Date.parse(`${m[1]}T${m[2] ?? '00:00:00'}${m[2]?.length === 5 ? ':00' : ''}${zone}`);
  if (Number.isNaN(ms)) return undefined;
  return { seconds: String(ms / 1000), nanos: Number((m[3] ?? '').padEnd(9, '0')) };
}

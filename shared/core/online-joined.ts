/**
 * A joined entry (issue #16): the entries of several tables for one entity key, kept together by a
 * store that can (Redis standalone) so that a feature view over feature sets keyed alike reads one
 * entry per entity, as a single feature set does, not one per set and entity.
 *
 * Layout: one byte, the number of tables n; then per table a head of PART_HEAD bytes (kind u8, event
 * time µs f64, expiry ms f64 (-1: never), length u32, big-endian); then the tables' values back to
 * back. Kind 0: the table has no entry for the key; 1: the value is the features' wire bytes (stored
 * form 1 without its format byte, so the values of n whole entries are one run of wire bytes); 2: the
 * value is the stored bytes as they are (another stored form). The store rebuilds the entry from the
 * tables' own entries on every write to one of them, so it holds what reading the tables would.
 */
import { STORED_FORMAT } from './online-format.js';
import type { OnlineEntry } from './ports/online-store.js';

export const PART_HEAD = 21;
export const PART_ABSENT = 0;
export const PART_WIRE = 1;
export const PART_STORED = 2;

/** Where the values of a joined entry of n tables begin. */
export function joinedValuesAt(n: number): number {
  return 1 + n * PART_HEAD;
}

/**
 * Whether every one of the n tables has a wire-form entry the store keeps past `nowMs`, with an event
 * time no older than `oldest[j]` (µs; its TTL): then the values are one run from joinedValuesAt(n)
 * to the end. Answers the oldest event time, or NaN if not.
 */
export function wholeJoinedTime(bytes: Uint8Array, n: number, nowMs: number, oldest: readonly number[]): number {
  if (bytes[0] !== n) return NaN;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let min = Infinity;
  for (let j = 0; j < n; j++) {
    const at = 1 + j * PART_HEAD;
    if (bytes[at] !== PART_WIRE) return NaN;
    const expireMs = view.getFloat64(at + 9);
    if (expireMs >= 0 && nowMs > expireMs) return NaN;
    const time = view.getFloat64(at + 1);
    if (time < oldest[j]) return NaN;
    if (time < min) min = time;
  }
  return min;
}

/**
 * The tables' entries in a joined entry as a read of each table would find them: undefined where the
 * table has none, or the store would have dropped it by `nowMs` (past its expiry).
 */
export function joinedEntries(key: string, bytes: Uint8Array, n: number, nowMs: number): (OnlineEntry | undefined)[] {
  if (bytes[0] !== n) throw new Error(`a joined entry of ${bytes[0]} tables read as one of ${n}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: (OnlineEntry | undefined)[] = [];
  let from = joinedValuesAt(n);
  for (let j = 0; j < n; j++) {
    const at = 1 + j * PART_HEAD;
    const kind = bytes[at];
    const length = view.getUint32(at + 17);
    const value = bytes.subarray(from, from + length);
    from += length;
    const expireMs = view.getFloat64(at + 9);
    if (kind === PART_ABSENT || (expireMs >= 0 && nowMs > expireMs)) {
      out.push(undefined);
      continue;
    }
    const eventTimeMicros = view.getFloat64(at + 1);
    const stored = kind === PART_WIRE ? withFormat(value) : value;
    out.push({ key, eventTimeMicros, value: stored, ...(expireMs >= 0 ? { expireAtMicros: expireMs * 1000 } : {}) });
  }
  if (from !== bytes.length) throw new Error(`a joined entry of ${bytes.length} bytes holds ${from}`);
  return out;
}

/** Wire bytes as a stored value of the current form (its format byte first). */
function withFormat(wire: Uint8Array): Uint8Array {
  const out = new Uint8Array(wire.length + 1);
  out[0] = STORED_FORMAT;
  out.set(wire, 1);
  return out;
}

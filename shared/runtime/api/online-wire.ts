// RetrieveOnlineResponse written straight from the stored bytes: each row's values are slices of
// the online entries (shared/core/online-format.ts stores them in wire form), so an answer is a copy
// of bytes plus a few header fields per row, with no message objects. The bytes are the generated
// encoder's own (test/runtime/online-wire.test.ts), so clients see no difference.
import { timestampSize, varintSize, WireWriter, writeTimestamp } from '../../core/online-format.js';
import type { StoredOnlineAnswer, RowStatus } from '../../core/use-cases/online.js';
import { RowStatus as ProtoRowStatus } from '../../gen/featurestore/v1/retrieve.js';

const STATUS: Record<RowStatus, number> = {
  PRESENT: ProtoRowStatus.ROW_STATUS_PRESENT,
  MISSING: ProtoRowStatus.ROW_STATUS_MISSING,
  EXPIRED: ProtoRowStatus.ROW_STATUS_EXPIRED,
  PARTIAL: ProtoRowStatus.ROW_STATUS_PARTIAL,
};

const LEN = 2;
const tag = (field: number, wireType: number) => (field << 3) | wireType;
// featurestore.v1.RetrieveOnlineResponse and OnlineRow field tags.
const FEATURE_NAMES = tag(1, LEN);
const ROWS = tag(2, LEN);
const WITHHELD = tag(3, LEN);
const FEATURE_SETS = tag(4, LEN);
const ROW_EVENT_TIME = tag(2, LEN);
const ROW_STATUS = tag(3, 0);
const ROW_SET_STATUSES = tag(4, LEN);

const w = new WireWriter();
/** The encoded fields of the name lists the read path hands out again and again (frozen: a full read's, a view's). */
const namesCache = new WeakMap<readonly string[], Buffer>();

function writeNames(field: number, names: readonly string[]): void {
  if (Object.isFrozen(names)) {
    let bytes = namesCache.get(names);
    if (!bytes) {
      const own = new WireWriter();
      for (const name of names) own.byte(field).string(name);
      bytes = own.take();
      namesCache.set(names, bytes);
    }
    w.raw(bytes);
    return;
  }
  for (const name of names) w.byte(field).string(name);
}

/** The bytes of a row's set statuses, packed. */
function statusesSize(statuses: readonly RowStatus[]): number {
  let size = 0;
  for (const x of statuses) size += varintSize(STATUS[x]);
  return size;
}

/** A row's set statuses field: packed, as proto3 writes repeated enums. */
function writeStatuses(out: WireWriter, statuses: readonly RowStatus[], size: number): void {
  out.byte(ROW_SET_STATUSES).varint(size);
  for (const x of statuses) out.varint(STATUS[x]);
}

const statusesCache = new WeakMap<readonly RowStatus[], Buffer>();
function statusesFieldOf(statuses: readonly RowStatus[]): Buffer {
  let bytes = statusesCache.get(statuses);
  if (!bytes) {
    const own = new WireWriter();
    writeStatuses(own, statuses, statusesSize(statuses));
    bytes = own.take();
    statusesCache.set(statuses, bytes);
  }
  return bytes;
}

/** The answer's bytes (a serialized featurestore.v1.RetrieveOnlineResponse). */
export function encodeOnlineAnswer(answer: StoredOnlineAnswer): Buffer {
  write(answer);
  return w.take();
}

/**
 * The answer's bytes in this module's one writer, not copied: valid until the next answer is written.
 * For grpc-js, which copies a reply's bytes into its frame as it serializes it (WireReply): one
 * allocation and copy of the answer fewer (issue #16).
 */
export function lendOnlineAnswer(answer: StoredOnlineAnswer): Buffer {
  write(answer);
  return w.lend();
}

function write(answer: StoredOnlineAnswer): void {
  writeNames(FEATURE_NAMES, answer.featureNames);
  for (const row of answer.rows) {
    const at = row.eventTimeMicros;
    const status = STATUS[row.status];
    const setStatuses = row.setStatuses && row.setStatuses.length > 0 ? row.setStatuses : undefined;
    // The row's length first (its values, event time, statuses), so it is written in one pass.
    const { values, starts } = row;
    let length = 0;
    for (let k = 0; k < values.length; k++) length += values[k].length - (starts ? starts[k] : 0);
    const timeSize = at === undefined ? 0 : timestampSize(at);
    if (at !== undefined) length += 2 + timeSize; // tag, length (< 128), the Timestamp
    if (status !== 0) length += 1 + varintSize(status);
    // A view's rows with every set present share one frozen list: its field is encoded once.
    const statusesField = setStatuses && Object.isFrozen(setStatuses) ? statusesFieldOf(setStatuses) : undefined;
    const packed = setStatuses && !statusesField ? statusesSize(setStatuses) : 0;
    if (statusesField) length += statusesField.length;
    else if (setStatuses) length += 1 + varintSize(packed) + packed;
    w.byte(ROWS).varint(length);
    if (starts) for (let k = 0; k < values.length; k++) w.rawFrom(values[k], starts[k]);
    else for (const piece of values) w.raw(piece);
    if (at !== undefined) {
      w.byte(ROW_EVENT_TIME).byte(timeSize);
      writeTimestamp(w, at);
    }
    if (status !== 0) w.byte(ROW_STATUS).varint(status);
    if (statusesField) w.raw(statusesField);
    else if (setStatuses) writeStatuses(w, setStatuses, packed);
  }
  for (const name of answer.withheld) w.byte(WITHHELD).string(name);
  if (answer.featureSets) writeNames(FEATURE_SETS, answer.featureSets);
}

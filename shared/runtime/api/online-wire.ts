// RetrieveOnlineResponse written straight from the stored values: no TypedValue or generated
// message objects per value, one writer for the whole answer. The bytes are the generated encoder's
// own (a test compares them for every type), so clients see no difference.
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import type { Feature } from '../../core/model.js';
import type { StoredOnlineAnswer, RowStatus } from '../../core/use-cases/online.js';
import { microsOf, type StoredValue } from '../../core/values.js';
import { RowStatus as ProtoRowStatus } from '../../gen/featurestore/v1/retrieve.js';

const STATUS: Record<RowStatus, number> = {
  PRESENT: ProtoRowStatus.ROW_STATUS_PRESENT,
  MISSING: ProtoRowStatus.ROW_STATUS_MISSING,
  EXPIRED: ProtoRowStatus.ROW_STATUS_EXPIRED,
  PARTIAL: ProtoRowStatus.ROW_STATUS_PARTIAL,
};

const tag = (field: number, wireType: WireType) => (field << 3) | wireType;
// featurestore.v1.RetrieveOnlineResponse, OnlineRow, Value, google.protobuf.Timestamp field tags.
const FEATURE_NAMES = tag(1, WireType.LengthDelimited);
const ROWS = tag(2, WireType.LengthDelimited);
const WITHHELD = tag(3, WireType.LengthDelimited);
const ROW_VALUES = tag(1, WireType.LengthDelimited);
const ROW_EVENT_TIME = tag(2, WireType.LengthDelimited);
const ROW_STATUS = tag(3, WireType.Varint);
const ROW_SET_STATUSES = tag(4, WireType.LengthDelimited);
const FEATURE_SETS = tag(4, WireType.LengthDelimited);
const LIST_VALUES = tag(1, WireType.LengthDelimited);

/** The answer's bytes (a serialized featurestore.v1.RetrieveOnlineResponse). */
export function encodeOnlineAnswer(answer: StoredOnlineAnswer): Buffer {
  const w = new BinaryWriter();
  for (const name of answer.featureNames) w.uint32(FEATURE_NAMES).string(name);
  for (const row of answer.rows) {
    w.uint32(ROWS).fork();
    row.values.forEach((v, i) => {
      w.uint32(ROW_VALUES).fork();
      writeValue(w, answer.features[i], v);
      w.join();
    });
    if (row.eventTimeMicros !== undefined) {
      w.uint32(ROW_EVENT_TIME).fork();
      writeTimestamp(w, BigInt(row.eventTimeMicros));
      w.join();
    }
    const status = STATUS[row.status];
    if (status !== 0) w.uint32(ROW_STATUS).int32(status);
    if (row.setStatuses && row.setStatuses.length > 0) {
      // Packed, as proto3 writes repeated enums.
      w.uint32(ROW_SET_STATUSES).fork();
      for (const s of row.setStatuses) w.int32(STATUS[s]);
      w.join();
    }
    w.join();
  }
  for (const name of answer.withheld) w.uint32(WITHHELD).string(name);
  for (const name of answer.featureSets ?? []) w.uint32(FEATURE_SETS).string(name);
  const bytes = w.finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A featurestore.v1.Value's fields for a stored value of `f` (null: no field, the unset oneof). */
function writeValue(w: BinaryWriter, f: Pick<Feature, 'type' | 'isList'>, v: StoredValue): void {
  if (v === null) return;
  if (f.isList) {
    w.uint32(tag(10, WireType.LengthDelimited)).fork();
    for (const x of v as StoredValue[]) {
      w.uint32(LIST_VALUES).fork();
      writeValue(w, { type: f.type, isList: false }, x);
      w.join();
    }
    w.join();
    return;
  }
  switch (f.type) {
    case 'STRING':
      w.uint32(tag(1, WireType.LengthDelimited)).string(v as string);
      return;
    case 'BOOL':
      w.uint32(tag(2, WireType.Varint)).bool(v as boolean);
      return;
    case 'INT32':
      w.uint32(tag(3, WireType.Varint)).int32(v as number);
      return;
    case 'INT64':
      w.uint32(tag(4, WireType.Varint)).int64(v as string);
      return;
    case 'FLOAT32':
      w.uint32(tag(5, WireType.Bit32)).float(v as number);
      return;
    case 'FLOAT64':
      w.uint32(tag(6, WireType.Bit64)).double(v as number);
      return;
    case 'TIMESTAMP':
      w.uint32(tag(7, WireType.LengthDelimited)).fork();
      writeTimestamp(w, microsOf(v));
      w.join();
      return;
    case 'DATE':
      w.uint32(tag(8, WireType.Varint)).int32(v as number);
      return;
    case 'BYTES':
      w.uint32(tag(9, WireType.LengthDelimited)).bytes(Buffer.from(v as string, 'base64'));
      return;
  }
}

/** google.protobuf.Timestamp of `us` µs since the epoch (seconds floored, nanos 0..999,999,000); zero fields left out. */
function writeTimestamp(w: BinaryWriter, us: bigint): void {
  const seconds = us / 1_000_000n - (us % 1_000_000n < 0n ? 1n : 0n);
  const nanos = Number(us - seconds * 1_000_000n) * 1000;
  if (seconds !== 0n) w.uint32(tag(1, WireType.Varint)).int64(seconds.toString());
  if (nanos !== 0) w.uint32(tag(2, WireType.Varint)).int32(nanos);
}

// Helpers every test shares: proto value and feature builders, model features, and `eventually`.
import type { Feature as ModelFeature } from '../../shared/core/model.js';
import type { DataType, Value } from '../../shared/gen/featurestore/v1/common.js';
import { timestampFromDate } from '../../shared/runtime/api/proto-time.js';
import { pause } from '../../shared/core/waiting.js';

/** A proto feature (as RegisterFeatureSet takes it). */
export const feature = (name: string, type: DataType, isList = false) => ({
  name,
  type,
  isList,
  description: '',
  sensitive: false,
  tags: {},
  statistics: undefined,
});

/** A feature of the core model (as engines and use cases take it). */
export const modelFeature = (name: string, type: ModelFeature['type'], isList = false): ModelFeature => ({
  name,
  type,
  isList,
  description: '',
  sensitive: false,
  tags: {},
});

export const str = (value: string): Value => ({ kind: { $case: 'stringValue', value } });
export const i32 = (value: number): Value => ({ kind: { $case: 'int32Value', value } });
export const i64 = (value: string): Value => ({ kind: { $case: 'int64Value', value } });
export const f64 = (value: number): Value => ({ kind: { $case: 'float64Value', value } });
/** A timestamp value from a Date or ISO 8601 text. */
export const ts = (value: Date | string): Value => ({ kind: { $case: 'timestampValue', value: timestampFromDate(new Date(value)) } });

/** Polls `probe` until it returns something truthy (or fails after `timeoutMs`). */
export async function eventually<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 20_000, what = 'the condition'): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await pause(100);
  }
}

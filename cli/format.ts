import Table from 'cli-table3';
import type { Feature } from '../shared/gen/featurestore/v1/common.js';
import { DataType } from '../shared/gen/featurestore/v1/common.js';
import type { Duration } from '../shared/gen/google/protobuf/duration.js';
import type { Timestamp } from '../shared/gen/google/protobuf/timestamp.js';

export function table(head: string[], rows: Array<Array<string | number>>): string {
  const t = new Table({ head, style: { head: [], border: [], compact: true } });
  t.push(...rows.map((r) => r.map(String)));
  return t.toString();
}

export function tags(t: Record<string, string>): string {
  return Object.entries(t)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

export function typeName(f: Pick<Feature, 'type' | 'isList'>): string {
  const name = (DataType[f.type] ?? String(f.type)).replace(/^DATA_TYPE_/, '');
  return f.isList ? `LIST<${name}>` : name;
}

export function duration(d: Duration | undefined): string {
  if (!d) return 'none';
  const s = Number(d.seconds);
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (s % size === 0) return `${s / size}${unit}`;
  }
  return `${s}s`;
}

export function time(t: Timestamp | undefined): string {
  return t ? new Date(Number(t.seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') : '';
}

/** Parses "7d", "12h", "30m", "45s" or plain seconds. */
export function parseDuration(text: string): Duration {
  const m = /^(\d+)([dhms]?)$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a duration: use e.g. 7d, 12h, 30m, 45s`);
  const size = { d: 86400, h: 3600, m: 60, s: 1, '': 1 }[m[2] as 'd' | 'h' | 'm' | 's' | ''];
  return { seconds: String(Number(m[1]) * size), nanos: 0 };
}

/** Collects repeated "-t key=value" options into a map. */
export function collectTag(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const i = value.indexOf('=');
  if (i <= 0) throw new Error(`tag "${value}" must look like key=value`);
  return { ...previous, [value.slice(0, i)]: value.slice(i + 1) };
}

import { DuckDBInstance } from '@duckdb/node-api';
import { Redis } from 'ioredis';
const N = 200_000;
const db = await (await DuckDBInstance.create(':memory:', { threads: '2' })).connect();
await db.run(`SET TimeZone='UTC'`);
const feats = Array.from({ length: 10 }, (_, i) => `m${i}`);
await db.run(`COPY (SELECT i AS id, TIMESTAMPTZ '2026-11-01' AS ts, ${feats.map((f, k) => `i * 0.5 + ${k} AS ${f}`).join(', ')} FROM range(${N}) t(i)) TO '/tmp/exp7.parquet' (FORMAT parquet)`);
const q = `SELECT id::VARCHAR AS id, epoch_us(ts) AS us, to_json([${feats.join(', ')}])::VARCHAR AS v FROM read_parquet('/tmp/exp7.parquet') QUALIFY row_number() OVER (PARTITION BY id ORDER BY ts DESC) = 1`;
let t = performance.now(); let n = 0;
for await (const b of (await db.stream(q)).yieldRowObjectJson()) n += b.length;
console.log('duck rowObjectJson', Math.round(N / ((performance.now() - t) / 1000)), 'rows/s', n);
t = performance.now(); n = 0;
const res = await db.stream(q);
for (;;) { const ch = await res.fetchChunk(); if (!ch || ch.rowCount === 0) break; const cols = ch.getColumns(); n += cols[0]!.length; }
console.log('duck columns', Math.round(N / ((performance.now() - t) / 1000)), 'rows/s', n);
const r = new Redis('redis://127.0.0.1:46490');
r.defineCommand('putNewest', { numberOfKeys: 1, lua: `local cur = redis.call('GET', KEYS[1])
if cur then
  local sep = string.find(cur, '|', 1, true)
  if sep and tonumber(string.sub(cur, 1, sep - 1)) > tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2])
return 1` });
const val = '[' + feats.map((_, k) => (k * 1.5).toFixed(2)).join(',') + ']';
const q2 = `SELECT id::VARCHAR AS id, epoch_us(max(ts)) AS us, to_json(arg_max([${feats.join(', ')}], ts))::VARCHAR AS v FROM read_parquet('/tmp/exp7.parquet') GROUP BY id`;
t = performance.now(); n = 0;
for await (const b of (await db.stream(q2)).yieldRowObjectJson()) n += b.length;
console.log('duck arg_max group by', Math.round(N / ((performance.now() - t) / 1000)), 'rows/s', n);
for (const mode of ['set', 'lua']) for (const par of [1, 4, 8]) {
  await r.flushdb();
  t = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: par }, async () => { while (next < N) { const i = next; next += 2000; const p = r.pipeline(); for (let j = i; j < Math.min(N, i + 2000); j++) { const k = `fs:x/m/v1:["${j}"]`; if (mode === 'set') p.set(k, `1|${val}`); else (p as any).putNewest(k, '1', val); } await p.exec(); } }));
  console.log('redis', mode, 'x' + par, Math.round(N / ((performance.now() - t) / 1000)), 'rows/s');
}
r.disconnect(); db.closeSync();

import { writeFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { submitPlansSettled, asSparkUri } from '/work/main/shared/adapters/engine/spark/spark-submit.js';
import { modelFeature } from '/work/main/test/support/helpers.js';
const d = mkdtempSync(join(tmpdir(), 'one-'));
const schema = { features: [modelFeature('id','INT64'), modelFeature('ts','TIMESTAMP'), modelFeature('i64','INT64')], primaryKey: ['id'], eventTimeColumn: 'ts' };
const plans: any[] = [];
for (const [i, cell] of ['3', '3.7', 'x'].entries()) {
  const f = join(d, `c${i}.csv`); writeFileSync(f, `id,ts,i64\n${i},2026-11-01T00:00:00Z,${cell}\n`);
  plans.push({ kind: 'ingest', ingestId: 't', ingestTime: new Date(), schema, source: { files: [asSparkUri(f)], format: 'CSV', csv: {} }, extraColumns: 'FAIL', distinct: false, existing: [], outputDir: asSparkUri(join(d, `o${i}`)) });
  const j = join(d, `c${i}.jsonl`); writeFileSync(j, `{"id": ${i}, "ts": "2026-11-01T00:00:00Z", "i64": ${cell === 'x' ? '"x"' : cell}}\n`);
  plans.push({ ...plans.at(-1), source: { files: [asSparkUri(j)], format: 'JSONL', csv: {} }, outputDir: asSparkUri(join(d, `j${i}`)) });
}
const t0 = Date.now();
const r = await submitPlansSettled({ sparkSubmit: process.env.FEATURESTORE_TEST_SPARK_SUBMIT!, master: 'local[2]' }, plans, d);
console.log(Date.now() - t0, JSON.stringify(r.map((x: any) => x instanceof Error ? [x.message, x.details] : x), null, 0));

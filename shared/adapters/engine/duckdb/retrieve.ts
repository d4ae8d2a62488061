// A retrieve: the visible rows in an event-time range, some columns, one ordered output file.
import { join } from 'node:path';
import type { RetrievePlan } from '../../../core/plans.js';
import type { RetrieveOutput } from '../../../core/ports/offline-engine.js';
import { quoteIdent, quoteLiteral } from '../../sql/quote.js';
import { duckType } from './conversion.js';
import { copied, copyFormat, list, timeRange, where, type Db } from './sql.js';

/** The output file of a retrieve or training set in its folder. */
export const outputFile = (outputDir: string, format: 'PARQUET' | 'CSV') => join(outputDir, format === 'CSV' ? 'part-0.csv' : 'part-0.parquet');

/** COPY of the plan's rows to `file`. With no stored files, an empty file with the schema's columns. */
export function retrieveSql(plan: RetrievePlan, file: string): string {
  const { schema } = plan;
  const source =
    plan.files.length > 0
      ? `read_parquet(${list(plan.files)})`
      : `(SELECT ${schema.features.map((f) => `NULL::${duckType(f)} AS ${quoteIdent(f.name)}`).join(', ')} LIMIT 0)`;
  return `COPY (SELECT ${plan.columns.map(quoteIdent).join(', ')} FROM ${source}${where(timeRange(schema.eventTimeColumn, plan.startTime, plan.endTime))} ORDER BY ${plan.orderBy.map(quoteIdent).join(', ')})
    TO ${quoteLiteral(file)} (${copyFormat(plan.format)})`;
}

export async function runRetrieve(db: Db, plan: RetrievePlan): Promise<RetrieveOutput> {
  const file = outputFile(plan.outputDir, plan.format);
  return { files: [file], rows: copied(await db.rows(retrieveSql(plan, file))) };
}

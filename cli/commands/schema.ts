import { basename } from 'node:path';
import type { Command } from 'commander';
import { Format } from '../../shared/gen/featurestore/v1/common.js';
import type { InferSchemaResponse } from '../../shared/gen/featurestore/v1/feature_set.js';
import { unary, type Clients } from '../client.js';
import { action, example, formatOf, listOption, openFile } from '../program.js';
import { schemaToFile } from '../schema-file.js';

/** Bytes of a sample file sent for inference; CSV and JSON lines are cut at the last full line. */
const SAMPLE_BYTES = 4 * 1024 * 1024;

/** Reads the start of a sample file: whole lines of CSV/JSON lines, a whole Parquet file. */
async function readSample(file: string, format: Format): Promise<Buffer> {
  const handle = await openFile(file);
  try {
    const { size } = await handle.stat();
    if (format === Format.FORMAT_PARQUET && size > SAMPLE_BYTES) {
      throw new Error(`${file} is ${size} bytes; Parquet samples must be whole and at most ${SAMPLE_BYTES} bytes: write a smaller sample file`);
    }
    const buffer = Buffer.alloc(Math.min(size, SAMPLE_BYTES));
    await handle.read(buffer, 0, buffer.length, 0);
    if (size <= SAMPLE_BYTES || format === Format.FORMAT_PARQUET) return buffer;
    const end = buffer.lastIndexOf(0x0a);
    if (end <= 0) throw new Error(`the first ${SAMPLE_BYTES} bytes of ${file} hold no complete line`);
    return buffer.subarray(0, end + 1);
  } finally {
    await handle.close();
  }
}

/** The schema the server infers from the start of a local sample file. */
export async function inferFromFile(c: Clients, file: string, o: { primaryKey?: string[]; eventTime?: string; format?: string }): Promise<InferSchemaResponse> {
  const format = formatOf(file, o.format);
  const data = await readSample(file, format);
  return unary(c.featureSets, c.featureSets.inferSchema, {
    sample: { $case: 'inline', value: { data, format, fileName: basename(file) } },
    primaryKey: o.primaryKey ?? [],
    eventTimeColumn: o.eventTime ?? '',
  });
}

export function schemaCommands(program: Command): void {
  const schema = program.command('schema').description('work with schema files');
  example(
    schema
      .command('infer <file>')
      .description('infer a schema from a sample file and print it as a schema file (edit it, then register with --schema)')
      .option('-k, --primary-key <columns>', 'primary-key columns, comma-separated', listOption)
      .option('-e, --event-time <column>', 'event-time column (inferred when omitted)')
      .option('--format <format>', 'csv, parquet or jsonl; from the file name when omitted'),
    'featurestore schema infer examples/transactions.csv -k customer_id > schema.json',
  ).action(
    action(async (c, _opts, file: string, o: { primaryKey?: string[]; eventTime?: string; format?: string }) => {
      const res = await inferFromFile(c, file, o);
      for (const w of res.warnings) process.stderr.write(`note: ${w}\n`);
      process.stdout.write(`${JSON.stringify(schemaToFile(res.schema!), null, 2)}\n`);
    }),
  );
}

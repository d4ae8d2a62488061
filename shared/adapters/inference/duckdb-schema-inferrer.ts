import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBInstance } from '@duckdb/node-api';
import { InvalidArgument, Unimplemented, throwIfAborted } from '../../core/errors.js';
import type { DataType, SampleFormat } from '../../core/model.js';
import type { InferredColumn, InferredSample, SampleInput, SchemaInferrer } from '../../core/ports/schema-inferrer.js';
import { formatFromName } from '../../core/use-cases/infer-schema.js';
import { duckDbSettings, type DuckDbOptions } from '../engine/duckdb/duckdb-engine.js';
import { engineMessage, text } from '../engine/duckdb/sql.js';
import type { LocalRoots } from '../files/local-roots.js';

/** Rows read from a URI sample at most; inline samples are read whole (they are size-bounded). */
const URI_SAMPLE_ROWS = 100_000;

const SCALARS: Record<string, DataType> = {
  VARCHAR: 'STRING',
  UUID: 'STRING',
  BOOLEAN: 'BOOL',
  TINYINT: 'INT32',
  SMALLINT: 'INT32',
  INTEGER: 'INT32',
  UTINYINT: 'INT32',
  USMALLINT: 'INT32',
  BIGINT: 'INT64',
  UINTEGER: 'INT64',
  FLOAT: 'FLOAT32',
  DOUBLE: 'FLOAT64',
  DATE: 'DATE',
  TIMESTAMP: 'TIMESTAMP',
  'TIMESTAMP WITH TIME ZONE': 'TIMESTAMP',
  TIMESTAMP_S: 'TIMESTAMP',
  TIMESTAMP_MS: 'TIMESTAMP',
  TIMESTAMP_NS: 'TIMESTAMP',
  BLOB: 'BYTES',
};

/** Maps a DuckDB column type to a feature type; lists of scalars become is_list features. */
export function mapDuckDbType(engineType: string): Pick<InferredColumn, 'type' | 'isList'> {
  const isList = engineType.endsWith('[]');
  const base = isList ? engineType.slice(0, -2) : engineType;
  const type = SCALARS[base] ?? (/^DECIMAL\(/.test(base) ? 'FLOAT64' : undefined);
  return { type, isList };
}

/** Schema inference with DuckDB reading the sample file in place (local files only). */
export class DuckDbSchemaInferrer implements SchemaInferrer {
  private instance: Promise<DuckDBInstance> | undefined;

  constructor(
    private readonly roots: LocalRoots,
    private readonly duckdb: DuckDbOptions = {},
  ) {}

  async infer(input: SampleInput, signal?: AbortSignal): Promise<InferredSample> {
    if (input.kind === 'bytes') {
      if (input.data.length === 0) throw new InvalidArgument('the inline sample is empty', { field: 'sample' });
      const dir = await mkdtemp(join(tmpdir(), 'featurestore-sample-'));
      try {
        const file = join(dir, `sample.${input.format.toLowerCase()}`);
        await writeFile(file, input.data);
        return await this.read(file, input.format, undefined, signal);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    if (!input.uri.startsWith('file:')) {
      const scheme = /^([a-z0-9+.-]+):/i.exec(input.uri)?.[1];
      if (scheme === 's3' || scheme === 'abfss') {
        throw new Unimplemented(
          `schema inference reads file:// samples and inline ones, not ${scheme}:// objects; send the sample inline (the CLI does) or use file://`,
          {
            field: 'source.uri',
          },
        );
      }
      throw new InvalidArgument(`"${input.uri}" is not a supported URI; use file://, s3:// or abfss://`, { field: 'source.uri' });
    }
    if (/[*?[]/.test(input.uri)) throw new InvalidArgument('globs are not supported for schema inference; name one file', { field: 'source.uri' });
    const path = await this.roots.resolve(input.uri, 'source.uri');
    const format = input.format ?? formatFromName(path);
    if (!format) throw new InvalidArgument('cannot tell the format from the file name; set format', { field: 'source.format' });
    return this.read(path, format, URI_SAMPLE_ROWS, signal);
  }

  private async read(path: string, format: SampleFormat, limit: number | undefined, signal?: AbortSignal): Promise<InferredSample> {
    throwIfAborted(signal);
    const connection = await (await this.db()).connect();
    try {
      const relation = readerSql(path, format, limit === undefined);
      let described;
      try {
        described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${relation}`);
      } catch (err) {
        throw new InvalidArgument(`cannot read the sample as ${format}: ${engineMessage(err)}`, { field: 'sample', cause: err });
      }
      const columns = described.getRowObjectsJson().map((row) => {
        const engineType = text(row['column_type']);
        return { name: text(row['column_name']), engineType, ...mapDuckDbType(engineType) };
      });
      const limited = limit === undefined ? relation : `(SELECT 1 FROM ${relation} LIMIT ${limit})`;
      const counted = await connection.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM ${limited}`);
      const rows = Number(counted.getRowObjectsJson()[0]?.['n'] ?? 0);
      if (rows === 0) throw new InvalidArgument('the sample has no data rows', { field: 'sample' });
      return { columns, rows };
    } finally {
      connection.closeSync();
    }
  }

  private db(): Promise<DuckDBInstance> {
    this.instance ??= import('@duckdb/node-api').then(({ DuckDBInstance }) => DuckDBInstance.create(':memory:', duckDbSettings(this.duckdb, 1)));
    return this.instance;
  }

  async close(): Promise<void> {
    const instance = await this.instance;
    instance?.closeSync();
    this.instance = undefined;
  }
}

/** A DuckDB table function over one local file; the path is a string literal with quotes doubled. */
function readerSql(path: string, format: SampleFormat, wholeFile: boolean): string {
  const literal = `'${path.replaceAll("'", "''")}'`;
  switch (format) {
    case 'CSV':
      return `read_csv(${literal}${wholeFile ? ', sample_size = -1' : ''})`;
    case 'JSONL':
      return `read_json(${literal}, format = 'newline_delimited'${wholeFile ? ', sample_size = -1' : ''})`;
    case 'PARQUET':
      return `read_parquet(${literal})`;
  }
}

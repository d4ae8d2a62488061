import type { Command } from 'commander';
import { Format } from '../../shared/gen/featurestore/v1/common.js';
import { ExtraColumns, Ingest, IngestState } from '../../shared/gen/featurestore/v1/ingest.js';
import { Job } from '../../shared/gen/featurestore/v1/job.js';
import { unary } from '../client.js';
import { table, time } from '../format.js';
import { action, examples, followJob, formatOf, print, sourceUri, startedMessage, VERSION_HELP, versioned } from '../program.js';

export function ingestCommands(program: Command): void {
  program
    .command('ingest <project> <featureSet> <source>')
    .description(`ingest a file, folder or glob (a path, or a file://, s3:// or abfss:// URI) offline, following the job until it ends; ${VERSION_HELP}`)
    .option('--format <format>', 'csv, parquet or jsonl; from the file names when omitted')
    .option('--delimiter <char>', 'CSV delimiter')
    .option('--extra-columns <policy>', 'ignore (drop them, the default) or fail', 'ignore')
    .option('--request-id <id>', 'retrying with the same id returns the first job instead of ingesting twice', '')
    .option('--no-wait', 'print the job and return without following it')
    .addHelpText(
      'after',
      examples(
        'featurestore ingest fraud transactions examples/transactions.csv',
        'featurestore ingest fraud transactions s3://lake/tx/2026-11-*.parquet --no-wait',
      ),
    )
    .action(
      action(
        async (
          c,
          opts,
          project: string,
          arg: string,
          source: string,
          o: { format?: string; delimiter?: string; extraColumns: string; requestId: string; wait: boolean },
        ) => {
          const policy = { ignore: ExtraColumns.EXTRA_COLUMNS_IGNORE, fail: ExtraColumns.EXTRA_COLUMNS_FAIL }[o.extraColumns.toLowerCase()];
          if (policy === undefined) throw new Error('--extra-columns must be ignore or fail');
          const job = await unary(c.ingest, c.ingest.startIngest, {
            featureSet: { project, ...versioned(arg) },
            source: {
              uri: sourceUri(source),
              format: o.format ? formatOf('', o.format) : Format.FORMAT_UNSPECIFIED,
              options: o.delimiter ? { delimiter: o.delimiter } : {},
            },
            extraColumns: policy,
            requestId: o.requestId,
          });
          if (!o.wait) return print(opts, Job.toJSON(job), () => startedMessage(job));
          await followJob(c, opts, job);
        },
      ),
    );

  program
    .command('ingests <project> <featureSet>')
    .description('ingest history, newest first')
    .option('--limit <n>', 'at most this many', (v) => Number(v), 50)
    .addHelpText('after', examples('featurestore ingests fraud transactions --limit 10'))
    .action(
      action(async (c, opts, project: string, name: string, o: { limit: number }) => {
        const page = await unary(c.ingest, c.ingest.listIngests, { featureSet: { project, name, version: '' }, pageSize: o.limit, pageToken: '' });
        print(
          opts,
          page.ingests.map((i) => Ingest.toJSON(i)),
          () =>
            page.ingests.length
              ? table(
                  ['INGEST', 'STATE', 'ROWS', 'DUPLICATES', 'VERSION', 'SOURCE', 'COMMITTED', 'BY'],
                  page.ingests.map((i) => [
                    i.id,
                    (IngestState[i.state] ?? '').replace('INGEST_STATE_', ''),
                    i.rows,
                    i.duplicateRows,
                    i.featureSet?.version ?? '',
                    i.source?.uri ?? '',
                    time(i.commitTime),
                    i.createdBy,
                  ]),
                )
              : `no ingests into ${project}/${name} yet`,
        );
      }),
    );

  program
    .command('revert <project> <featureSet> <ingestId>')
    .description("hide an ingest's rows: a new minor version without them (time travel to before the revert still sees them)")
    .option('--no-wait', 'print the job and return without following it')
    .addHelpText('after', examples('featurestore revert fraud transactions 3f2b8c1e-0d4a-4c8e-9b1a-7e6f5d4c3b2a'))
    .action(
      action(async (c, opts, project: string, name: string, ingestId: string, o: { wait: boolean }) => {
        const job = await unary(c.ingest, c.ingest.revertIngest, { featureSet: { project, name, version: '' }, ingestId });
        if (!o.wait) return print(opts, Job.toJSON(job), () => startedMessage(job));
        await followJob(c, opts, job);
      }),
    );
}

import type { Command } from 'commander';
import { Format } from '../../shared/gen/featurestore/v1/common.js';
import { Job, JobState } from '../../shared/gen/featurestore/v1/job.js';
import { optionalTimestamp, timestampFromDate } from '../../shared/runtime/api/proto-time.js';
import { unary } from '../client.js';
import {
  action,
  dateOption,
  examples,
  followJob,
  formatOf,
  listOption,
  print,
  saveOutput,
  sourceUri,
  startedMessage,
  VERSION_HELP,
  versioned,
} from '../program.js';

export function retrieveCommands(program: Command): void {
  program
    .command('retrieve <project> <featureSet>')
    .description(`a feature set's rows (some features, an event-time range, as of a moment) in a Parquet or CSV file, saved where you ask; ${VERSION_HELP}`)
    .option('--features <names>', 'features besides the key and event time, comma-separated; all when omitted', listOption, [])
    .option('--from <time>', 'event time from (inclusive)', dateOption)
    .option('--to <time>', 'event time up to (exclusive)', dateOption)
    .option('--as-of-ingest <id>', 'time travel: the data as it was right after this ingest')
    .option('--as-of <time>', 'time travel: the data as it was at this moment', dateOption)
    .option('--csv', 'write CSV instead of Parquet', false)
    .option('-o, --out <path>', 'file (or existing folder) to save the result in; default: the working directory')
    .option('--no-wait', 'print the job and return without following it (the file stays in the store; see jobs get)')
    .addHelpText(
      'after',
      examples(
        'featurestore retrieve fraud transactions --from 2026-11-01T00:00:00Z --csv -o november.csv',
        'featurestore retrieve fraud transactions --as-of-ingest <ingest id>   # time travel',
      ),
    )
    .action(
      action(
        async (
          c,
          opts,
          project: string,
          arg: string,
          o: { features: string[]; from?: Date; to?: Date; asOfIngest?: string; asOf?: Date; csv: boolean; out?: string; wait: boolean },
        ) => {
          if (o.asOfIngest && o.asOf) throw new Error('give --as-of-ingest or --as-of, not both');
          const job = await unary(c.retrieve, c.retrieve.startRetrieve, {
            featureSet: { project, ...versioned(arg) },
            features: o.features,
            startTime: optionalTimestamp(o.from),
            endTime: optionalTimestamp(o.to),
            asOf: o.asOfIngest ? { $case: 'asOfIngestId', value: o.asOfIngest } : o.asOf ? { $case: 'asOfTime', value: timestampFromDate(o.asOf) } : undefined,
            output: { format: o.csv ? Format.FORMAT_CSV : Format.FORMAT_PARQUET, uri: '' },
          });
          if (!o.wait) return print(opts, Job.toJSON(job), () => startedMessage(job));
          await save(await followJob(c, opts, job), o.out, `${project}_${versioned(arg).name}`, opts.json);
        },
      ),
    );

  program
    .command('training-set <entities>')
    .description('join an entity table (a path or URI: keys, a timestamp, any labels) with features point in time, saved where you ask')
    .option('-f, --features <refs>', 'project/feature_set[:version]/feature or project/feature_set/*, comma-separated', listOption, [])
    .option('--view <project/name[:version]>', 'instead of --features: every feature of a feature view, joined on its key mapping')
    .option('--timestamp-column <name>', "the entity table's timestamp column", 'ts')
    .option('--format <format>', 'csv, parquet or jsonl; from the file names when omitted')
    .option('--csv', 'write CSV instead of Parquet', false)
    .option('-o, --out <path>', 'file (or existing folder) to save the result in; default: the working directory')
    .option('--no-wait', 'print the job and return without following it (the file stays in the store; see jobs get)')
    .addHelpText('after', examples('featurestore training-set examples/labels.csv -f fraud/transactions/amount,fraud/transactions/country --csv -o train.csv'))
    .action(
      action(
        async (
          c,
          opts,
          entities: string,
          o: { features: string[]; view?: string; timestampColumn: string; format?: string; csv: boolean; out?: string; wait: boolean },
        ) => {
          const job = await unary(c.retrieve, c.retrieve.startTrainingSet, {
            entities: {
              $case: 'entitySource',
              value: { uri: sourceUri(entities), format: o.format ? formatOf('', o.format) : Format.FORMAT_UNSPECIFIED, options: {} },
            },
            timestampColumn: o.timestampColumn,
            features: o.features,
            featureView: o.view ? viewRef(o.view) : undefined,
            output: { format: o.csv ? Format.FORMAT_CSV : Format.FORMAT_PARQUET, uri: '' },
          });
          if (!o.wait) return print(opts, Job.toJSON(job), () => startedMessage(job));
          await save(await followJob(c, opts, job), o.out, 'training-set', opts.json);
        },
      ),
    );
}

/** A succeeded job's files saved where the user asked (the working directory by default). */
async function save(job: Job, out: string | undefined, name: string, json: boolean): Promise<void> {
  if (job.state !== JobState.JOB_STATE_SUCCEEDED) return;
  const saved = await saveOutput(job, out, name);
  if (!json) for (const path of saved) process.stdout.write(`saved ${path}\n`);
}

/** "project/name[:version]" as a FeatureViewRef. */
function viewRef(text: string) {
  const [project = '', rest = '', ...more] = text.split('/');
  if (!project || !rest || more.length > 0) throw new Error(`--view "${text}" is not project/name or project/name:version`);
  return { project, ...versioned(rest) };
}

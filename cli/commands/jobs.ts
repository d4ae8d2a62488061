import type { Command } from 'commander';
import { Job, JobState, JobType } from '../../shared/gen/featurestore/v1/job.js';
import { unary } from '../client.js';
import { jobOutcome, jobRows, watchJob } from '../job-watch.js';
import { action, enumOption, examples, print } from '../program.js';

export function jobCommands(program: Command): void {
  const jobs = program.command('jobs').description('list, show, cancel and watch jobs (ingests, retrieves, training sets)');
  jobs
    .command('list')
    .option('--project <project>', 'only jobs of this project', '')
    .option('--type <type>', 'ingest, revert, retrieve, training_set, materialize, online_to_offline', enumOption('JOB_TYPE_', JobType), 0)
    .option('--state <state>', 'pending, running, succeeded, failed, cancelled', enumOption('JOB_STATE_', JobState), 0)
    .option('--limit <n>', 'at most this many, newest first', (v) => Number(v), 50)
    .description('list jobs, newest first')
    .addHelpText('after', examples('featurestore jobs list --state running --type ingest'))
    .action(
      action(async (c, opts, o: { project: string; type: number; state: number; limit: number }) => {
        const page = await unary(c.jobs, c.jobs.listJobs, { project: o.project, type: o.type, state: o.state, pageSize: o.limit, pageToken: '' });
        print(
          opts,
          page.jobs.map((j) => Job.toJSON(j)),
          () => (page.jobs.length ? jobRows(page.jobs) : 'no jobs'),
        );
      }),
    );

  jobs
    .command('get <id>')
    .description('show a job: state, progress, error detail, result')
    .addHelpText('after', examples('featurestore jobs get 3f2b8c1e-0d4a-4c8e-9b1a-7e6f5d4c3b2a'))
    .action(
      action(async (c, opts, id: string) => {
        const job = await unary(c.jobs, c.jobs.getJob, { id });
        print(opts, Job.toJSON(job), () => `${jobRows([job])}\n${jobOutcome(job)}`);
      }),
    );

  jobs
    .command('cancel <id>')
    .description('ask a job to stop (nothing it wrote becomes visible)')
    .addHelpText('after', examples('featurestore jobs cancel 3f2b8c1e-0d4a-4c8e-9b1a-7e6f5d4c3b2a'))
    .action(
      action(async (c, opts, id: string) => {
        const job = await unary(c.jobs, c.jobs.cancelJob, { id });
        print(opts, Job.toJSON(job), () => jobOutcome(job));
      }),
    );

  jobs
    .command('watch <id>')
    .description('follow a job with a live progress bar until it ends; exits 1 unless it succeeded')
    .addHelpText('after', examples('featurestore jobs watch 3f2b8c1e-0d4a-4c8e-9b1a-7e6f5d4c3b2a'))
    .action(
      action(async (c, opts, id: string) => {
        const job = await watchJob(c, id, { json: opts.json, tty: Boolean(process.stdout.isTTY) });
        if (!opts.json) process.stdout.write(`${jobOutcome(job)}\n`);
        if (job.state !== JobState.JOB_STATE_SUCCEEDED) process.exitCode = 1;
      }),
    );
}

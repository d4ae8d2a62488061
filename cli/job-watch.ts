import { SingleBar } from 'cli-progress';
import { Job, JobState, JobType, type WatchJobResponse } from '../shared/gen/featurestore/v1/job.js';
import { callMetadata, type Clients } from './client.js';
import { table, time } from './format.js';

export const stateName = (s: JobState) => (JobState[s] ?? String(s)).replace('JOB_STATE_', '');
export const jobTypeName = (t: JobType) => (JobType[t] ?? String(t)).replace('JOB_TYPE_', '');

export function jobRows(jobs: Job[]): string {
  return table(
    ['ID', 'TYPE', 'STATE', 'PROGRESS', 'FEATURE SET', 'CREATED', 'BY', 'MESSAGE'],
    jobs.map((j) => [
      j.id,
      jobTypeName(j.type),
      stateName(j.state),
      `${Math.round(j.progress * 100)}%`,
      j.project ? `${j.project}/${j.featureSet}` : '',
      time(j.createTime),
      j.createdBy,
      j.message,
    ]),
  );
}

/** What a finished job produced or why it failed, for people. */
export function jobOutcome(j: Job): string {
  const lines = [`job ${j.id} ${stateName(j.state)}${j.message ? `: ${j.message}` : ''}`];
  if (j.error) {
    lines.push(`error: ${j.error.message} (${j.error.code})`);
    for (const d of j.error.details)
      lines.push(`  ${[d.row !== '0' ? `row ${d.row}` : '', d.column && `column ${d.column}`, d.field].filter(Boolean).join(', ')}: ${d.message}`);
  }
  const r = j.result;
  if (r?.$case === 'ingestResult') lines.push(`ingest ${r.value.ingestId}: ${r.value.rows} rows, ${r.value.duplicateRows} duplicates skipped`);
  if (r?.$case === 'revertResult')
    lines.push(`ingest ${r.value.ingestId} reverted: ${r.value.rowsRemoved} rows hidden; the feature set is now version ${r.value.version}`);
  if (r?.$case === 'retrieveResult') lines.push(`${r.value.rows} rows in:`, ...r.value.downloadUrls.map((u) => `  ${u}`));
  return lines.join('\n');
}

/**
 * Follows a job until it ends: a live progress bar on a terminal, one line per change otherwise
 * (or JSON lines with --json). Resolves with the final job.
 */
export function watchJob(c: Clients, id: string, mode: { json: boolean; tty: boolean }): Promise<Job> {
  return new Promise((resolve, reject) => {
    const stream = c.jobs.watchJob({ id }, callMetadata());
    let last: Job | undefined;
    const bar =
      mode.tty && !mode.json ? new SingleBar({ format: '{state} [{bar}] {percentage}% {message}', hideCursor: true, clearOnComplete: false }) : undefined;
    stream.on('data', ({ job }: WatchJobResponse) => {
      if (!job) return;
      if (mode.json) process.stdout.write(`${JSON.stringify(Job.toJSON(job))}\n`);
      else if (bar) {
        const payload = { state: stateName(job.state).padEnd(9), message: job.message };
        if (!last) bar.start(100, Math.round(job.progress * 100), payload);
        else bar.update(Math.round(job.progress * 100), payload);
      } else process.stdout.write(`${stateName(job.state)} ${Math.round(job.progress * 100)}%${job.message ? ` ${job.message}` : ''}\n`);
      last = job;
    });
    stream.on('end', () => {
      bar?.stop();
      if (last) resolve(last);
      else reject(new Error(`the watch of job ${id} ended without news`));
    });
    stream.on('error', (err) => {
      bar?.stop();
      reject(err);
    });
  });
}

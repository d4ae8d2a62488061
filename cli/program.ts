// What every command shares: global options, running an action with clients, printing, errors a
// user can act on, option parsers, following a job, and saving a job's output files.
import { copyFile, mkdir, open, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve as resolvePath } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { Command, InvalidArgumentError } from 'commander';
import { Format } from '../shared/gen/featurestore/v1/common.js';
import { JobState, type Job } from '../shared/gen/featurestore/v1/job.js';
import { connect, useSignedInToken, type Clients } from './client.js';
import { cachedAccessToken } from './credentials.js';
import { collectTag, parseDuration } from './format.js';
import { jobOutcome, watchJob } from './job-watch.js';

export interface GlobalOptions {
  endpoint: string;
  json: boolean;
}

/** Examples for a command's --help. */
export const examples = (...lines: string[]) => `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;

/** Adds examples to a command's --help. */
export function example(command: Command, ...lines: string[]): Command {
  return command.addHelpText('after', examples(...lines));
}

/** Runs an action with connected clients, printing errors the way a user can act on. */
export function action<A extends unknown[]>(fn: (clients: Clients, opts: GlobalOptions, ...args: A) => Promise<void>) {
  return async (...args: A) => {
    // Commander passes the command last: its options with the program's (--endpoint, --json).
    const opts = (args[args.length - 1] as Command).optsWithGlobals<GlobalOptions>();
    const clients = connect(opts.endpoint);
    try {
      if (!process.env['FEATURESTORE_TOKEN']) useSignedInToken(await cachedAccessToken());
      await fn(clients, opts, ...args);
    } catch (err) {
      process.exitCode = 1;
      process.stderr.write(`error: ${explain(err as ServiceError, opts.endpoint)}\n`);
    } finally {
      clients.close();
    }
  };
}

function explain(err: ServiceError | Error, endpoint: string): string {
  const code = (err as ServiceError).code;
  if (code === undefined) return err.message;
  if (code === GrpcStatus.UNAVAILABLE && /ECONNREFUSED|No connection established|connect/i.test(err.message)) {
    return `cannot reach the feature store at ${endpoint}: start it (\`make up\`) or point --endpoint / FEATURESTORE_ENDPOINT at it`;
  }
  return `${(err as ServiceError).details || err.message} (${GrpcStatus[code]})`;
}

export function print(opts: GlobalOptions, json: unknown, human: () => string): void {
  process.stdout.write(opts.json ? `${JSON.stringify(json, null, 2)}\n` : `${human()}\n`);
}

const asParser =
  <T>(fn: (value: string, previous: T) => T) =>
  (value: string, previous: T) => {
    try {
      return fn(value, previous);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
export const tagOption = asParser(collectTag);
export const durationOption = asParser((v: string) => parseDuration(v));
export const listOption = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
export const dateOption = (v: string) => {
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError(`"${v}" is not a time: use ISO 8601, e.g. 2026-11-01T00:00:00Z`);
  return d;
};
export const enumOption = (prefix: string, names: Record<string, unknown>) => (v: string) => {
  const key = `${prefix}${v.toUpperCase().replaceAll('-', '_')}`;
  if (!(key in names))
    throw new InvalidArgumentError(
      `use one of ${Object.keys(names)
        .filter((k) => k.startsWith(prefix) && !k.endsWith('UNSPECIFIED'))
        .map((k) => k.slice(prefix.length).toLowerCase())
        .join(', ')}`,
    );
  return names[key] as number;
};

/** A format named on the command line, or told by a file name. */
export function formatOf(file: string, explicit?: string): Format {
  const name = (explicit ?? file).toLowerCase();
  if (explicit ? name === 'csv' : /\.(csv|tsv)$/.test(name)) return Format.FORMAT_CSV;
  if (explicit ? name === 'parquet' : /\.(parquet|pq)$/.test(name)) return Format.FORMAT_PARQUET;
  if (explicit ? name === 'jsonl' : /\.(jsonl|ndjson|json)$/.test(name)) return Format.FORMAT_JSONL;
  throw new Error(`cannot tell the format of ${file}: pass --format csv|parquet|jsonl`);
}

/** A feature set argument: "name" (the latest version) or "name:1.2" / "name:1" (the same syntax as feature references). */
export function versioned(arg: string): { name: string; version: string } {
  const at = arg.indexOf(':');
  return at < 0 ? { name: arg, version: '' } : { name: arg.slice(0, at), version: arg.slice(at + 1) };
}

/** Said in the help of commands that take a feature set. */
export const VERSION_HELP = 'a feature set may be named with its version, name:1.2 or name:1 (the latest when omitted)';

/** A local path becomes an absolute file:// URI (the server reads it; it must lie under its roots). */
export function sourceUri(source: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(source) ? source : pathToFileURL(resolvePath(source)).href;
}

export const startedMessage = (job: Job) => `started job ${job.id}; follow it with: featurestore jobs watch ${job.id}`;

/** Follows a started job to its end with a progress bar; a job that does not succeed exits 1. */
export async function followJob(c: Clients, opts: GlobalOptions, job: Job): Promise<Job> {
  if (!opts.json) process.stderr.write(`job ${job.id}\n`);
  const done = await watchJob(c, job.id, { json: opts.json, tty: Boolean(process.stdout.isTTY) });
  if (!opts.json) process.stdout.write(`${jobOutcome(done)}\n`);
  if (done.state !== JobState.JOB_STATE_SUCCEEDED) process.exitCode = 1;
  return done;
}

/**
 * Saves a finished retrieve's or training set's files where the user asked: `out` is a file (one
 * output file; more get -1, -2 ... before the extension) or an existing folder (or ends with /);
 * by default the working directory, named `name` plus the job id's first 8 characters.
 */
export async function saveOutput(job: Job, out: string | undefined, name: string): Promise<string[]> {
  const urls = job.result?.$case === 'retrieveResult' ? job.result.value.downloadUrls : [];
  if (urls.length === 0) return [];
  const ext = extname(new URL(urls[0]).pathname) || '.out';
  const target = resolvePath(out ?? '.');
  const isDir =
    out === undefined ||
    out.endsWith('/') ||
    (await stat(target).then(
      (s) => s.isDirectory(),
      () => false,
    ));
  const path = (i: number) => {
    const suffix = urls.length > 1 ? `-${i + 1}` : '';
    if (isDir) return join(target, `${name}-${job.id.slice(0, 8)}${suffix}${ext}`);
    return suffix ? join(dirname(target), `${basename(target, extname(target))}${suffix}${extname(target)}`) : target;
  };
  const saved: string[] = [];
  for (const [i, url] of urls.entries()) {
    const to = path(i);
    await mkdir(dirname(to), { recursive: true });
    if (url.startsWith('file:')) await copyFile(fileURLToPath(url), to);
    else {
      const res = await fetch(url);
      if (!res.ok || !res.body) throw new Error(`cannot download ${basename(new URL(url).pathname)}: HTTP ${res.status}`);
      await pipeline(Readable.fromWeb(res.body as never), createWriteStream(to));
    }
    saved.push(to);
  }
  return saved;
}

/** Reads all of standard input. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Opens a file for reading with a message that says which file when it cannot. */
export async function openFile(file: string) {
  return open(file, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new Error(`cannot open ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  });
}

// Runs one plan on Spark with spark-submit (master local[N] on one machine): the plan as JSON in a
// work folder, the runner (job/runner.py) as the application, its result read back. The Spark
// engines (issue #15) build on this; the equivalence tests use it directly.
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Cancelled, Internal, InvalidArgument, ResourceExhausted, type ErrorDetail, type FeatureStoreError } from '../../../core/errors.js';
import type { FeatureStatistics } from '../../../core/model.js';
import type { Plan } from '../../../core/plans.js';

/** The runner spark-submit starts: one Python file, no build step. */
export const SPARK_RUNNER = join(dirname(fileURLToPath(import.meta.url)), 'job', 'runner.py');

export interface SparkSubmitSettings {
  /** The spark-submit executable (scripts/services/spark.sh installs one). */
  sparkSubmit: string;
  /** e.g. local[2]. */
  master: string;
  /** --conf entries (Hadoop settings with the spark.hadoop. prefix). Never logged: they may hold keys. */
  conf?: Record<string, string>;
  /** Extra jars (connectors), on the driver's class path: see jarArgs. */
  jars?: string[];
}

export interface SparkResult {
  files?: string[];
  rows?: number;
  /** Per feature, as the DuckDB engine computes them (computeTime is the caller's). */
  statistics?: Record<string, Omit<FeatureStatistics, 'computeTime'>>;
  /** A JSON-lines file of online-form rows (newest-per-key, reverted-keys). */
  output?: string;
  /** An ingest's counts and column notes (IngestOutput without its statistics' computeTime). */
  inputRows?: number;
  duplicateRows?: number;
  droppedColumns?: string[];
  missingColumns?: string[];
}

/** Local paths in a plan as file:// URIs (what Spark reads); URIs stay as they are. */
export const asSparkUri = (path: string) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(path) ? path : pathToFileURL(path).href);

/** Runs `plan` and returns the runner's result; a failed job throws with the runner's error. */
export async function submitPlan(s: SparkSubmitSettings, plan: Plan, workDir: string, signal?: AbortSignal): Promise<SparkResult> {
  return (await submitPlans(s, [plan], workDir, signal))[0];
}

/** Runs several plans in one Spark session (one JVM start), results in order; any failure throws. */
export async function submitPlans(s: SparkSubmitSettings, plans: Plan[], workDir: string, signal?: AbortSignal): Promise<SparkResult[]> {
  const outcomes = await runner(s, plans, workDir, signal);
  const failed = outcomes.find((o) => !o.ok);
  if (failed) throw outcomeError(failed);
  return outcomes;
}

/** Runs several plans in one Spark session; each plan's result or its error, in order (tests compare refusals too). */
export async function submitPlansSettled(
  s: SparkSubmitSettings,
  plans: Plan[],
  workDir: string,
  signal?: AbortSignal,
): Promise<(SparkResult | FeatureStoreError)[]> {
  return (await runner(s, plans, workDir, signal)).map((o) => (o.ok ? o : outcomeError(o)));
}

/** One plan's outcome as the runner writes it: a result, or a refusal (bad input) or failure. */
export type RunnerOutcome = { ok: boolean; error?: string; code?: string; field?: string; details?: ErrorDetail[] } & SparkResult;

/** A refusal of the runner as the store's error (bad input keeps its field and row details); anything else is INTERNAL. */
export function outcomeError(o: RunnerOutcome): FeatureStoreError {
  const options = { field: o.field || undefined, details: o.details ?? [] };
  switch (o.code) {
    case 'INVALID_ARGUMENT':
      return new InvalidArgument(o.error ?? 'the input does not fit', options);
    case 'RESOURCE_EXHAUSTED':
      return new ResourceExhausted(o.error ?? 'out of memory', options);
    default:
      return new Internal(`the Spark job failed: ${o.error}`);
  }
}

async function runner(s: SparkSubmitSettings, plans: Plan[], workDir: string, signal?: AbortSignal): Promise<RunnerOutcome[]> {
  const planFile = join(workDir, 'plan.json');
  const resultFile = join(workDir, 'result.json');
  await writeFile(planFile, JSON.stringify(plans));
  const args = [...jarArgs(s.jars), SPARK_RUNNER, planFile, resultFile];
  const { closed, output, stop } = startSparkSubmit(s.sparkSubmit, s.master, s.conf ?? {}, args, 8000);
  let stopping: Promise<void> | undefined;
  const onAbort = () => {
    stopping = stop();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const code = await closed;
  signal?.removeEventListener('abort', onAbort);
  if (signal?.aborted) {
    await stopping;
    throw new Cancelled('cancelled; the Spark driver was stopped');
  }
  const outcomes = await readFile(resultFile, 'utf8').then(
    (t) => JSON.parse(t) as RunnerOutcome[],
    () => undefined,
  );
  if (!outcomes) throw new Internal(`spark-submit exited ${code} without a result: ${output().split('\n').slice(-20).join('\n')}`);
  return outcomes;
}

/**
 * Jars for a local master, as a pod's image has them: on the driver's class path (with master
 * local[N] the driver runs the tasks too). Not --jars: that copies each jar to every run's own
 * folder (the AWS SDK bundle is 640 MB) and makes spark-submit open file:// before the session's
 * settings exist, so Hadoop caches a checksumming local file system and .crc files appear.
 */
export function jarArgs(jars: string[] | undefined): string[] {
  return jars?.length ? ['--driver-class-path', jars.join(':')] : [];
}

/**
 * Starts spark-submit (master, --conf entries, then `args`: the application and its arguments) with
 * the Python beside it for the driver. `output` is the last `keep` characters it printed: the Python
 * driver's own lines reach spark-submit's stdout (PythonRunner redirects them), Spark's logs its
 * stderr. `closed` resolves with the exit code once both are drained ('close', not 'exit': the
 * driver's last lines may still be in the pipe at exit). It runs in its own process group, so
 * `stop` ends the JVM and the Python driver it started together, and resolves once none is left.
 * `env` adds to this process's environment (a driver's variables from its spec).
 */
export function startSparkSubmit(
  sparkSubmit: string,
  master: string,
  conf: Record<string, string>,
  args: string[],
  keep: number,
  env: Record<string, string> = {},
) {
  const python = join(dirname(sparkSubmit), 'python3');
  const child = spawn(sparkSubmit, ['--master', master, ...Object.entries(conf).flatMap(([k, v]) => ['--conf', `${k}=${v}`]), ...args], {
    env: { ...process.env, ...env, PYSPARK_PYTHON: python, PYSPARK_DRIVER_PYTHON: python },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let tail = '';
  const take = (d: Buffer) => (tail = (tail + d.toString()).slice(-keep));
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
  return { child, closed, output: () => tail, stop: () => stopGroup(child.pid) };
}

/** SIGTERM to the process group, SIGKILL after `graceMs`; resolves when no process of it is left. */
async function stopGroup(pid: number | undefined, graceMs = 5000): Promise<void> {
  if (pid === undefined) return;
  const signal = (name: NodeJS.Signals | 0) => {
    try {
      process.kill(-pid, name);
      return true;
    } catch {
      return false; // ESRCH: the group is empty
    }
  };
  if (!signal('SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (signal(0)) {
    if (Date.now() > deadline) signal('SIGKILL');
    await new Promise((r) => setTimeout(r, 50));
  }
}

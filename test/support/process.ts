import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { safeJson } from '../../dev/local-knative/local-knative.js';

export { safeJson };

export const REPO = new URL('../../', import.meta.url).pathname;

export interface Spawned {
  child: ChildProcess;
  port: number;
  lines: string[];
  exited: Promise<number | null>;
}

/** Starts a function's main module as its own process and waits for its "listening" log line. */
export function spawnFunction(entry: string, env: Record<string, string>, timeoutMs = 30_000, preload: string[] = []): Promise<Spawned> {
  return spawnListening(
    process.execPath,
    ['--import', 'tsx', ...preload.flatMap((p) => ['--import', p]), entry],
    { ...process.env, PORT: '0', FEATURESTORE_BIND: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    timeoutMs,
  );
}

/** Runs a command that starts a function (any launcher) and waits for its "listening" log line. */
export async function spawnListening(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<Spawned> {
  const what = [command, ...args].join(' ');
  const child = spawn(command, args, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  createInterface({ input: child.stderr }).on('line', (l) => lines.push(l));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // never left running behind a failed test
      reject(new Error(`${what} did not start in ${timeoutMs} ms:\n${lines.join('\n')}`));
    }, timeoutMs);
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      const entryLog = safeJson(line);
      if (typeof entryLog?.['port'] === 'number' && String(entryLog['msg']).endsWith('listening')) {
        clearTimeout(timer);
        resolve(entryLog['port']);
      }
    });
    void exited.then((code) => reject(new Error(`${what} exited with ${code}:\n${lines.join('\n')}`)));
  });
  return { child, port, lines, exited };
}

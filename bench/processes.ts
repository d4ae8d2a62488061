// The benchmarks' own processes: a bundle of dist/ on a free port (killed when the benchmark exits),
// and a fresh catalog database on the benchmarks' PostgreSQL.
import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { freePort, REPO } from './report.js';

const { NODE_EXTRA_CA_CERTS: _ca, ...env } = process.env;
const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

/** `node <args>` (a bundle of dist/, or a script) with PORT set to a free port and `extra` in its environment. */
export async function startProcess(args: string[], extra: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, args, { cwd: REPO, env: { ...env, PORT: String(port), ...extra }, stdio: ['ignore', 'inherit', 'inherit'] });
  children.push(child);
  return { child, port };
}

/** Every process startProcess started. */
export const startedProcesses = (): readonly ChildProcess[] => children;

/** A new database named `<prefix>_<now>` on FEATURESTORE_TEST_POSTGRES_URL (what `make bench` starts), and how to drop it. */
export async function catalogDatabase(prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = process.env['FEATURESTORE_TEST_POSTGRES_URL'];
  if (!admin) throw new Error('FEATURESTORE_TEST_POSTGRES_URL is not set: run it with `make bench` (it starts PostgreSQL)');
  const database = `${prefix}_${Date.now()}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${database}`);
  return {
    url: Object.assign(new URL(admin), { pathname: `/${database}` }).toString(),
    async drop() {
      await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await client.end();
    },
  };
}

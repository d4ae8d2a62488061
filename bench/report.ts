import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const REPO = new URL('..', import.meta.url).pathname;

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function machine(): string {
  const cpu = cpus();
  return `${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}, Node ${process.version}`;
}

/** Replaces (or appends) one benchmark's section of BENCHMARKS.md, keeping the others. */
export function writeSection(name: string, body: string): void {
  const file = join(REPO, 'BENCHMARKS.md');
  const header =
    '# Benchmarks\n\nWritten by `make bench`; each section is replaced when its benchmark runs again. Machines here are noisy: figures are medians of several runs.\n';
  let text = existsSync(file) ? readFileSync(file, 'utf8') : header;
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const section = `${begin}\n${body.trim()}\n${end}`;
  const start = text.indexOf(begin);
  text = start >= 0 ? text.slice(0, start) + section + text.slice(text.indexOf(end) + end.length) : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, text.endsWith('\n') ? text : `${text}\n`);
}

/** A port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Retries `probe` every 100 ms until it resolves (a server starting), for up to 30 s. */
export async function untilServing(probe: () => Promise<unknown>): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await probe();
      return;
    } catch (err) {
      if (i > 300) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

// The ObjectStore contract, run against local files, MinIO (S3) and Azurite (ADLS Gen2).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { InvalidArgument, NotFound } from '../../shared/core/errors.js';
import type { ObjectStore } from '../../shared/core/ports/object-store.js';

const MiB = 1024 * 1024;

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A deterministic stream of `size` bytes made chunk by chunk, never held whole. */
function generated(size: number, seed: string, failAfter?: number): { stream: Readable; sha256: Promise<string> } {
  const hash = createHash('sha256');
  let sent = 0;
  let counter = 0;
  let resolve!: (v: string) => void;
  const sha256 = new Promise<string>((r) => (resolve = r));
  const stream = new Readable({
    read() {
      if (failAfter !== undefined && sent >= failAfter) {
        this.destroy(new Error('source failed midway'));
        return;
      }
      if (sent >= size) {
        resolve(hash.digest('hex'));
        this.push(null);
        return;
      }
      const n = Math.min(256 * 1024, size - sent);
      const chunk = Buffer.alloc(n);
      createHash('sha256').update(`${seed}:${counter++}`).digest().copy(chunk);
      chunk.fill(counter % 251, 32);
      hash.update(chunk);
      sent += n;
      this.push(chunk);
    },
  });
  return { stream, sha256 };
}

async function sha256Of(stream: Readable): Promise<{ hex: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const c of stream) {
    hash.update(c as Buffer);
    size += (c as Buffer).length;
  }
  return { hex: hash.digest('hex'), size };
}

export function objectStoreContract(name: string, open: () => Promise<ObjectStore>, fetchUrl: (url: string) => Promise<Buffer>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let store: ObjectStore;
    before(async () => {
      store = await open();
    });
    after(async () => {
      await store.close();
    });

    it('puts, heads, gets and overwrites small objects', async () => {
      const info = await store.put('small/a.txt', Buffer.from('hello'));
      assert.deepEqual([info.key, info.size], ['small/a.txt', 5]);
      assert.equal((await collect(await store.get('small/a.txt'))).toString(), 'hello');
      assert.equal((await store.head('small/a.txt'))?.size, 5);
      await store.put('small/a.txt', Buffer.from('hello again'));
      assert.equal((await collect(await store.get('small/a.txt'))).toString(), 'hello again');
    });

    it('streams a 20 MiB object in and out (multipart / staged blocks) intact', async () => {
      const { stream, sha256 } = generated(20 * MiB, 'big');
      const info = await store.put('big/data.bin', stream);
      assert.equal(info.size, 20 * MiB);
      const read = await sha256Of(await store.get('big/data.bin'));
      assert.equal(read.size, 20 * MiB);
      assert.equal(read.hex, await sha256);
    });

    it('reads byte ranges', async () => {
      const bytes = randomBytes(4096);
      await store.put('range/r.bin', bytes);
      assert.deepEqual(await collect(await store.get('range/r.bin', { start: 100, end: 199 })), bytes.subarray(100, 200));
      assert.deepEqual(await collect(await store.get('range/r.bin', { start: 4000 })), bytes.subarray(4000));
      assert.deepEqual(await collect(await store.get('range/r.bin', { start: 0, end: 0 })), bytes.subarray(0, 1));
    });

    it('answers NotFound for a missing object, undefined from head, and deletes idempotently', async () => {
      await assert.rejects(store.get('missing/x'), NotFound);
      assert.equal(await store.head('missing/x'), undefined);
      await store.put('del/x', Buffer.from('x'));
      await store.delete('del/x');
      await store.delete('del/x');
      assert.equal(await store.head('del/x'), undefined);
    });

    it('lists keys under a prefix in lexicographic order, and nothing else', async () => {
      for (const k of ['ls/b/2', 'ls/a/1', 'ls/a/10', 'ls/a/9', 'lsx/other', 'ls/B']) await store.put(k, Buffer.from(k));
      const keys: string[] = [];
      for await (const o of store.list('ls/')) keys.push(o.key);
      assert.deepEqual(keys, ['ls/B', 'ls/a/1', 'ls/a/10', 'ls/a/9', 'ls/b/2']);
      const sub: Array<[string, number]> = [];
      for await (const o of store.list('ls/a/')) sub.push([o.key, o.size]);
      assert.deepEqual(sub, [
        ['ls/a/1', 6],
        ['ls/a/10', 7],
        ['ls/a/9', 6],
      ]);
      const none: string[] = [];
      for await (const o of store.list('nothing/here/')) none.push(o.key);
      assert.deepEqual(none, []);
    });

    it('leaves nothing behind when the source fails midway', async () => {
      const { stream } = generated(24 * MiB, 'fail', 12 * MiB);
      await assert.rejects(store.put('failed/data.bin', stream));
      assert.equal(await store.head('failed/data.bin'), undefined);
      const keys: string[] = [];
      for await (const o of store.list('failed/')) keys.push(o.key);
      assert.deepEqual(keys, []);
    });

    it('leaves nothing behind when the put is aborted', async () => {
      const controller = new AbortController();
      const { stream } = generated(64 * MiB, 'abort');
      setTimeout(() => controller.abort(), 50);
      await assert.rejects(store.put('aborted/data.bin', stream, controller.signal));
      assert.equal(await store.head('aborted/data.bin'), undefined);
    });

    it('gives a download link that works without credentials', async () => {
      await store.put('share/report.csv', Buffer.from('a,b\n1,2\n'));
      const url = await store.downloadUrl('share/report.csv', 300);
      assert.equal((await fetchUrl(url)).toString(), 'a,b\n1,2\n');
      assert.match(store.uri('share/report.csv'), /^(file|s3|abfss):\/\/.+share\/report\.csv$/);
    });

    it('refuses keys that could leave the root', async () => {
      for (const bad of ['../x', '/abs', 'a//b', 'a/./b', 'a/../b', '', 'a b', 'a\\b']) {
        await assert.rejects(store.put(bad, Buffer.from('x')), InvalidArgument, bad);
        await assert.rejects(store.get(bad), InvalidArgument, bad);
      }
    });
  });
}

/** Reads what a download link points at: over HTTP, or from the file system for file:// links. */
export async function fetchUrl(url: string): Promise<Buffer> {
  if (url.startsWith('file:')) return readFile(fileURLToPath(url));
  const res = await fetch(url);
  assert.equal(res.status, 200, `GET ${url}`);
  return Buffer.from(await res.arrayBuffer());
}

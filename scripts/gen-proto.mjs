// Generates shared/gen from proto/ with buf and the local ts-proto plugin (offline).
// Run by `make proto` and by npm's prepare hook, so a fresh `npm ci` leaves a usable tree.
import { execFileSync } from 'node:child_process';
import { rmSync, existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const buf = join(root, 'node_modules', '.bin', 'buf');
if (!existsSync(buf)) {
  console.error('gen-proto: node_modules/.bin/buf is missing; run `npm ci` first');
  process.exit(1);
}
rmSync(join(root, 'shared', 'gen'), { recursive: true, force: true });
execFileSync(buf, ['generate', '--template', 'buf.gen.yaml'], { cwd: join(root, 'proto'), stdio: 'inherit' });
writeFileSync(join(root, 'shared', 'gen', '.stamp'), '');

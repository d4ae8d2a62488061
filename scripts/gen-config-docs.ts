// `make docs`: writes docs/configuration.md from the config schema and its SETTING_DOCS.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configurationMarkdown } from '../shared/runtime/config.js';

const file = join(new URL('..', import.meta.url).pathname, 'docs', 'configuration.md');
writeFileSync(file, configurationMarkdown());
console.log(`wrote ${file}`);

// npm run docs: rewrites the README's command reference from the command definitions.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { grammar } from '../src/cli/main.js';
import { referenceMarkdown, withReference } from '../src/cli/reference.js';

const readme = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'README.md');
writeFileSync(readme, withReference(readFileSync(readme, 'utf8'), referenceMarkdown(grammar)));
console.log(`updated ${readme}`);

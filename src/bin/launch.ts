// The npm bin: runs the bundled CLI (../chacractl.js beside this file) with
// V8's code cache (see code-cache.ts).
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { join } from 'node:path';
import { codeCacheDir, runBundle } from './code-cache.js';

// Set by scripts/bundle.ts.
declare const __CHACRACTL_BUNDLE_HASH__: string;

const filename = join(__dirname, '..', 'chacractl.js');
const require = createRequire(filename);
const dir = codeCacheDir(process.env);
const node22 = (Module as { enableCompileCache?: (dir?: string) => unknown }).enableCompileCache;
if (dir && node22) {
  node22(dir);
  require(filename);
} else if (dir) {
  runBundle({ kind: 'npm', hash: __CHACRACTL_BUNDLE_HASH__, filename, source: () => readFileSync(filename, 'utf8'), require }, dir);
} else {
  require(filename);
}

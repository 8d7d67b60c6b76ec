// Part of npm run build: the npm bin as two CommonJS files.
//
//   dist/bundle/chacractl.js      the CLI (src/bin/chacractl.ts) bundled into one script
//   dist/bundle/bin/chacractl.js  the launcher (src/bin/launch.ts): runs it with V8's code cache (src/bin/code-cache.ts)
//
// CommonJS because, on Node 20, one CommonJS file starts faster than ES
// module chunks (the ES loader resolves and links each chunk asynchronously,
// about 10 ms for `exists`), and because esbuild keeps what the CLI imports
// lazily (each command's run code, the client, the upload engine, the server)
// in functions that run only when first used, so unused code is parsed
// lazily and never run. The dependencies (undici, busboy) stay in
// node_modules, required when first used. tsc's dist/src remains the library.
//
//   node dist/scripts/bundle.js
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The bundled CLI and its launcher in outdir (dist/bundle). */
export async function bundleCli(outdir = join(root, 'dist/bundle')): Promise<void> {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const cli = join(outdir, 'chacractl.js');
  const result = await build({
    entryPoints: [join(root, 'src/bin/chacractl.ts')],
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    outfile: cli,
    write: false,
    // version.ts reads ../../package.json beside dist/src; the bundle is elsewhere.
    define: { __CHACRACTL_VERSION__: JSON.stringify(version) },
    // version.ts reads package.json through import.meta only when the define above is absent.
    logOverride: { 'empty-import-meta': 'silent' },
    // For coverage and for test/integration/startup-loads.test.ts, which names
    // the modules a run used; like dist/src's maps, not shipped.
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
  });
  mkdirSync(outdir, { recursive: true });
  let hash = '';
  for (const out of result.outputFiles) {
    let text = out.text;
    if (out.path === cli) {
      // The launcher compiles the bundle as a function body, where a #! line is
      // a syntax error; a comment of the same length keeps the source map true.
      if (text.startsWith('#!')) text = `//${text.slice(2)}`;
      hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
    }
    writeFileSync(out.path, text);
  }
  // The package is "type": "module"; these .js files are CommonJS.
  writeFileSync(join(outdir, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
  await build({
    entryPoints: [join(root, 'src/bin/launch.ts')],
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    outfile: join(outdir, 'bin/chacractl.js'),
    banner: { js: '#!/usr/bin/env node' },
    define: { __CHACRACTL_BUNDLE_HASH__: JSON.stringify(hash) },
    legalComments: 'none',
    logLevel: 'warning',
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await bundleCli();

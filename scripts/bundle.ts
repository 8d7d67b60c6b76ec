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
// node_modules, required when first used. scripts/package.ts builds the
// single executable from the same two pieces.
//
// And the library for require(): tsc's dist/src is the library for import;
//
//   dist/cjs/index.cjs            src/index.ts bundled as one CommonJS module
//   dist/cjs/**/*.d.cts           its types: dist/src's declarations that
//                                 index.d.ts reaches, as CommonJS declarations
//
//   node dist/scripts/bundle.js
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Bundles the CLI into `outfile` as one CommonJS script, with the
 * dependencies left in node_modules (`external`) or bundled in, and returns
 * the first bytes of its sha256, by which the launcher names its code cache.
 */
export async function bundleCliScript(outfile: string, options: { external: boolean; sourcemap: boolean }): Promise<string> {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const result = await build({
    entryPoints: [join(root, 'src/bin/chacractl.ts')],
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    ...(options.external ? { packages: 'external' as const } : {}),
    outfile,
    write: false,
    // version.ts reads ../../package.json beside dist/src; the bundle is elsewhere.
    define: { __CHACRACTL_VERSION__: JSON.stringify(version) },
    // version.ts reads package.json through import.meta only when the define above is absent.
    logOverride: { 'empty-import-meta': 'silent' },
    // For coverage and for test/integration/startup-loads.test.ts, which names
    // the modules a run used; like dist/src's maps, not shipped.
    sourcemap: options.sourcemap ? 'linked' : false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  mkdirSync(dirname(outfile), { recursive: true });
  let hash = '';
  for (const out of result.outputFiles) {
    let text = out.text;
    if (out.path === outfile) {
      // The launcher compiles the bundle as a function body, where a #! line is
      // a syntax error; a comment of the same length keeps the source map true.
      if (text.startsWith('#!')) text = `//${text.slice(2)}`;
      hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
    }
    writeFileSync(out.path, text);
  }
  return hash;
}

/** Bundles a launcher (src/bin/launch*.ts) that runs the CLI bundle of that hash. */
export async function bundleLauncher(entry: string, outfile: string, hash: string): Promise<void> {
  await build({
    entryPoints: [join(root, entry)],
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    outfile,
    banner: { js: '#!/usr/bin/env node' },
    define: { __CHACRACTL_BUNDLE_HASH__: JSON.stringify(hash) },
    legalComments: 'none',
    logLevel: 'warning',
  });
}

/** The bundled CLI and its launcher in outdir (dist/bundle). */
export async function bundleCli(outdir = join(root, 'dist/bundle')): Promise<void> {
  const hash = await bundleCliScript(join(outdir, 'chacractl.js'), { external: true, sourcemap: true });
  // The package is "type": "module"; these .js files are CommonJS.
  writeFileSync(join(outdir, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
  await bundleLauncher('src/bin/launch.ts', join(outdir, 'bin/chacractl.js'), hash);
}

/**
 * The library as CommonJS, for require(): one module with the dependencies
 * left in node_modules, and declarations a CommonJS program's TypeScript
 * reads as such (a .d.ts in a "type": "module" package declares an ES module,
 * which a CommonJS file cannot require on Node 20).
 */
export async function bundleLibrary(outdir = join(root, 'dist/cjs'), types = join(root, 'dist/src')): Promise<void> {
  await build({
    entryPoints: [join(root, 'src/index.ts')],
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    outfile: join(outdir, 'index.cjs'),
    legalComments: 'none',
    logLevel: 'warning',
  });
  // The same declarations, each .d.ts as .d.cts and each relative import of
  // ./x.js as ./x.cjs, which TypeScript resolves to ./x.d.cts.
  const specifier = /(\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]*)\.js\2/g;
  const todo = [join(types, 'index.d.ts')];
  const done = new Set<string>();
  for (let file = todo.pop(); file !== undefined; file = todo.pop()) {
    if (done.has(file)) continue;
    done.add(file);
    const text = readFileSync(file, 'utf8').replace(specifier, (_all, lead: string, quote: string, path: string) => {
      todo.push(resolve(dirname(file), `${path}.d.ts`));
      return `${lead}${quote}${path}.cjs${quote}`;
    });
    const out = join(outdir, relative(types, file).replace(/\.d\.ts$/, '.d.cts'));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, text);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await bundleCli();
  await bundleLibrary();
}

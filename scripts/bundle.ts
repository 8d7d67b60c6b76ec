// Part of npm run build: the npm bin, dist/bundle/bin/chacractl.js, as one ES
// module plus chunks. With code splitting, what the CLI imports lazily (each
// command's run code, the client, the upload engine, the server) stays in its
// own chunks, loaded only when used. The dependencies (undici, busboy) stay in node_modules, as the
// library loads them. tsc's dist/src remains the library entry point.
//
//   node dist/scripts/bundle.js
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The bundled CLI: dist/bundle/bin/chacractl.js, its chunks in dist/bundle/chunks/. */
export async function bundleCli(outdir = join(root, 'dist/bundle')): Promise<void> {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  await build({
    entryPoints: [join(root, 'src/bin/chacractl.ts')],
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    outdir,
    entryNames: 'bin/[name]',
    chunkNames: 'chunks/[name]-[hash]',
    // version.ts reads ../../package.json beside dist/src; the bundle is elsewhere.
    define: { __CHACRACTL_VERSION__: JSON.stringify(version) },
    // For coverage and for test/integration/startup-loads.test.ts, which maps
    // each loaded chunk to its modules; like dist/src's maps, not shipped.
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await bundleCli();

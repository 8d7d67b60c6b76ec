// npm run package: a single chacractl executable that needs no Node.js
// install: the CLI bundled into one CommonJS script and injected, as a Node
// single-executable-application blob, into a copy of this machine's node.
//
//   node dist/scripts/package.js [OUTPUT]     (default dist/sea/chacractl-linux-<arch>)
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { inject } from 'postject';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export async function packageExecutable(output = join(root, 'dist/sea', `chacractl-${process.platform}-${process.arch}`)): Promise<string> {
  const work = dirname(output);
  mkdirSync(work, { recursive: true });
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  // The CLI, everything bundled in, is an asset that the main script, the
  // launcher, compiles with a code cache of its own (src/bin/launch-sea.ts).
  const bundle = join(work, 'chacractl.js');
  const cli = await build({
    entryPoints: [join(root, 'src/bin/chacractl.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: bundle,
    write: false,
    define: { __CHACRACTL_VERSION__: JSON.stringify(version) },
    // version.ts reads package.json through import.meta only when the define above is absent.
    logOverride: { 'empty-import-meta': 'silent' },
    legalComments: 'none',
    logLevel: 'warning',
  });
  // Compiled as a function body, where a #! line is a syntax error.
  const text = cli.outputFiles[0]!.text.replace(/^#!/, '//');
  writeFileSync(bundle, text);
  const launcher = join(work, 'launch.cjs');
  await build({
    entryPoints: [join(root, 'src/bin/launch-sea.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: launcher,
    define: { __CHACRACTL_BUNDLE_HASH__: JSON.stringify(createHash('sha256').update(text).digest('hex').slice(0, 16)) },
    legalComments: 'none',
    logLevel: 'warning',
  });
  const blob = join(work, 'chacractl.blob');
  const config = join(work, 'sea-config.json');
  writeFileSync(
    config,
    JSON.stringify({ main: launcher, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true, assets: { 'chacractl.js': bundle } }),
  );
  execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'inherit' });
  copyFileSync(process.execPath, output);
  chmodSync(output, 0o755);
  await inject(output, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2' });
  return output;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await packageExecutable(process.argv[2] ? resolve(process.argv[2]) : undefined);
  console.log(`${out} (${(statSync(out).size / 1024 / 1024).toFixed(1)} MiB)`);
}

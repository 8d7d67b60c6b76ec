// npm run package: a single chacractl executable that needs no Node.js
// install: the CLI bundled into one CommonJS script, with everything it
// uses, carried as an asset of a Node single-executable-application blob
// (injected into a copy of this machine's node) whose main script is the
// launcher that runs it with a code cache.
//
//   node dist/scripts/package.js [OUTPUT]     (default dist/sea/chacractl-linux-<arch>)
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'postject';
import { bundleCliScript, bundleLauncher } from './bundle.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export async function packageExecutable(output = join(root, 'dist/sea', `chacractl-${process.platform}-${process.arch}`)): Promise<string> {
  const work = dirname(output);
  mkdirSync(work, { recursive: true });
  // The CLI, everything bundled in, is an asset that the main script, the
  // launcher, compiles with a code cache of its own (src/bin/launch-sea.ts).
  const bundle = join(work, 'chacractl.js');
  const hash = await bundleCliScript(bundle, { external: false, sourcemap: false });
  const launcher = join(work, 'launch.cjs');
  await bundleLauncher('src/bin/launch-sea.ts', launcher, hash);
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

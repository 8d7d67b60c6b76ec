// npm run package: single chacractl executables that need no Node.js install,
// for linux-x64 and linux-arm64: the CLI bundled into one CommonJS script, with
// everything it uses, carried as an asset of a Node single-executable-application
// blob, injected into a copy of the Node.js LTS of the npm registry's
// node-linux-<arch> package (scripts/node-runtime.ts), whose main script is the
// launcher that runs it with a code cache.
//
//   node dist/scripts/package.js [PLATFORM...]   (default: both; each to dist/sea/chacractl-PLATFORM)
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'postject';
import { bundleCliScript, bundleLauncher } from './bundle.js';
import { nodeBinary, SEA_NODE, type SeaPlatform, thisPlatform } from './node-runtime.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The single executable for `platform`, written to `output`. */
export async function packageExecutable(platform: SeaPlatform = thisPlatform(), output = join(root, 'dist/sea', `chacractl-${platform}`)): Promise<string> {
  const work = join(dirname(output), `.build-${platform}`);
  mkdirSync(work, { recursive: true });
  // The CLI, everything bundled in, is an asset that the main script, the
  // launcher, compiles with a code cache of its own (src/bin/launch-sea.ts).
  const bundle = join(work, 'chacractl.js');
  const hash = await bundleCliScript(bundle, { external: false, sourcemap: false });
  const launcher = join(work, 'launch.cjs');
  await bundleLauncher('src/bin/launch-sea.ts', launcher, hash);
  // The blob's format is that of the node that makes it, so the same version
  // makes it, running here. V8's code cache is made for the CPU it runs on:
  // only a blob for this machine's platform can carry one (an arm64 executable
  // built here writes its own cache at its first run, as every build does).
  const host = thisPlatform();
  if (SEA_NODE[host].version !== SEA_NODE[platform].version) throw new Error(`the node of ${host} and that of ${platform} must be the same version`);
  const blob = join(work, 'chacractl.blob');
  const config = join(work, 'sea-config.json');
  writeFileSync(
    config,
    JSON.stringify({
      main: launcher,
      output: blob,
      disableExperimentalSEAWarning: true,
      useCodeCache: platform === host,
      assets: { 'chacractl.js': bundle },
    }),
  );
  // Its one line ("Wrote single executable preparation blob") is noise; a failure's words are in the error thrown.
  execFileSync(nodeBinary(SEA_NODE[host]), ['--experimental-sea-config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  copyFileSync(nodeBinary(SEA_NODE[platform]), output);
  chmodSync(output, 0o755);
  await quietly(() => inject(output, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2' }));
  return output;
}

/**
 * postject's LIEF, writing the ELF back, warns "Can't find string offset for
 * section name" for each note section it adds: the new notes (the blob is
 * one, found by its PT_NOTE segment, never by section name) get section
 * headers whose names are not in the section-name string table, so tools
 * show them unnamed. Harmless (lief-project/LIEF#816, nodejs/postject#83),
 * and nothing a user can act on; every other message still gets through.
 * LIEF prints through emscripten's stderr, which is console.warn as it is
 * when the module loads, within inject().
 */
async function quietly<T>(run: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (args.length === 1 && typeof args[0] === 'string' && /^warning: Can't find string offset for section name '[^']*'$/.test(args[0])) return;
    warn(...args);
  };
  try {
    return await run();
  } finally {
    console.warn = warn;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const platforms = process.argv.length > 2 ? process.argv.slice(2) : Object.keys(SEA_NODE);
  for (const platform of platforms) {
    if (!(platform in SEA_NODE)) throw new Error(`unknown platform ${platform}: ${Object.keys(SEA_NODE).join(' or ')}`);
    const out = await packageExecutable(platform as SeaPlatform);
    console.log(`${out} (Node.js ${SEA_NODE[platform as SeaPlatform].version}, ${(statSync(out).size / 1024 / 1024).toFixed(1)} MiB)`);
  }
}

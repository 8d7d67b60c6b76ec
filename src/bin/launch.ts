// The npm bin: starts the bundled CLI (../chacractl.js beside this file) with
// V8's code cache, so that a build script calling `chacractl exists` in a loop
// does not compile the same JavaScript in every process. Node 22 has this
// built in (module.enableCompileCache); on Node 20 the cache is a file per
// bundle, produced once after a run and read by every later run.
//
// The cache is an optimisation only: any failure (no home, a read-only disk,
// a cache V8 rejects) falls back to a plain require of the bundle.
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

// Set by scripts/bundle.ts: the first bytes of the bundle's sha256. V8 checks
// only the source's length against a cache, so the name must tell bundles apart.
declare const __CHACRACTL_BUNDLE_HASH__: string;

const bundle = join(__dirname, '..', 'chacractl.js');

function cacheDir(env: NodeJS.ProcessEnv): string | undefined {
  // The variable that turns Node's own compile cache off turns this one off too.
  // Under coverage (NODE_V8_COVERAGE) the bundle must be an ordinary module.
  if (env.NODE_DISABLE_COMPILE_CACHE || env.NODE_V8_COVERAGE) return undefined;
  const base = env.XDG_CACHE_HOME || (env.HOME ? join(env.HOME, '.cache') : undefined);
  return base ? join(base, 'chacractl') : undefined;
}

function runCached(dir: string): boolean {
  const name = `code-${__CHACRACTL_BUNDLE_HASH__}-${process.version}-${process.arch}.bin`;
  const file = join(dir, name);
  let source: string;
  try {
    source = readFileSync(bundle, 'utf8');
  } catch {
    return false;
  }
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(file);
  } catch {}
  const script = new Script(Module.wrap(source), { filename: bundle, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    // After the run, when the functions it used are compiled and so in the cache.
    process.once('exit', () => {
      try {
        mkdirSync(dir, { recursive: true });
        // Concurrent runs each write their own file; the rename makes one whole file win.
        const temp = `${file}.${process.pid}`;
        const fd = openSync(temp, 'w', 0o644);
        try {
          writeSync(fd, script.createCachedData());
        } finally {
          closeSync(fd);
        }
        renameSync(temp, file);
        // Earlier bundles' caches for this node are of no more use.
        const suffix = `-${process.version}-${process.arch}.bin`;
        for (const old of readdirSync(dir)) if (old.startsWith('code-') && old.endsWith(suffix) && old !== name) rmSync(join(dir, old), { force: true });
      } catch {}
    });
  }
  const module = new Module(bundle);
  module.filename = bundle;
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(module.exports, module.exports, createRequire(bundle), module, bundle, dirname(bundle));
  return true;
}

const node22 = (Module as { enableCompileCache?: (dir?: string) => unknown }).enableCompileCache;
const dir = cacheDir(process.env);
if (dir && node22) {
  node22(dir);
  createRequire(bundle)(bundle);
} else if (!dir || !runCached(dir)) {
  createRequire(bundle)(bundle);
}

// Runs the bundled CLI with V8's code cache, so that a build script calling
// `chacractl exists` in a loop does not compile the same JavaScript in every
// process. Node 22 has this built in (module.enableCompileCache); on Node 20
// the cache is a file per bundle and command, produced after a run (when the
// functions the run used are compiled, and so in it) and read by every later
// run of that command. Per command, because a cache holds only what its run
// compiled: the one of a `--version` would leave `exists` compiling.
//
// The cache is an optimisation only: any failure (no home, a read-only disk,
// a cache V8 rejects) leaves a plain compile.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

export interface Bundle {
  /** Which launcher: the npm bin and the single executable keep apart caches. */
  kind: 'npm' | 'sea';
  /** The first bytes of the bundle's sha256: V8 checks only a source's length against a cache. */
  hash: string;
  filename: string;
  source(): string;
  require: NodeJS.Require;
}

/** Where the cache lives, or undefined when it is off. */
export function codeCacheDir(env: NodeJS.ProcessEnv): string | undefined {
  // The variable that turns Node's own compile cache off turns this one off too.
  // Under coverage (NODE_V8_COVERAGE) the bundle must be compiled as usual.
  if (env.NODE_DISABLE_COMPILE_CACHE || env.NODE_V8_COVERAGE) return undefined;
  const base = env.XDG_CACHE_HOME || (env.HOME ? join(env.HOME, '.cache') : undefined);
  return base ? join(base, 'chacractl') : undefined;
}

/** Compiles and runs the bundle as a CommonJS module, with the cache in dir if given. */
export function runBundle(bundle: Bundle, dir: string | undefined): void {
  const prefix = `${bundle.kind}-`;
  const suffix = `-${process.version}-${process.arch}.bin`;
  const name = `${prefix}${bundle.hash}-${commandWord(process.argv.slice(2))}${suffix}`;
  const file = dir && join(dir, name);
  let cachedData: Buffer | undefined;
  if (file)
    try {
      cachedData = readFileSync(file);
    } catch {}
  const script = new Script(Module.wrap(bundle.source()), { filename: bundle.filename, cachedData });
  if (dir && file && (cachedData === undefined || script.cachedDataRejected))
    process.once('exit', () => {
      // Concurrent runs each write their own file; the rename makes one whole file win.
      const temp = `${file}.${process.pid}`;
      try {
        mkdirSync(dir, { recursive: true });
        writeFileSync(temp, script.createCachedData(), { mode: 0o644 });
        renameSync(temp, file);
        // Earlier bundles' caches for this node are of no more use.
        for (const old of readdirSync(dir))
          if (old.startsWith(prefix) && old.endsWith(suffix) && !old.startsWith(`${prefix}${bundle.hash}-`)) rmSync(join(dir, old), { force: true });
      } catch {
        try {
          rmSync(temp, { force: true });
        } catch {}
      }
    });
  const module = new Module(bundle.filename);
  module.filename = bundle.filename;
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(module.exports, module.exports, bundle.require, module, bundle.filename, dirname(bundle.filename));
}

/**
 * The command a run names, as the cache's key: the first word that looks like
 * one. Without the grammar this may be an option's value (`--log debug`):
 * that only gives a cache of its own.
 */
export function commandWord(args: readonly string[]): string {
  return args.find((a) => /^[a-z][a-z-]{0,30}$/.test(a)) ?? 'none';
}

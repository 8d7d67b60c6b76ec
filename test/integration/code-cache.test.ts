// The npm bin keeps V8's code cache of the bundle in $XDG_CACHE_HOME/chacractl
// (else ~/.cache/chacractl), one per command: written after the command's
// first run, read by the later ones, rewritten when V8 rejects it, never in
// the way of a run.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli, tempDir } from '../helpers/env.js';

// Coverage makes the launcher require the bundle plainly; these runs are without it.
const noCoverage = { NODE_V8_COVERAGE: '' };

// Node 22 and later have a compile cache of their own (module.enableCompileCache),
// which the launcher turns on in the same directory in place of its files.
const ownCache =
  typeof (Module as { enableCompileCache?: unknown }).enableCompileCache === 'function' && 'Node 22 and later keep their own compile cache instead';

function cacheFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith('npm-')) : [];
}

test('the first run writes the code cache, later runs use it as it is', { skip: ownCache }, async (t) => {
  const home = tempDir();
  t.after(() => home.cleanup());
  const dir = join(home.path, '.cache', 'chacractl');
  const first = await runCli(['--help'], { home: home.path, env: noCoverage });
  assert.equal(first.code, 0, first.stderr);
  const [file, ...others] = cacheFiles(dir);
  assert.ok(file, 'a cache file');
  assert.deepEqual(others, []);
  assert.match(file, new RegExp(`^npm-[0-9a-f]{16}-none-${process.version}-${process.arch}\\.bin$`));
  const before = statSync(join(dir, file));
  assert.ok(before.size > 10_000, `a cache of the bundle's code, not ${before.size} bytes`);

  const second = await runCli(['--help'], { home: home.path, env: noCoverage });
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stdout, first.stdout);
  // An accepted cache is not written again: the same file, not a renamed new one.
  const after = statSync(join(dir, file));
  assert.equal(after.ino, before.ino);
  assert.equal(after.mtimeMs, before.mtimeMs);
});

test('a damaged cache is replaced, and a stale one of another build removed', { skip: ownCache }, async (t) => {
  const home = tempDir();
  t.after(() => home.cleanup());
  const dir = join(home.path, '.cache', 'chacractl');
  await runCli(['--version'], { home: home.path, env: noCoverage });
  const [file] = cacheFiles(dir);
  assert.ok(file);
  const damaged = Buffer.alloc(statSync(join(dir, file)).size, 0x5a);
  writeFileSync(join(dir, file), damaged);
  const stale = `npm-0000000000000000-none-${process.version}-${process.arch}.bin`;
  writeFileSync(join(dir, stale), 'old');
  const other = `npm-0000000000000000-none-v0.0.0-${process.arch}.bin`;
  writeFileSync(join(dir, other), 'another node');

  const r = await runCli(['--version'], { home: home.path, env: noCoverage });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\d+\.\d+\.\d+/);
  assert.deepEqual(cacheFiles(dir).sort(), [file, other].sort());
  assert.notDeepEqual(readFileSync(join(dir, file)), damaged, 'the rejected cache was written anew');
});

test('each command has its own cache: a --version run leaves exists its own', { skip: ownCache }, async (t) => {
  const home = tempDir();
  t.after(() => home.cleanup());
  const dir = join(home.path, '.cache', 'chacractl');
  await runCli(['--version'], { home: home.path, env: noCoverage });
  // Nothing listens on port 9: exists fails, having run its code all the same.
  const r = await runCli(['--url', 'http://127.0.0.1:9', 'exists', 'binaries/p'], { home: home.path, env: noCoverage });
  assert.equal(r.code, 3, r.stderr);
  assert.deepEqual(
    cacheFiles(dir)
      .map((f) => f.split('-')[2])
      .sort(),
    ['exists', 'none'],
  );
});

test('XDG_CACHE_HOME is honoured; NODE_DISABLE_COMPILE_CACHE and an unwritable cache change nothing but speed', async (t) => {
  const home = tempDir();
  t.after(() => home.cleanup());
  const xdg = join(home.path, 'xdg');
  const r = await runCli(['--version'], { home: home.path, env: { ...noCoverage, XDG_CACHE_HOME: xdg } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(ownCache ? readdirSync(join(xdg, 'chacractl')).length : cacheFiles(join(xdg, 'chacractl')).length, 1);
  assert.equal(existsSync(join(home.path, '.cache')), false);

  const off = await runCli(['--version'], { home: home.path, env: { ...noCoverage, NODE_DISABLE_COMPILE_CACHE: '1' } });
  assert.equal(off.stdout, r.stdout);
  assert.equal(existsSync(join(home.path, '.cache')), false);

  // A file where the cache directory should be: nothing can be written there.
  mkdirSync(join(home.path, 'blocked'));
  writeFileSync(join(home.path, 'blocked', 'chacractl'), 'not a directory');
  const blocked = await runCli(['--version'], { home: home.path, env: { ...noCoverage, XDG_CACHE_HOME: join(home.path, 'blocked') } });
  assert.equal(blocked.code, 0, blocked.stderr);
  assert.equal(blocked.stdout, r.stdout);
  assert.equal(blocked.stderr, '');
});

test("on Node 22 and later, Node's compile cache is kept in the same directory", { skip: !ownCache && 'Node 20 has none' }, async (t) => {
  const home = tempDir();
  t.after(() => home.cleanup());
  const dir = join(home.path, '.cache', 'chacractl');
  const first = await runCli(['--help'], { home: home.path, env: noCoverage });
  assert.equal(first.code, 0, first.stderr);
  const [node, ...others] = readdirSync(dir);
  assert.match(node ?? '', new RegExp(`^${process.version.replace(/\./g, '\\.')}-${process.arch}-`));
  assert.deepEqual(others, []);
  const second = await runCli(['--help'], { home: home.path, env: noCoverage });
  assert.equal(second.stdout, first.stdout);
  assert.deepEqual(readdirSync(dir), [node]);
});

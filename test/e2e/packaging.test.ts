// The slow end-to-end checks of what ships: the single executable, which runs
// where no Node.js is, and the npm package as a user installs it. Run by
// `npm run test:e2e` (and CI), not by `npm test`.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir, testServer, type TempDir, type TestServer } from '../helpers/env.js';

const root = resolve(fileURLToPath(import.meta.url), '../../../..');
let server: TestServer;
let home: TempDir;

before(async () => {
  home = tempDir();
  server = await testServer();
});
after(async () => {
  await server.stop();
  home.cleanup();
});

describe('single executable', () => {
  test('runs with no Node.js on PATH, against the local server; --version matches the package', { timeout: 120_000 }, async () => {
    const dir = join(home.path, 'sea');
    mkdirSync(dir);
    const { packageExecutable } = await import('../../scripts/package.js');
    const exe = await packageExecutable(join(dir, 'build', 'chacractl'));
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    copyFileSync(exe, join(bin, 'chacractl'));
    execFileSync('chmod', ['+x', join(bin, 'chacractl')]);
    const run = (args: string[], env: Record<string, string> = {}) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolvePromise) => {
        const child = spawn(join(bin, 'chacractl'), args, { cwd: dir, env: { PATH: bin, HOME: dir, ...env } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.stdin.end();
        child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
      });
    const version = await run(['--version']);
    assert.equal(version.stdout.trim(), JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
    writeFileSync(join(dir, 'a.rpm'), 'single executable');
    const up = await run(['binary', 'create', 'sea/main/s/centos/9/x86_64', 'a.rpm'], { CHACRA_URL: server.url, CHACRA_USER: 'admin', CHACRA_KEY: 'secret' });
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /1 uploaded/);
    // The code caches written after each command's first run serve the later ones.
    const caches = readdirSync(join(dir, '.cache', 'chacractl')).sort();
    assert.deepEqual(
      caches.map((f) => /^sea-[0-9a-f]{16}-(\w+)-v\d+\.\d+\.\d+-\w+\.bin$/.exec(f)?.[1]),
      ['binary', 'none'],
    );
    const versionCache = join(dir, '.cache', 'chacractl', caches[1]!);
    const cached = statSync(versionCache);
    assert.equal((await run(['--version'])).stdout, version.stdout);
    assert.equal(statSync(versionCache).ino, cached.ino, 'the cache was accepted, not written again');
  });
});

describe('npm package', () => {
  test('holds only built JavaScript, types, README and LICENSE; npx chacractl --help works from it', { timeout: 120_000 }, async () => {
    const dir = join(home.path, 'pack');
    mkdirSync(dir);
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const [info] = JSON.parse(out) as [{ filename: string; files: { path: string }[] }];
    for (const f of info.files)
      assert.match(f.path, /^(dist\/src\/.*\.(js|d\.ts)|dist\/bundle\/.*\.js|dist\/bundle\/package\.json|README\.md|LICENSE|package\.json)$/, f.path);
    assert.ok(info.files.some((f) => f.path === 'dist/src/index.d.ts'));
    // The bin is the launcher of the CLI's bundle, both CommonJS in a "type": "module" package.
    for (const path of ['dist/bundle/bin/chacractl.js', 'dist/bundle/chacractl.js', 'dist/bundle/package.json'])
      assert.ok(
        info.files.some((f) => f.path === path),
        path,
      );
    const app = join(dir, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), '{"name":"app","version":"1.0.0","private":true}');
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, info.filename)], { cwd: app, stdio: 'ignore' });
    const help = execFileSync('npx', ['--no-install', 'chacractl', '--help'], { cwd: app, encoding: 'utf8' });
    assert.match(help, /binary create/);
    const lib = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', "import { ChacraClient, uploadBinaries } from 'chacractl'; console.log(typeof ChacraClient, typeof uploadBinaries)"],
      { cwd: app, encoding: 'utf8' },
    );
    assert.equal(lib.trim(), 'function function');
  });
});

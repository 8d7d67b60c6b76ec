// The slow end-to-end checks of what ships: the single executables, which run
// where no Node.js is, on the Node.js LTS of the npm registry's node packages
// (packaging.test.ts checks the npm package). Run by `npm run test:e2e` (and
// CI), not by `npm test`.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
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
  test('linux-x64 runs on Node.js 24 with no Node.js on PATH, against the local server; --version matches the package', { timeout: 300_000 }, async () => {
    const dir = join(home.path, 'sea');
    mkdirSync(dir);
    const { packageExecutable } = await import('../../scripts/package.js');
    const exe = await packageExecutable('linux-x64', join(dir, 'build', 'chacractl'));
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
    // The runtime it carries, as the program itself sees it (NODE_OPTIONS reaches a single executable's node).
    writeFileSync(join(dir, 'runtime.cjs'), "process.stderr.write('runtime ' + process.version + ' ' + process.arch + '\\n');");
    const runtime = await run(['--version'], { NODE_OPTIONS: `--require ${join(dir, 'runtime.cjs')}` });
    assert.match(runtime.stderr, /^runtime v24\.\d+\.\d+ x64$/m);
    const { SEA_NODE } = await import('../../scripts/node-runtime.js');
    assert.match(runtime.stderr, new RegExp(`runtime v${SEA_NODE['linux-x64'].version.replace(/\./g, '\\.')} `));
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

  test('linux-arm64 is an aarch64 executable carrying the blob (it cannot run here)', { timeout: 300_000 }, async () => {
    const { packageExecutable } = await import('../../scripts/package.js');
    const exe = await packageExecutable('linux-arm64', join(home.path, 'sea-arm64', 'chacractl'));
    const header = Buffer.alloc(20);
    const fd = openSync(exe, 'r');
    readSync(fd, header, 0, 20, 0);
    closeSync(fd);
    assert.deepEqual([...header.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], 'ELF');
    assert.equal(header[4], 2, '64-bit');
    assert.equal(header[5], 1, 'little-endian');
    assert.equal(header.readUInt16LE(18), 183, 'e_machine EM_AARCH64');
    // postject flips the fuse node checks at start-up to look for the blob; the blob names its asset.
    const bytes = readFileSync(exe);
    assert.ok(bytes.includes('NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1'), 'the fuse is set');
    assert.ok(bytes.includes('chacractl.js'), 'the blob is in');
  });
});

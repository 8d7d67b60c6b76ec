// `chacractl serve` as a process, and the README's quickstart as it is written.
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CLI, runCli, tempDir, writeFiles } from '../helpers/env.js';

const root = resolve(fileURLToPath(import.meta.url), '../../../..');

function startServe(args: string[], home: string): Promise<{ url: string; stop(): Promise<number | null> }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], {
      env: { PATH: process.env.PATH, HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const url = /^(https?:\/\/\S+)\n/.exec(out)?.[1];
      if (url)
        resolvePromise({
          url,
          stop: () =>
            new Promise((done) => {
              child.on('close', (code) => done(code));
              child.kill('SIGINT');
            }),
        });
    });
    child.on('error', reject);
    child.on('close', (code) => reject(new Error(`serve exited ${code} before listening`)));
  });
}

test('serve keeps its data across a restart, with the credentials it was given', async () => {
  const home = tempDir();
  try {
    const data = join(home.path, 'data');
    const env = (url: string) => ({ CHACRA_URL: url, CHACRA_USER: 'bot', CHACRA_KEY: 'pw' });
    const files = writeFiles(home.path, { 'kept.rpm': 1234 });
    let server = await startServe(['--data', data, '--user', 'bot', '--key', 'pw'], home.path);
    assert.equal((await runCli(['binary', 'create', 'p/main/s/centos/9/x86_64', ...files], { home: home.path, env: env(server.url) })).code, 0);
    assert.equal((await runCli(['project', 'create', 'x'], { home: home.path, env: { ...env(server.url), CHACRA_KEY: 'wrong' } })).code, 3);
    assert.equal(await server.stop(), 0);
    server = await startServe(['--data', data, '--user', 'bot', '--key', 'pw', '--fault', 'HEAD:.*:503'], home.path);
    const r = await runCli(['binary', 'show', '--json', 'p/main/s/centos/9/x86_64/kept.rpm'], { home: home.path, env: env(server.url) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).size, 1234);
    assert.equal((await runCli(['exists', '--retries', '0', 'binaries/p'], { home: home.path, env: env(server.url) })).code, 3, 'the HEAD fault answers 503');
    assert.equal(await server.stop(), 0);
    const bad = await runCli(['serve', '--fault', 'GET:x:explode'], { home: home.path });
    assert.equal(bad.code, 2);
  } finally {
    home.cleanup();
  }
});

test("the README's first command: npm run demo's script uploads, lists and builds a repo", { timeout: 60_000 }, async () => {
  const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolvePromise) => {
    execFile('bash', [join(root, 'scripts/demo.sh')], { cwd: root, timeout: 50_000 }, (err, stdout, stderr) =>
      resolvePromise({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /3 uploaded/);
  assert.match(out.stdout, /3 unchanged/);
  assert.match(out.stdout, /^ceph\/main\/1a2b3c\/centos\/9: ready \(rpm, archs x86_64\)$/m);
  assert.match(out.stdout, /baseurl=/);
});

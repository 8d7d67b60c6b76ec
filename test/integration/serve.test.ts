// `chacractl serve` as a process, and the README's quickstart as it is written.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli, serve, tempDir, writeFiles } from '../helpers/env.js';

const root = resolve(fileURLToPath(import.meta.url), '../../../..');

test('serve keeps its data across a restart, with the credentials it was given', async () => {
  const home = tempDir();
  try {
    const data = join(home.path, 'data');
    const env = (url: string) => ({ CHACRA_URL: url, CHACRA_USER: 'bot', CHACRA_KEY: 'pw' });
    const files = writeFiles(home.path, { 'kept.rpm': 1234 });
    let server = await serve(['--data', data, '--user', 'bot', '--key', 'pw'], home.path);
    assert.equal((await runCli(['binary', 'create', 'p/main/s/centos/9/x86_64', ...files], { home: home.path, env: env(server.url) })).code, 0);
    assert.equal((await runCli(['project', 'create', 'x'], { home: home.path, env: { ...env(server.url), CHACRA_KEY: 'wrong' } })).code, 3);
    assert.equal(await server.stop(), 0);
    server = await serve(['--data', data, '--user', 'bot', '--key', 'pw', '--fault', 'HEAD:.*:503'], home.path);
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

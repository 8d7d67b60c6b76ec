// What a run says, said once, and where a person reads it: a file skipped
// because it differs is named under -q; with the server down, each file is
// named once and the failure said once, in a log that holds stdout and stderr
// alike (2>&1, a CI job); an upload target that cannot make a repo is refused.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLI, runCli, serverFixture, writeFiles } from '../helpers/env.js';

const fx = serverFixture();
const env = () => ({ CHACRA_URL: fx.server.url, CHACRA_USER: 'admin', CHACRA_KEY: 'secret' });

/** The run with stdout and stderr both written to one file, as `2>&1 > log` does. */
async function intoOneLog(args: string[], extra: Record<string, string>): Promise<{ code: number | null; log: string }> {
  const path = join(fx.home.path, `log-${Math.random().toString(36).slice(2)}`);
  const fd = openSync(path, 'w');
  try {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: fx.home.path,
      env: { PATH: process.env.PATH, HOME: fx.home.path, ...extra },
      stdio: ['ignore', fd, fd],
    });
    const code = await new Promise<number | null>((done) => child.on('close', done));
    return { code, log: readFileSync(path, 'utf8') };
  } finally {
    closeSync(fd);
  }
}

test('-q names a file skipped because it differs, on its result line', async () => {
  const [a] = writeFiles(fx.home.path, { 'q1.rpm': 'one' });
  const T = 'quiet/main/s1/centos/9/x86_64';
  assert.equal((await runCli(['binary', 'create', T, a!], { home: fx.home.path, env: env() })).code, 0);
  writeFiles(fx.home.path, { 'q1.rpm': 'other contents' });
  const r = await runCli(['-q', 'binary', 'create', T, a!], { home: fx.home.path, env: env() });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 2, r.stdout);
  assert.match(lines[0]!, /^skipped +quiet\/main\/s1\/centos\/9\/x86_64\/q1\.rpm .*differs.*use --force to replace it/);
  assert.match(lines[1]!, /1 skipped \(differs\)/);
});

test('with the server down and one log for stdout and stderr: one line per file, the failure said once', async () => {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  const files = writeFiles(fx.home.path, { 'd1.rpm': 10, 'd2.rpm': 20 });
  const down = { CHACRA_URL: `http://127.0.0.1:${port}`, CHACRA_USER: 'admin', CHACRA_KEY: 'secret' };
  for (const quiet of [[], ['-q']]) {
    const { code, log } = await intoOneLog([...quiet, '--retries', '0', 'binary', 'create', 'down/main/s/centos/9/x86_64', ...files], down);
    assert.equal(code, 3, log);
    for (const name of ['d1.rpm', 'd2.rpm']) assert.equal(log.split('\n').filter((l) => l.includes(name)).length, 1, `${quiet} ${name} once:\n${log}`);
    assert.equal(log.match(/connection refused/g)?.length, 1, `the failure once:\n${log}`);
    assert.match(log, /hint: is the server running/);
  }
  // Apart (2> a file of its own), stderr still names every failed file: it is the error log.
  const apart = await runCli(['--retries', '0', 'binary', 'create', 'down/main/s/centos/9/x86_64', ...files], { home: fx.home.path, env: down });
  assert.match(apart.stderr, /d1\.rpm: not sent: the run stopped/);
  assert.match(apart.stdout, /FAILED +down\/main\/s\/centos\/9\/x86_64\/d1\.rpm .*not sent: the run stopped/);
});

test('an upload target that cannot make a usable repo is a usage error, before any request', async () => {
  const [f] = writeFiles(fx.home.path, { 'sp.rpm': 5 });
  for (const json of [false, true]) {
    const r = await runCli([...(json ? ['--json'] : []), 'binary', 'create', 'ceph/main/aaa 111/centos/9/x86_64', f!], { home: fx.home.path, env: env() });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /its sha1 "aaa 111" has a space, which cannot make a usable repo/);
    if (json) assert.equal(JSON.parse(r.stdout).error.kind, 'usage');
  }
  assert.equal(fx.server.stats.total, 0, 'nothing sent');
  assert.equal((await runCli(['project', 'create', 'my project'], { home: fx.home.path, env: env() })).code, 2);
});

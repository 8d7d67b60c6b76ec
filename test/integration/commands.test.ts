// Every command but binary create, with its exit statuses, against the local server.
import assert from 'node:assert/strict';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { runCli, tempDir, testServer, writeFiles, type TempDir, type TestServer } from '../helpers/env.js';

let server: TestServer;
/** A server whose repo worker is stopped: its repos are never built. */
let idle: TestServer;
let home: TempDir;
let n = 0;

before(async () => {
  // A fast repo worker, so that repos get built within a test.
  server = await testServer({ repoStepMs: 50 });
  idle = await testServer({ repoStepMs: 0 });
  home = tempDir();
});
after(async () => {
  await server.stop();
  await idle.stop();
  home.cleanup();
});
beforeEach(() => {
  server.faults.clear();
  server.stats.byMethod = {};
});

const env = (on = server) => ({ CHACRA_URL: on.url, CHACRA_USER: 'admin', CHACRA_KEY: 'secret' });
const cli = (args: string[], extra: { stdin?: string; env?: Record<string, string | undefined>; on?: TestServer } = {}) =>
  runCli(args, { home: home.path, env: { ...env(extra.on), ...extra.env }, stdin: extra.stdin });

/** Uploads one file and returns the repo path of its target. */
async function uploaded(ext = 'rpm', on = server): Promise<{ repo: string; target: string; name: string }> {
  const id = ++n;
  const repo = `proj${id}/main/abc${id}/centos/9`;
  const target = `${repo}/x86_64`;
  const [file] = writeFiles(home.path, { [`pkg${id}.${ext}`]: 100 + id });
  const r = await cli(['binary', 'create', target, file!], { on });
  assert.equal(r.code, 0, r.stderr);
  return { repo, target, name: `pkg${id}.${ext}` };
}

describe('exists', () => {
  test('exit 0 when found, 1 when not, 3 when the server cannot tell', async () => {
    const { target, repo } = await uploaded();
    assert.equal((await cli(['exists', `binaries/${target}`])).code, 0);
    assert.equal((await cli(['exists', `repos/${repo}`])).code, 0);
    const missing = await cli(['exists', `binaries/${target}/nope.rpm`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stdout, /does not exist/);
    server.faults.add({ method: 'HEAD', action: { kind: 'status', status: 500 } });
    const broken = await cli(['exists', '--retries', '0', `binaries/${target}`]);
    assert.equal(broken.code, 3);
    assert.match(broken.stderr, /could not tell whether/);
  });

  test('needs no credentials, and refuses paths outside binaries/ and repos/', async () => {
    const r = await cli(['exists', 'binaries/nothing'], { env: { CHACRA_USER: undefined, CHACRA_KEY: undefined } });
    assert.equal(r.code, 1);
    const bad = await cli(['exists', 'search/x']);
    assert.equal(bad.code, 2);
    assert.deepEqual(server.stats.byMethod, { HEAD: 1 });
  });
});

describe('binary delete and project create', () => {
  test('delete: 0 when deleted, a warning and 0 when gone already', async () => {
    const { target, name } = await uploaded();
    const r = await cli(['binary', 'delete', `${target}/${name}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /deleted/);
    const again = await cli(['binary', 'delete', `${target}/${name}`]);
    assert.equal(again.code, 0);
    assert.match(again.stderr, /not on the server/);
  });

  test('project create, then a warning when it exists', async () => {
    const r = await cli(['project', 'create', `newproj${++n}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /created project/);
    const again = await cli(['project', 'create', `newproj${n}`]);
    assert.equal(again.code, 0);
    assert.match(again.stderr, /exists already/);
  });
});

describe('repo commands', () => {
  test('update of a missing repo says "no such repo" at once, without retries (defect 6)', async () => {
    const r = await cli(['repo', 'update', 'nope/main/x/centos/9']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no such repo: nope\/main\/x\/centos\/9/);
    assert.deepEqual(server.stats.byMethod, { GET: 1 });
  });

  test('update, show, wait until ready, then recreate', async () => {
    const { repo } = await uploaded();
    const upd = await cli(['repo', 'update', repo]);
    assert.equal(upd.code, 0, upd.stderr);
    assert.match(upd.stdout, /update requested/);
    const waited = await cli(['repo', 'wait', '--interval', '20ms', '--timeout', '10s', repo]);
    assert.equal(waited.code, 0, waited.stderr);
    assert.match(waited.stdout, /ready/);
    const shown = await cli(['repo', 'show', '--json', repo]);
    const doc = JSON.parse(shown.stdout);
    assert.equal(doc.state, 'ready');
    assert.ok(doc.path);
    const rec = await cli(['repo', 'recreate', '--wait', '--interval', '20ms', repo]);
    assert.equal(rec.code, 0, rec.stderr);
    assert.ok(rec.stdout.startsWith(`${repo}: ready (`), rec.stdout);
  });

  test('recreate of a repo never built does what update does, and says so (defect 7)', async () => {
    const { repo } = await uploaded('rpm', idle);
    const r = await cli(['repo', 'recreate', repo], { on: idle });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /never built: asked for an update instead/);
  });

  test('set-raw works (defect 8), and a raw repo has no repo file', async () => {
    const { repo } = await uploaded();
    const r = await cli(['repo', 'set-raw', repo]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /set to raw/);
    const doc = (await (await fetch(`${server.url}/repos/${repo}/`)).json()) as { type: string };
    assert.equal(doc.type, 'raw');
    const file = await cli(['repo', 'file', repo]);
    assert.equal(file.code, 0);
    assert.match(file.stderr, /raw repo/);
  });

  test('repo file prints the yum or apt text', async () => {
    const rpm = await uploaded('rpm');
    const yum = await cli(['repo', 'file', rpm.repo]);
    assert.match(yum.stdout, /^\[proj\d+/);
    assert.match(yum.stdout, /baseurl=/);
    const deb = await uploaded('deb');
    const apt = await cli(['repo', 'file', deb.repo]);
    assert.match(apt.stdout, /^deb \[trusted=yes\] http/);
  });

  test('wait gives up at the timeout with the last state (exit 1)', async () => {
    const { repo } = await uploaded('rpm', idle);
    const r = await cli(['repo', 'wait', '--interval', '20ms', '--timeout', '150ms', repo], { on: idle });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not ready after .*last state: requested/);
  });

  test('extra: a JSON object is stored; invalid JSON is refused with exit 2 and nothing sent', async () => {
    const { repo } = await uploaded();
    const ok = await cli(['repo', 'extra', repo, '-'], { stdin: '{"version": "18.2.0"}' });
    assert.equal(ok.code, 0, ok.stderr);
    const doc = (await (await fetch(`${server.url}/repos/${repo}/`)).json()) as { extra: unknown };
    assert.deepEqual(doc.extra, { version: '18.2.0' });
    server.stats.byMethod = {};
    const bad = await cli(['repo', 'extra', repo, '-'], { stdin: '{not json' });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not valid JSON/);
    const list = await cli(['repo', 'extra', repo, '-'], { stdin: '[1]' });
    assert.equal(list.code, 2);
    assert.deepEqual(server.stats.byMethod, {});
  });

  test('delete: the repo and its binaries go; one gone already is a warning (more in delete.test)', async () => {
    const { repo, target } = await uploaded();
    const r = await cli(['repo', 'delete', repo]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await fetch(`${server.url}/binaries/${target}/`)).status, 404);
    const again = await cli(['repo', 'delete', repo]);
    assert.equal(again.code, 0);
    assert.match(again.stderr, /deleted already/);
  });
});

describe('usage, configuration and secrets', () => {
  test('an unknown command is a usage error, exit 2 (defect 10)', async () => {
    const r = await cli(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command 'frobnicate'/);
  });

  test('--help on every command, --version', async () => {
    const v = await cli(['--version']);
    assert.match(v.stdout, /^\d+\.\d+\.\d+\n$/);
    for (const words of [
      ['binary'],
      ['binary', 'create'],
      ['binary', 'delete'],
      ['project', 'create'],
      ['exists'],
      ['repo', 'update'],
      ['repo', 'recreate'],
      ['repo', 'set-raw'],
      ['repo', 'delete'],
      ['serve'],
    ]) {
      const r = await cli([...words, '--help']);
      assert.equal(r.code, 0, words.join(' '));
      assert.match(r.stdout, /Usage: chacractl/);
    }
  });

  test('first run: the template is written 0600 and the placeholder url is reported at once (defects 11, 12)', async () => {
    const fresh = tempDir();
    try {
      const r = await runCli(['exists', 'binaries/x'], { home: fresh.path });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /placeholder/);
      assert.match(r.stderr, /hint: set url = /);
      assert.equal(statSync(join(fresh.path, '.chacractl')).mode & 0o777, 0o600);
      assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
    } finally {
      fresh.cleanup();
    }
  });

  test('a malformed config file is exit 2 naming the file and line', async () => {
    const conf = join(home.path, `bad-${++n}.conf`);
    writeFileSync(conf, 'url = "http://x"\nuser = admin\n', { mode: 0o600 });
    const r = await runCli(['exists', 'binaries/x'], { home: home.path, env: { CHACRACTL_CONFIG: conf } });
    assert.equal(r.code, 2);
    assert.ok(r.stderr.includes(`${conf}:2:`), r.stderr);
  });

  test('a malformed key line is named by file and line, never quoted (the key would reach the log)', async () => {
    for (const bad of ['key = hunter22', 'key = "hunter22"x', 'key: "hunter22"', 'shaman_key = hunter22']) {
      const conf = join(home.path, `bad-${++n}.conf`);
      writeFileSync(conf, `url = "http://x"\nuser = "admin"\n${bad}\n`, { mode: 0o600 });
      const r = await runCli(['--json', 'exists', 'binaries/x'], { home: home.path, env: { CHACRACTL_CONFIG: conf } });
      assert.equal(r.code, 2, bad);
      assert.ok(r.stderr.includes(`${conf}:3:`), r.stderr);
      assert.doesNotMatch(r.stderr + r.stdout, /hunter22/, bad);
    }
  });

  test('the config file written by ceph-build scripts works as it is', async () => {
    const conf = join(home.path, '.chacractl');
    writeFileSync(conf, `url = "${server.url}"\nuser = "admin"\nkey = "secret"\nssl_verify = True\n`, { mode: 0o600 });
    const { target } = await uploaded();
    const r = await runCli(['exists', `binaries/${target}`], { home: home.path });
    assert.equal(r.code, 0, r.stderr);
  });

  test('--log error quiets everything but errors (defect 9); --log debug shows requests but never the key', async () => {
    const { repo } = await uploaded();
    const quiet = await cli(['--log', 'error', 'repo', 'recreate', repo]);
    assert.equal(quiet.stderr, '');
    const loud = await cli(['--log', 'debug', 'repo', 'update', repo], { env: { CHACRA_KEY: 'secret' } });
    assert.match(loud.stderr, /POST http:\/\/127\.0\.0\.1:\d+\/repos\/.*update\/ -> 200/);
    assert.doesNotMatch(loud.stderr + loud.stdout, /secret|YWRtaW46c2VjcmV0|authorization/i);
  });

  test('a url with a query or fragment is refused: every request would go to the root, and exists said "exists"', async () => {
    for (const url of [`${server.url}/#x`, `${server.url}/?a=1`, `${server.url}/r?a=1`]) {
      const r = await cli(['exists', 'binaries/nothing-here'], { env: { CHACRA_URL: url } });
      assert.equal(r.code, 2, `${url}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /query or fragment/);
      assert.equal(r.stdout, '');
    }
    const conf = join(home.path, `fragment-${++n}.conf`);
    writeFileSync(conf, `shaman_url = "https://shaman:hunter22@shaman.example/#x"\n`, { mode: 0o600 });
    const s = await runCli(['node', 'next'], { home: home.path, env: { CHACRACTL_CONFIG: conf } });
    assert.equal(s.code, 2, s.stderr);
    assert.match(s.stderr, /query or fragment/);
    assert.doesNotMatch(s.stderr, /hunter22/);
  });

  test('--log critical still says why a run failed: an exit status alone leaves a log without a reason', async () => {
    const closed = await runCli(['--log', 'critical', '--retries', '0', 'exists', 'binaries/x'], {
      home: home.path,
      env: { CHACRA_URL: 'http://127.0.0.1:1', CHACRA_USER: 'admin', CHACRA_KEY: 'secret' },
    });
    assert.equal(closed.code, 3);
    assert.match(closed.stderr, /\[ERROR {2}\] .*127\.0\.0\.1:1/);
    const usage = await cli(['--log', 'critical', 'repo', 'update', 'not/a/repo']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /\[ERROR {2}\] /);
    // Below errors, still nothing: no request line, no warning.
    const fine = await cli(['--log', 'critical', 'binary', 'delete', 'nothing/main/abc/centos/9/x86_64/gone.rpm']);
    assert.equal(fine.code, 0, fine.stderr);
    assert.equal(fine.stderr, '');
  });

  test('credentials in CHACRA_URL are complete settings: no template is written beside them', async () => {
    const fresh = tempDir();
    try {
      const url = server.url.replace('http://', 'http://admin:secret@');
      const r = await runCli(['project', 'create', `viaurl${++n}`], { home: fresh.path, env: { CHACRA_URL: url } });
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /template/);
      assert.equal(existsSync(join(fresh.path, '.chacractl')), false, 'no ~/.chacractl written');
    } finally {
      fresh.cleanup();
    }
  });

  test('credentials in a --url are used, and never printed', async () => {
    const { target } = await uploaded();
    const url = server.url.replace('http://', 'http://admin:secret@');
    const r = await cli(['--log', 'debug', '--url', url, 'binary', 'delete', `${target}/pkg${n}.rpm`], {
      env: { CHACRA_USER: undefined, CHACRA_KEY: undefined },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr + r.stdout, /secret/);
  });
});

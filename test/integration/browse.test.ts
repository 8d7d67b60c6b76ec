// ls, search, binary show and download, health, config, completion.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { CLI, runCli, tempDir, testServer, until, writeFiles, type TempDir, type TestServer } from '../helpers/env.js';

let server: TestServer;
let home: TempDir;
const T = 'ceph/main/1a2b3c/centos/9/x86_64';
const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('hex');

before(async () => {
  server = await testServer({ repoStepMs: 0 });
  home = tempDir();
  const src = join(home.path, 'src');
  mkdirSync(src);
  const files = writeFiles(src, { 'ceph-18.rpm': 3000, 'ceph-common-18.rpm': 5000, 'librados2-18.rpm': 700 });
  const up = await cli(['binary', 'create', T, ...files]);
  assert.equal(up.code, 0, up.stderr);
  const flavored = writeFiles(src, { 'crimson-osd.rpm': 900 });
  assert.equal((await cli(['binary', 'create', `${T}/flavors/crimson`, ...flavored])).code, 0);
});
after(async () => {
  await server.stop();
  home.cleanup();
});
beforeEach(() => server.faults.clear());

function cli(
  args: string[],
  extra: { stdin?: string; env?: Record<string, string | undefined>; cwd?: string; onSpawn?: Parameters<typeof runCli>[1]['onSpawn'] } = {},
) {
  return runCli(args, {
    home: home.path,
    env: { CHACRA_URL: server.url, CHACRA_USER: 'admin', CHACRA_KEY: 'secret', ...extra.env },
    stdin: extra.stdin,
    cwd: extra.cwd,
    onSpawn: extra.onSpawn,
  });
}

describe('ls and binary show', () => {
  test('piped: one name per line at every level', async () => {
    assert.equal((await cli(['ls'])).stdout, 'ceph\n');
    assert.equal((await cli(['ls', 'ceph/main'])).stdout, '1a2b3c\n');
    assert.equal((await cli(['ls', T])).stdout, 'ceph-18.rpm\nceph-common-18.rpm\ncrimson-osd.rpm\nlibrados2-18.rpm\n');
    assert.equal((await cli(['ls', `${T}/flavors/crimson`])).stdout, 'crimson-osd.rpm\n');
    assert.equal((await cli(['ls', '--repos', 'ceph/main/1a2b3c/centos'])).stdout, '9\n');
  });

  test('--json gives the data; a missing path is exit 1', async () => {
    const doc = JSON.parse((await cli(['ls', '--json', T])).stdout);
    assert.equal(doc.listing['ceph-18.rpm'].size, 3000);
    const missing = await cli(['ls', 'ceph/nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /binaries\/ceph\/nope does not exist/);
  });

  test("binary show prints one binary's metadata, at its flavor", async () => {
    const r = await cli(['binary', 'show', '--json', `${T}/flavors/crimson/crimson-osd.rpm`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).flavor, 'crimson');
    assert.equal((await cli(['binary', 'show', `${T}/nope.rpm`])).code, 1);
    // Names an object has of its own kind are names like any other: not there, whatever JavaScript objects inherit.
    for (const name of ['constructor', 'toString', '__proto__']) {
      const r = await cli(['binary', 'show', `${T}/${name}`]);
      assert.equal(r.code, 1, `${name}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, new RegExp(`${name}/? does not exist`));
    }
  });
});

describe('search', () => {
  test('server keys, local filters, and exit 1 with empty output when nothing matches', async () => {
    const r = await cli(['search', '--name-has', 'ceph', '--distro', 'centos']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${T}/ceph-18.rpm\n${T}/ceph-common-18.rpm\n`);
    const flavor = await cli(['search', '--flavor', 'crimson']);
    assert.equal(flavor.stdout, `${T}/flavors/crimson/crimson-osd.rpm\n`);
    const json = JSON.parse((await cli(['search', '--json', '--sha1', '1a2b3c', '--arch', 'x86_64'])).stdout);
    assert.equal(json.binaries.length, 4);
    const none = await cli(['search', '--name', 'zzz']);
    assert.equal(none.code, 1);
    assert.equal(none.stdout, '');
    assert.equal((await cli(['search'])).code, 2);
  });
});

describe('binary download', () => {
  test('one binary, then a whole target; a file already right is not fetched again', async () => {
    const out = join(home.path, 'dl1');
    mkdirSync(out);
    const one = await cli(['binary', 'download', `${T}/ceph-18.rpm`, '-o', out]);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(sha512(readFileSync(join(out, 'ceph-18.rpm'))), sha512(Buffer.alloc(3000, 'ceph-18.rpm')));
    server.stats.byMethod = {};
    const all = await cli(['binary', 'download', '--json', T, '-o', out]);
    assert.equal(all.code, 0, all.stderr);
    const doc = JSON.parse(all.stdout);
    assert.deepEqual(doc.counts, { downloaded: 2, unchanged: 1, failed: 0, interrupted: 0 });
    assert.deepEqual(server.stats.byMethod, { GET: 3 }, 'one listing, two downloads');
    assert.deepEqual(readdirSync(out).sort(), ['ceph-18.rpm', 'ceph-common-18.rpm', 'librados2-18.rpm'], 'the default flavor only');
  });

  test('a binary replaced since its first upload (the listing keeps the old size, #97) downloads and verifies', async () => {
    const t = 'replaced/main/r1/centos/9/x86_64';
    const [first] = writeFiles(home.path, { 'grown.rpm': 1000 });
    assert.equal((await cli(['binary', 'create', t, first!])).code, 0);
    writeFileSync(first!, Buffer.alloc(2500, 'bigger'));
    assert.equal((await cli(['binary', 'create', '--force', t, first!])).code, 0);
    const out = join(home.path, 'dl-replaced');
    mkdirSync(out);
    const r = await cli(['binary', 'download', '--json', `${t}/grown.rpm`, '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).files[0].size, 2500, 'the true size, from Content-Length');
    assert.equal(sha512(readFileSync(join(out, 'grown.rpm'))), sha512(Buffer.alloc(2500, 'bigger')));
    const again = await cli(['binary', 'download', '--json', `${t}/grown.rpm`, '-o', out]);
    assert.equal(JSON.parse(again.stdout).counts.unchanged, 1);
  });

  test('-o FILE names the file; the default is the current directory', async () => {
    const dir = join(home.path, 'dl2');
    mkdirSync(dir);
    assert.equal((await cli(['binary', 'download', `${T}/librados2-18.rpm`, '-o', join(dir, 'renamed.rpm')])).code, 0);
    assert.ok(existsSync(join(dir, 'renamed.rpm')));
    assert.equal((await cli(['binary', 'download', `${T}/flavors/crimson/crimson-osd.rpm`], { cwd: dir })).code, 0);
    assert.equal(statSync(join(dir, 'crimson-osd.rpm')).size, 900);
  });

  test('bytes altered on the way: rejected, nothing under the final name, exit 1', async () => {
    const dir = join(home.path, 'dl3');
    mkdirSync(dir);
    server.faults.add({ method: 'GET', path: 'ceph-common-18\\.rpm/$', action: { kind: 'corrupt-download' } });
    const r = await cli(['binary', 'download', '--retries', '1', '--retry-delay', '1ms', `${T}/ceph-common-18.rpm`, '-o', dir]);
    assert.equal(r.code, 1);
    assert.match(r.stdout + r.stderr, /sha512/);
    assert.deepEqual(readdirSync(dir), []);
  });

  test('an interrupted download leaves no file under its final name', async () => {
    const dir = join(home.path, 'dl4');
    mkdirSync(dir);
    server.faults.add({ method: 'GET', path: 'ceph-18\\.rpm/$', action: { kind: 'delay', ms: 3000 } });
    server.stats.byMethod = {};
    // Stopped while the server holds the download back: after the listing and the download's GET arrived.
    const r = await cli(['binary', 'download', `${T}/ceph-18.rpm`, '-o', dir], {
      onSpawn: (child) => void until(() => (server.stats.byMethod.GET ?? 0) >= 2).then(() => child.kill('SIGINT')),
    });
    assert.equal(r.code, 130);
    assert.deepEqual(readdirSync(dir), []);
  });

  test('a missing binary is exit 1', async () => {
    const r = await cli(['binary', 'download', `${T}/nope.rpm`, '-o', home.path]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /not on the server/);
  });
});

describe('health, config, completion', () => {
  test("health: exit 0 on chacra's 204 (#110); exit 1 with the server's own words on its 500 (#93)", async () => {
    const r = await cli(['health']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /is not healthy: it answered 500 "500 Internal Server Error"/);
    const healthy = await testServer({ repoStepMs: 60_000 });
    try {
      assert.equal((await fetch(`${healthy.url}/health/`)).status, 204);
      const ok = await cli(['health'], { env: { CHACRA_URL: healthy.url } });
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /is healthy/);
    } finally {
      await healthy.stop();
    }
  });

  test('config show says where each value came from and never prints the key', async () => {
    const conf = join(home.path, 'show.conf');
    writeFileSync(conf, 'url = "http://file.example"\nuser = "fileuser"\nkey = "topsecret-file-key"\n', { mode: 0o600 });
    const r = await runCli(['--config', conf, '--url', server.url, 'config', 'show'], { home: home.path });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /url +http:\/\/127\.0\.0\.1:\d+ +\(from flag\)/);
    assert.match(r.stdout, /user +fileuser +\(from file\)/);
    assert.match(r.stdout, /key +\(set\)/);
    const json = await runCli(['--config', conf, 'config', 'show', '--json', '--log', 'debug'], { home: home.path });
    assert.equal(JSON.parse(json.stdout).key.set, true);
    assert.doesNotMatch(r.stdout + r.stderr + json.stdout + json.stderr, /topsecret/);
  });

  test('config init writes a 0600 file that reads back, and will not overwrite without --force', async () => {
    const conf = join(home.path, 'init.conf');
    const r = await runCli(['--config', conf, 'config', 'init', '--url', server.url, '--user', 'admin', '--key', 'secret'], { home: home.path });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statSync(conf).mode & 0o777, 0o600);
    assert.equal((await runCli(['--config', conf, 'exists', `binaries/${T}`], { home: home.path })).code, 0);
    const again = await runCli(['--config', conf, 'config', 'init', '--url', 'http://x', '--user', 'u', '--key', 'k'], { home: home.path });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /not overwritten/);
    assert.equal(
      (await runCli(['--config', conf, 'config', 'init', '--force', '--url', 'http://x', '--user', 'u', '--key', 'k'], { home: home.path })).code,
      0,
    );
    assert.match(readFileSync(conf, 'utf8'), /url = "http:\/\/x"/);
  });

  test('completion scripts are valid shell and name the commands', async () => {
    const bash = await cli(['completion', 'bash']);
    assert.equal(bash.code, 0);
    execFileSync('bash', ['-n'], { input: bash.stdout });
    assert.match(bash.stdout, /binary project exists ls search repo/);
    assert.match((await cli(['completion', 'fish'])).stdout, /complete -c chacractl/);
    assert.equal((await cli(['completion', 'tcsh'])).code, 2);
  });
});

test('bash completion completes commands, options, and URL parts asked of the server', async () => {
  const bin = join(home.path, 'completion-bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'chacractl'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, { mode: 0o755 });
  const script = (await cli(['completion', 'bash'])).stdout;
  // Asynchronously: the server answering the completion's `chacractl ls` runs in this process.
  const complete = (words: string[]) =>
    new Promise<string>((resolvePromise, reject) =>
      execFile(
        'bash',
        ['-c', `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _chacractl; echo "\${COMPREPLY[*]}"`],
        { encoding: 'utf8', env: { PATH: `${bin}:${process.env.PATH}`, HOME: home.path, CHACRA_URL: server.url }, timeout: 20_000 },
        (err, stdout) => (err ? reject(err) : resolvePromise(stdout.trim())),
      ),
    );
  assert.equal(await complete(['chacractl', 'bin']), 'binary');
  assert.equal(await complete(['chacractl', 'binary', 'cr']), 'create');
  assert.match(await complete(['chacractl', 'binary', 'create', '--dr']), /--dry-run/);
  assert.equal(await complete(['chacractl', 'ls', 'ce']), 'ceph/');
  assert.equal(
    await complete(['chacractl', 'binary', 'download', 'ceph/main/1a2b3c/centos/9/x86_64/ceph-c']),
    'ceph/main/1a2b3c/centos/9/x86_64/ceph-common-18.rpm',
  );
});

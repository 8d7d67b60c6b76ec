// binary create, run as a subprocess against the local server.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CLI, runCli, serverFixture, sha512, testServer, until, writeFiles } from '../helpers/env.js';

const fixture = serverFixture();
let n = 0;
const target = () => `ceph/main/t${++n}/centos/9/x86_64`;

const env = () => ({ CHACRA_URL: fixture.server.url, CHACRA_USER: 'admin', CHACRA_KEY: 'secret' });
const cli = (args: string[], extra: { stdin?: string | Buffer; cwd?: string; env?: Record<string, string> } = {}) =>
  runCli(args, { home: fixture.home.path, env: { ...env(), ...extra.env }, stdin: extra.stdin, cwd: extra.cwd });
const listing = (t: string) =>
  fetch(`${fixture.server.url}/binaries/${t}/`).then((r) => (r.status === 404 ? {} : r.json())) as Promise<Record<string, { checksum: string; size: number }>>;

function dir(files: Record<string, number | string>): { path: string; files: string[] } {
  const path = join(fixture.home.path, `files-${++n}`);
  mkdirSync(path);
  return { path, files: writeFiles(path, files) };
}

describe('plan from one listing, verify with one more', () => {
  test('N new files cost N + 2 requests; a re-run where nothing changed costs 1 and uploads nothing', async () => {
    const t = target();
    const d = dir({ 'a.rpm': 1000, 'b.rpm': 20000, 'c.rpm': 300 });
    const first = await cli(['binary', 'create', '-j', '1', t, ...d.files]);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(fixture.server.stats.byMethod, { GET: 2, POST: 3 });
    // Defect 3: kept-alive connections, at most 2 x jobs + 1 (a lane runs ahead of its answer), not one per request.
    assert.ok(fixture.server.stats.connections <= 3, `${fixture.server.stats.connections} connections`);
    // Defect 13: each file goes with its own type, not text/plain.
    assert.deepEqual(fixture.server.stats.uploadTypes, { 'application/x-rpm': 3 });
    assert.match(first.stdout, /3 uploaded, 0 replaced, 0 unchanged/);
    const stored = await listing(t);
    assert.deepEqual(Object.keys(stored).sort(), ['a.rpm', 'b.rpm', 'c.rpm']);
    assert.equal(stored['a.rpm']!.checksum, sha512(Buffer.alloc(1000, 'a.rpm')));

    fixture.server.stats.byMethod = {};
    const again = await cli(['binary', 'create', t, ...d.files]);
    assert.equal(again.code, 0);
    assert.deepEqual(fixture.server.stats.byMethod, { GET: 1 });
    assert.match(again.stdout, /0 uploaded, 0 replaced, 3 unchanged/);
  });

  test('a file that differs is skipped with a warning (exit 0) and replaced with --force; identical ones are never re-sent', async () => {
    const t = target();
    const d = dir({ 'x.deb': 500, 'y.deb': 600 });
    assert.equal((await cli(['binary', 'create', t, ...d.files])).code, 0);
    writeFileSync(d.files[0]!, 'new contents');
    fixture.server.stats.byMethod = {};
    const skip = await cli(['binary', 'create', t, ...d.files]);
    assert.equal(skip.code, 0);
    assert.match(skip.stdout, /skipped .*x\.deb.*differs/);
    assert.deepEqual(fixture.server.stats.byMethod, { GET: 1 });
    assert.equal((await listing(t))['x.deb']!.size, 500);

    fixture.server.stats.byMethod = {};
    const force = await cli(['binary', '--force', 'create', t, ...d.files]);
    assert.equal(force.code, 0, force.stderr);
    assert.match(force.stdout, /replaced .*x\.deb/);
    assert.match(force.stdout, /1 replaced, 1 unchanged/);
    assert.deepEqual(fixture.server.stats.byMethod, { GET: 2, POST: 1 });
    // As on the real chacra, the listing keeps the size of the first upload (#97): only the sha512 tells.
    assert.deepEqual((await listing(t))['x.deb'], { ...(await listing(t))['x.deb']!, checksum: sha512('new contents'), size: 500 });

    fixture.server.stats.byMethod = {};
    const rerun = await cli(['binary', '--force', 'create', t, ...d.files]);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stdout, /0 replaced, 2 unchanged/);
    assert.deepEqual(fixture.server.stats.byMethod, { GET: 1 });
  });

  test('flavor targets are read and verified at the flavor level', async () => {
    const base = target();
    const d = dir({ 'same.rpm': 100 });
    assert.equal((await cli(['binary', 'create', base, ...d.files])).code, 0);
    writeFileSync(d.files[0]!, 'crimson build');
    const r = await cli(['binary', 'create', `${base}/flavors/crimson`, ...d.files]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /1 uploaded/);
    assert.equal((await listing(`${base}/flavors/crimson`))['same.rpm']!.checksum, sha512('crimson build'));
    assert.equal((await listing(`${base}/flavors/default`))['same.rpm']!.size, 100);
  });

  test("a default-flavor target is not fooled by another flavor's binary of the same name (#40)", async () => {
    const base = target();
    const d = dir({ 'shared-name.rpm': 300 });
    assert.equal((await cli(['binary', 'create', `${base}/flavors/crimson`, ...d.files])).code, 0);
    fixture.server.stats.byMethod = {};
    const r = await cli(['binary', 'create', base, ...d.files]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /1 uploaded/, 'same bytes in another flavor are not "unchanged" here');
    assert.deepEqual(fixture.server.stats.byMethod, { GET: 2, POST: 1 });
    assert.equal((await listing(`${base}/flavors/default`))['shared-name.rpm']!.size, 300);
    assert.equal((await listing(`${base}/flavors/crimson`))['shared-name.rpm']!.size, 300);
  });

  test('--dry-run shows the plan and sends no write', async () => {
    const t = target();
    const d = dir({ 'one.rpm': 10, 'two.rpm': 20 });
    await cli(['binary', 'create', t, d.files[0]!]);
    writeFileSync(d.files[0]!, 'changed');
    fixture.server.stats.byMethod = {};
    const r = await cli(['binary', 'create', '--dry-run', '--force', t, ...d.files]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /would replace .*one\.rpm/);
    assert.match(r.stdout, /would upload .*two\.rpm/);
    assert.deepEqual(fixture.server.stats.byMethod, { GET: 1 });
  });
});

describe('files from arguments and standard input', () => {
  test('FILE arguments are used even when stdin is not a terminal (defect 1)', async () => {
    const t = target();
    const d = dir({ 'arg.rpm': 10 });
    const r = await cli(['binary', 'create', t, d.files[0]!], { stdin: 'this is not a path\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(Object.keys(await listing(t)), ['arg.rpm']);
  });

  test('a missing FILE is an error (exit 1) after the other files are processed (defect 2)', async () => {
    const t = target();
    const d = dir({ 'ok.rpm': 10 });
    const r = await cli(['binary', 'create', t, join(d.path, 'nope.rpm'), d.files[0]!]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /MISSING .*nope\.rpm does not exist/);
    assert.deepEqual(Object.keys(await listing(t)), ['ok.rpm']);
  });

  test('stdin lists: relative paths, blank lines and directories from find; odd names', async () => {
    const t = target();
    const d = dir({ 'with space_1.0.deb': 11, 'hash#sign_1.0.deb': 12, 'pct%41_1.0.deb': 13, 'plus+sign_1.0.deb': 14, 'unicode-éè_1.0.deb': 15 });
    mkdirSync(join(d.path, 'subdir'));
    const list = ['.', 'subdir', '', ...d.files.map((f) => f.slice(d.path.length + 1)), '  ', ''].join('\n');
    const r = await cli(['binary', 'create', t], { stdin: list, cwd: d.path });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /5 uploaded/);
    const stored = await listing(t);
    assert.deepEqual(Object.keys(stored).sort(), ['hash#sign_1.0.deb', 'pct%41_1.0.deb', 'plus+sign_1.0.deb', 'unicode-éè_1.0.deb', 'with space_1.0.deb']);
    assert.equal(stored['unicode-éè_1.0.deb']!.size, 15);
  });

  test('-0 reads NUL-separated paths, so directories may hold newlines; a name with one is refused', async () => {
    const t = target();
    const odd = join(fixture.home.path, `dir\nwith newline ${++n}`);
    mkdirSync(odd);
    const files = writeFiles(odd, { 'inside.rpm': 7, 'plain.rpm': 8 });
    const r = await cli(['binary', 'create', '-0', t], { stdin: files.join('\0') + '\0' });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(Object.keys(await listing(t)).sort(), ['inside.rpm', 'plain.rpm']);
    const bad = writeFiles(odd, { 'line\nbreak.rpm': 1 });
    fixture.server.stats.byMethod = {};
    const refused = await cli(['binary', 'create', '-0', t], { stdin: bad[0] });
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /control character/);
    assert.deepEqual(fixture.server.stats.byMethod.POST ?? 0, 0);
  });

  test('a named directory is an error; empty stdin warns and uploads nothing', async () => {
    const t = target();
    const d = dir({ 'f.rpm': 3 });
    const r = await cli(['binary', 'create', t, d.path]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /FAILED .*is a directory/);
    const empty = await cli(['binary', 'create', t], { stdin: '' });
    assert.equal(empty.code, 0);
    assert.match(empty.stderr, /held no file names/);
    // find DIR lists the directory itself and its subdirectories: nothing to upload, said alike.
    const dirsOnly = await cli(['binary', 'create', t], { stdin: `${d.path}\n${d.path}/\n` });
    assert.equal(dirsOnly.code, 0, dirsOnly.stderr);
    assert.match(dirsOnly.stderr, /standard input named only directories \(2\): nothing to upload/);
  });
});

test('into a new repo the first upload goes alone: no duplicate repo records and no 500 from chacra racing itself', async () => {
  const t = target();
  const d = dir(Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`new-${i}.rpm`, 1000 + i])));
  // Slow uploads, so that concurrent ones overlap on the server as they do on a real chacra.
  fixture.server.faults.add({ method: 'POST', action: { kind: 'delay', ms: 20 } });
  const r = await cli(['--json', 'binary', 'create', '-j', '4', t, ...d.files]);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as { files: { tries: number }[] };
  assert.deepEqual(
    summary.files.map((f) => f.tries),
    Array(8).fill(1),
    'no upload failed and was retried',
  );
  assert.equal(fixture.server.stats.duplicateRepos, 0);
  assert.equal(fixture.server.stats.byMethod.POST, 8);
});

test('each file is read from disk once, hashed while it streams (defect 4)', async () => {
  const t = target();
  const size = 8 * 1024 * 1024;
  const d = dir({ 'big.rpm': size });
  const probeOut = join(fixture.home.path, `probe-${n}.json`);
  const probe = join(CLI, '../../../bench/probe.js');
  const r = await runCli(['binary', 'create', t, ...d.files], {
    home: fixture.home.path,
    env: { ...env(), CHACRA_BENCH_PROBE: probeOut, NODE_OPTIONS: `--import=${probe}` },
  });
  assert.equal(r.code, 0, r.stderr);
  const { readBytes } = JSON.parse(readFileSync(probeOut, 'utf8')) as { readBytes: number };
  // The file once, plus the program's own modules and the server's answers: far from twice.
  assert.ok(readBytes >= size && readBytes < size * 1.4, `read ${readBytes} bytes for a file of ${size}`);
});

describe('verification', () => {
  test('an upload the server stores wrongly is sent again and ends right', async () => {
    const t = target();
    const d = dir({ 'fragile.rpm': 5000, 'fine.rpm': 10 });
    fixture.server.faults.add({ method: 'POST', count: 1, action: { kind: 'corrupt-upload' } });
    fixture.server.faults.add({ method: 'POST', count: 1, action: { kind: 'truncate-upload' } });
    const r = await cli(['binary', 'create', '-j', '1', t, ...d.files]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stderr, /sending it again/);
    // One line per file, however often it was sent.
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.filter((l) => l.includes('fragile.rpm')).length, 1, r.stdout);
    assert.equal(lines.length, 3, r.stdout);
    const stored = await listing(t);
    assert.equal(stored['fine.rpm']!.checksum, sha512(Buffer.alloc(10, 'fine.rpm')));
    assert.equal(stored['fragile.rpm']!.checksum, sha512(Buffer.alloc(5000, 'fragile.rpm')));
  });

  test('a new file that stays wrong is removed from the server and reported (exit 1)', async () => {
    const t = target();
    const d = dir({ 'broken.rpm': 4000 });
    fixture.server.faults.add({ method: 'POST', action: { kind: 'corrupt-upload' } });
    const r = await cli(['binary', 'create', '--json', t, ...d.files]);
    assert.equal(r.code, 1);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.files[0].outcome, 'failed');
    assert.match(doc.files[0].message, /sha512 .*removed it from the server/);
    assert.equal(doc.files[0].tries, 3);
    assert.deepEqual(await listing(t), {});
  });
  test('after a failed upload that left other contents, nothing is overwritten without --force', async () => {
    const t = target();
    const d = dir({ 'half.rpm': 6000 });
    // The server stores half the file, then fails the request, as a backend dying mid-write would.
    fixture.server.faults.add({ method: 'POST', count: 1, action: { kind: 'truncate-upload', thenStatus: 502 } });
    const r = await cli(['binary', 'create', '--retry-delay', '1ms', t, ...d.files]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /holds other contents .*not overwritten \(use --force to replace it\)/);
    assert.ok((await listing(t))['half.rpm']!.size < 6000, 'the server kept a truncated copy');
    const forced = await cli(['binary', 'create', '--force', t, ...d.files]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal((await listing(t))['half.rpm']!.checksum, sha512(Buffer.alloc(6000, 'half.rpm')));
  });
});

describe('output', () => {
  test('--json prints one document with every outcome, size, checksum and timing', async () => {
    const t = target();
    const d = dir({ 'j1.rpm': 100, 'j2.rpm': 200 });
    const r = await cli(['binary', 'create', '--json', t, ...d.files, join(d.path, 'missing.rpm')]);
    assert.equal(r.code, 1);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.command, 'binary create');
    assert.equal(doc.ok, false);
    assert.equal(doc.exitCode, 1);
    assert.deepEqual(doc.counts, { uploaded: 2, replaced: 0, unchanged: 0, skipped: 0, failed: 0, missing: 1, interrupted: 0, planned: 0 });
    assert.equal(doc.requests, 4);
    assert.equal(doc.bytesSent, 300);
    for (const key of ['path', 'name', 'target', 'action', 'outcome', 'size', 'sha512', 'serverSha512', 'bytesSent', 'tries', 'durationMs', 'message'])
      assert.ok(key in doc.files[0], key);
    const j1 = doc.files.find((f: { name: string }) => f.name === 'j1.rpm');
    assert.equal(j1.sha512, sha512(Buffer.alloc(100, 'j1.rpm')));
    assert.equal(j1.serverSha512, j1.sha512);
    assert.equal(j1.outcome, 'uploaded');
  });

  test('not on a terminal: one line per file and a summary; --quiet keeps the summary', async () => {
    const t = target();
    const d = dir({ 'q1.rpm': 1, 'q2.rpm': 2 });
    const r = await cli(['binary', 'create', t, ...d.files]);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /^uploaded\s+ceph\/main\/t\d+\/centos\/9\/x86_64\/q[12]\.rpm\s+\d+ B/);
    assert.match(lines[2]!, /^0 uploaded|^2 uploaded, 0 replaced, 0 unchanged, 0 skipped \(differs\), 0 failed; 3 B in/);
    assert.doesNotMatch(r.stderr, /\r|\u001b\[/, 'no progress display or colour off a terminal');
    const quiet = await cli(['binary', 'create', '-q', t, ...d.files]);
    assert.deepEqual(quiet.stdout.trim().split('\n').length, 1);
    assert.match(quiet.stdout, /2 unchanged/);
  });
});

describe('failures', () => {
  test('wrong credentials stop the run with exit 3 and a hint', async () => {
    const d = dir({ 'c.rpm': 5 });
    const r = await cli(['binary', 'create', target(), ...d.files], { env: { CHACRA_KEY: 'wrong-key' } });
    assert.equal(r.code, 3);
    assert.match(r.stderr, /401/);
    assert.match(r.stderr, /hint: check the user and key: --user and --key/);
    assert.doesNotMatch(r.stdout + r.stderr, /wrong-key/);
  });

  test('an unreachable server: exit 3 and what to check', async () => {
    const d = dir({ 'c.rpm': 5 });
    const r = await cli(['binary', 'create', '--retries', '1', '--retry-delay', '10ms', target(), ...d.files], { env: { CHACRA_URL: 'http://127.0.0.1:9' } });
    assert.equal(r.code, 3);
    assert.match(r.stderr, /connection refused/);
    assert.match(r.stderr, /is the server running/);
  });

  test('transient 503s are retried; the file lands once', async () => {
    const t = target();
    const d = dir({ 'retry.rpm': 50 });
    fixture.server.faults.add({ method: 'POST', count: 2, action: { kind: 'status', status: 503, retryAfter: 0 } });
    const r = await cli(['binary', 'create', '--retry-delay', '10ms', t, ...d.files]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /503/);
    assert.equal((await listing(t))['retry.rpm']!.size, 50);
  });
});

describe('interruption', () => {
  test('SIGINT stops the run with a summary and exit 130; running it again finishes the job', async () => {
    const slow = await testServer({ delayMs: 40, workers: 2 });
    try {
      const t = target();
      const files: Record<string, number> = {};
      for (let i = 0; i < 40; i++) files[`int-${i}.rpm`] = 2000 + i;
      const d = dir(files);
      const slowEnv = { CHACRA_URL: slow.url };
      const first = await runCli(['binary', 'create', '-j', '2', t, ...d.files], {
        home: fixture.home.path,
        env: { ...env(), ...slowEnv },
        // Stopped once some files have gone, whatever the machine's speed.
        onSpawn: (child) => void until(() => (slow.stats.byMethod.POST ?? 0) >= 6).then(() => child.kill('SIGINT')),
      });
      assert.equal(first.code, 130, first.stderr);
      assert.match(first.stdout, /interrupted/);
      const partial = Object.keys(await fetch(`${slow.url}/binaries/${t}/`).then((r) => (r.status === 404 ? {} : r.json())));
      assert.ok(partial.length < 40, `some files were left (${partial.length} uploaded)`);

      const second = await runCli(['binary', 'create', '--json', t, ...d.files], { home: fixture.home.path, env: { ...env(), ...slowEnv } });
      assert.equal(second.code, 0, second.stderr);
      const doc = JSON.parse(second.stdout);
      assert.equal(doc.counts.uploaded + doc.counts.unchanged, 40);
      assert.ok(doc.counts.unchanged >= partial.length - 2, 'files finished before the interruption are not sent again');
      const final = (await fetch(`${slow.url}/binaries/${t}/`).then((r) => r.json())) as Record<string, { checksum: string }>;
      assert.equal(Object.keys(final).length, 40);
      for (const [name, size] of Object.entries(files)) assert.equal(final[name]!.checksum, sha512(Buffer.alloc(size, name)), name);
    } finally {
      await slow.stop();
    }
  });
});

// What a new user trips over (issue 11): failures named on stderr at every
// verbosity, summaries that count every file, one file named twice, where
// downloads write, and local errors that say what happened.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { describe, mock, test } from 'node:test';
import type { Io } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { ChacraClient, parseBinaryTarget, uploadBinaries } from '../../src/index.js';
import { downloadBinaries } from '../../src/operations/download.js';
import { runCli, serverFixture, sha512, writeFiles } from '../helpers/env.js';

const fixture = serverFixture();
let n = 0;
const target = () => `seen/main/t${++n}/centos/9/x86_64`;

const env = () => ({ CHACRA_URL: fixture.server.url, CHACRA_USER: 'admin', CHACRA_KEY: 'secret' });
const cli = (args: string[], extra: { cwd?: string; env?: Record<string, string> } = {}) =>
  runCli(args, { home: fixture.home.path, env: { ...env(), ...extra.env }, cwd: extra.cwd });

function dir(files: Record<string, number | string> = {}): { path: string; files: string[] } {
  const path = join(fixture.home.path, `files-${++n}`);
  mkdirSync(path);
  return { path, files: writeFiles(path, files) };
}

/** The error lines of stderr that name `what`. */
const errorsNaming = (stderr: string, what: string) => stderr.split('\n').filter((l) => l.includes('[ERROR') && l.includes(what));

/** A target on the server holding the given files; returns it. */
async function uploaded(files: Record<string, number | string>): Promise<string> {
  const t = target();
  const d = dir(files);
  const r = await cli(['binary', 'create', t, ...d.files]);
  assert.equal(r.code, 0, r.stderr);
  return t;
}

/** Streams that say they are a terminal, as a user at a shell has them; `onOut` sees each write to stdout. */
function terminalIo(onOut: (text: string) => void = () => {}): Io & { out(): string; err(): string } {
  let out = '';
  let err = '';
  const stdout = Object.assign(
    new Writable({
      write(chunk, _enc, done) {
        out += String(chunk);
        onOut(out);
        done();
      },
    }),
    { isTTY: true, columns: 100 },
  );
  const stderr = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
  stderr.on('data', (d) => (err += d));
  return {
    stdout,
    stderr,
    stdin: Object.assign(new PassThrough(), { isTTY: true }),
    env: { HOME: fixture.home.path, ...env(), TERM: 'dumb' },
    cwd: fixture.home.path,
    out: () => out,
    err: () => err,
  };
}

describe('1. every failed file is named on stderr, at every verbosity', () => {
  test('-q, stdout to a log: the missing file is named with its reason on stderr, and results stay on stdout', async () => {
    const t = target();
    const d = dir({ 'fine.rpm': 10 });
    const r = await cli(['-q', 'binary', 'create', t, 'nope.rpm', ...d.files], { cwd: d.path });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^1 uploaded, 0 replaced, 0 unchanged, 0 skipped \(differs\), 1 failed;/);
    assert.equal(r.stdout.trim().split('\n').length, 1, 'with -q, only the summary on stdout');
    assert.equal(errorsNaming(r.stderr, 'nope.rpm').length, 1, r.stderr);
    assert.match(r.stderr, /nope\.rpm does not exist/);
    assert.doesNotMatch(r.stderr, /fine\.rpm/, 'successes are not on stderr');
  });

  test('without -q and with --json: the result line or document on stdout, and the failure named once on stderr', async () => {
    const t = target();
    const plain = await cli(['binary', 'create', t, 'nope.rpm'], { cwd: fixture.home.path });
    assert.equal(plain.code, 1);
    assert.match(plain.stdout, /MISSING\s+\S+\/nope\.rpm: nope\.rpm does not exist/);
    assert.equal(errorsNaming(plain.stderr, 'nope.rpm').length, 1, plain.stderr);
    const json = await cli(['--json', 'binary', 'create', t, 'nope.rpm'], { cwd: fixture.home.path });
    assert.equal(json.code, 1);
    assert.equal(JSON.parse(json.stdout).files[0].outcome, 'missing');
    assert.equal(errorsNaming(json.stderr, 'nope.rpm').length, 1, json.stderr);
  });

  test("a file the server refuses is named by its path, not only by the request's URL", async () => {
    const d = dir({ 'refused.rpm': 20 });
    fixture.server.faults.add({ method: 'POST', action: { kind: 'status', status: 503 } });
    const r = await cli(['-q', '--retries', '0', 'binary', 'create', target(), ...d.files], { cwd: d.path });
    assert.equal(r.code, 1);
    const named = errorsNaming(r.stderr, 'refused.rpm');
    assert.equal(named.length, 1, r.stderr);
    assert.match(named[0]!, /refused\.rpm: POST .* answered 503/);
  });

  test('binary download alike: -q names the missing binary and the file in the way on stderr', async () => {
    const t = await uploaded({ 'have.rpm': 30 });
    const missing = await cli(['-q', 'binary', 'download', `${t}/nope.rpm`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stdout, /^0 downloaded, 0 unchanged, 1 failed/);
    assert.equal(errorsNaming(missing.stderr, 'nope.rpm').length, 1, missing.stderr);
    const d = dir({ 'have.rpm': 'a local file of my own' });
    const inTheWay = await cli(['-q', 'binary', 'download', `${t}/have.rpm`], { cwd: d.path });
    assert.equal(inTheWay.code, 1);
    assert.equal(errorsNaming(inTheWay.stderr, 'have.rpm').length, 1, inTheWay.stderr);
    assert.match(inTheWay.stderr, /have\.rpm exists with other contents; not overwritten \(use --force to replace it\)/);
  });

  test('on a terminal: a failure shown in its result line is not said twice; with -q, stderr names it', async () => {
    const d = dir({ 'ok.rpm': 10 });
    const io = terminalIo();
    assert.equal(await main(['binary', 'create', target(), join(d.path, 'absent.rpm'), ...d.files], io), 1);
    assert.match(io.out(), /MISSING.*absent\.rpm/);
    assert.doesNotMatch(io.err(), /absent\.rpm/, 'stdout and stderr are the same screen');
    const quiet = terminalIo();
    assert.equal(await main(['-q', 'binary', 'create', target(), join(d.path, 'absent.rpm'), ...d.files], quiet), 1);
    assert.doesNotMatch(quiet.out(), /absent\.rpm/);
    assert.equal(errorsNaming(quiet.err(), 'absent.rpm').length, 1, quiet.err());
  });

  test('interrupted: every file not uploaded is named, with "interrupted", and counted', async () => {
    const d = dir({ 'i1.rpm': 4000, 'i2.rpm': 3000, 'i3.rpm': 2000, 'i4.rpm': 1000 });
    const controller = new AbortController();
    // Stopped as the first file's result line is written: the others are in flight or not started.
    const io = terminalIo((out) => {
      if (out.includes('uploaded')) controller.abort('SIGINT');
    });
    Object.assign(io.stdout, { isTTY: false });
    Object.assign(io.stderr, { isTTY: false });
    assert.equal(await main(['-j', '1', 'binary', 'create', target(), ...d.files], io, controller.signal), 130);
    const done = io.out().match(/^uploaded\s+\S+\/i\d\.rpm/gm) ?? [];
    assert.ok(done.length >= 1, io.out());
    for (const name of ['i1.rpm', 'i2.rpm', 'i3.rpm', 'i4.rpm']) {
      if (done.some((l) => l.endsWith(name))) continue;
      const named = errorsNaming(io.err(), name);
      assert.equal(named.length, 1, `${name} named once: ${io.err()}`);
      assert.match(named[0]!, /interrupted/);
    }
    const summary = /(\d+) uploaded, .*?(\d+) interrupted/.exec(io.out());
    assert.ok(summary, io.out());
    assert.equal(Number(summary[1]) + Number(summary[2]), 4, 'every file counted');
  });
});

describe('2. summaries count every file', () => {
  test('server unreachable: the file never sent is counted as failed, listed in --json, and named', async () => {
    const d = dir({ 'good.rpm': 10 });
    const args = ['--retries', '0', '--url', 'http://127.0.0.1:1', 'binary', 'create', target(), ...d.files];
    const r = await cli(args, { cwd: d.path });
    assert.equal(r.code, 3);
    assert.match(r.stdout, /0 uploaded, 0 replaced, 0 unchanged, 0 skipped \(differs\), 1 failed/);
    assert.equal(errorsNaming(r.stderr, 'good.rpm').length, 1, r.stderr);
    const json = await cli(['--json', ...args], { cwd: d.path });
    assert.equal(json.code, 3);
    const doc = JSON.parse(json.stdout);
    assert.equal(doc.counts.failed, 1);
    assert.equal(doc.files.length, 1);
    assert.equal(doc.files[0].name, 'good.rpm');
    assert.match(doc.files[0].message, /^not sent: GET .* connection refused/);
  });

  test('credentials refused at the first upload: every file is counted and listed', async () => {
    const d = dir({ 'k1.rpm': 10, 'k2.rpm': 20, 'k3.rpm': 30 });
    const r = await cli(['--json', '-j', '1', 'binary', 'create', target(), ...d.files], { env: { CHACRA_KEY: 'wrong' } });
    assert.equal(r.code, 3);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.files.length, 3);
    assert.equal(doc.counts.failed, 3);
    for (const f of doc.files) assert.ok(f.message, `${f.name} says why`);
  });

  test('download, server unreachable: the binary asked for is counted and listed', async () => {
    const r = await cli(['--json', '--retries', '0', '--url', 'http://127.0.0.1:1', 'binary', 'download', `${target()}/x.rpm`]);
    assert.equal(r.code, 3);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(doc.counts, { downloaded: 0, unchanged: 0, failed: 1, interrupted: 0 });
    assert.equal(doc.files[0].name, 'x.rpm');
    assert.match(doc.files[0].message, /^not attempted: GET .* connection refused/);
    assert.match(r.stderr, /x\.rpm/);
  });

  test('download: a run the server stops mid-way (401 on the first binary) lists every binary of the target', async () => {
    const t = await uploaded({ 'm1.rpm': 100, 'm2.rpm': 200, 'm3.rpm': 300 });
    // Every download of the target's binaries is refused: the first stops the run.
    fixture.server.faults.add({ method: 'GET', path: '\\.rpm/$', action: { kind: 'status', status: 401 } });
    const r = await cli(['--json', '-j', '1', 'binary', 'download', t, '-o', dir().path]);
    assert.equal(r.code, 3);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.files.length, 3, 'all three listed');
    assert.equal(doc.counts.failed, 3);
  });
});

describe('5. one file named twice is one file', () => {
  test('bad/good.rpm ./bad/good.rpm: uploaded once, exit 0', async () => {
    const d = dir();
    mkdirSync(join(d.path, 'bad'));
    writeFiles(join(d.path, 'bad'), { 'good.rpm': 50 });
    const r = await cli(['--json', 'binary', 'create', target(), 'bad/good.rpm', './bad/good.rpm', `${d.path}/bad/../bad/good.rpm`], { cwd: d.path });
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.files.length, 1);
    assert.equal(doc.counts.uploaded, 1);
    assert.equal(fixture.server.stats.byMethod.POST, 1);
  });

  test('the same file by device and inode (a symlinked directory) is one file; two files of one name stay an error', async () => {
    const d = dir();
    mkdirSync(join(d.path, 'real'));
    writeFiles(join(d.path, 'real'), { 'same.rpm': 60 });
    symlinkSync(join(d.path, 'real'), join(d.path, 'link'));
    const t = target();
    const once = await cli(['--json', 'binary', 'create', t, 'real/same.rpm', 'link/same.rpm'], { cwd: d.path });
    assert.equal(once.code, 0, once.stderr);
    assert.equal(JSON.parse(once.stdout).files.length, 1);
    mkdirSync(join(d.path, 'other'));
    writeFiles(join(d.path, 'other'), { 'same.rpm': 'other contents' });
    const two = await cli(['binary', 'create', t, 'real/same.rpm', 'other/same.rpm'], { cwd: d.path });
    assert.equal(two.code, 1);
    assert.match(two.stderr, /other\/same\.rpm has the same name as real\/same\.rpm, another file/);
  });

  test('a missing file named twice is reported once', async () => {
    const r = await cli(['--json', 'binary', 'create', target(), 'gone.rpm', './gone.rpm'], { cwd: fixture.home.path });
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.stdout).files.length, 1);
  });
});

describe('6. where downloads write', () => {
  test('-o FILE that exists: unchanged when identical, kept and reported when different, replaced with --force', async () => {
    const t = await uploaded({ 'pkg.rpm': 400 });
    const d = dir();
    const out = join(d.path, 'mine.rpm');
    writeFileSync(out, 'changed here');
    const kept = await cli(['binary', 'download', `${t}/pkg.rpm`, '-o', out]);
    assert.equal(kept.code, 1);
    assert.equal(readFileSync(out, 'utf8'), 'changed here', 'a locally changed file is never overwritten silently');
    assert.match(kept.stdout, /FAILED .*mine\.rpm.*exists with other contents; not overwritten \(use --force to replace it\)/);
    assert.doesNotMatch(kept.stdout + kept.stderr, /internal error|EEXIST/);
    const forced = await cli(['binary', 'download', '--force', `${t}/pkg.rpm`, '-o', out]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(sha512(readFileSync(out)), sha512(Buffer.alloc(400, 'pkg.rpm')));
    assert.match(forced.stdout, /replaced a local file that held other contents/);
    const again = await cli(['--json', 'binary', 'download', `${t}/pkg.rpm`, '-o', out]);
    assert.equal(again.code, 0);
    assert.equal(JSON.parse(again.stdout).counts.unchanged, 1);
    assert.deepEqual(readdirSync(d.path), ['mine.rpm'], 'no temporary file left');
  });

  test('a target with -o FILE is a usage error before any request', async () => {
    const t = await uploaded({ 't1.rpm': 10, 't2.rpm': 20 });
    const d = dir({ 'afile.txt': 'x' });
    fixture.server.stats.total = 0;
    const r = await cli(['binary', 'download', t, '-o', d.files[0]!]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is not a directory: the binaries of a target are written into one/);
    assert.doesNotMatch(r.stderr, /internal error|EEXIST/);
    assert.equal(fixture.server.stats.total, 0);
  });

  test('-o - writes the binary to stdout, and no file named -', async () => {
    const t = await uploaded({ 'out.rpm': 3000, 'other.rpm': 10 });
    const d = dir();
    const r = await cli(['binary', 'download', `${t}/out.rpm`, '-o', '-'], { cwd: d.path });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sha512(Buffer.from(r.stdout, 'latin1')), sha512(Buffer.alloc(3000, 'out.rpm')));
    assert.deepEqual(readdirSync(d.path), []);
    assert.equal(r.stderr, '');
    const one = await uploaded({ 'only.rpm': 77 });
    const whole = await cli(['binary', 'download', one, '-o', '-'], { cwd: d.path });
    assert.equal(whole.code, 0, whole.stderr);
    assert.equal(whole.stdout, Buffer.alloc(77, 'only.rpm').toString());
  });

  test('-o - and a target with several binaries: usage error, exit 2, nothing on stdout', async () => {
    const t = await uploaded({ 's1.rpm': 10, 's2.rpm': 20 });
    const r = await cli(['binary', 'download', t, '-o', '-']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /holds 2 binaries, and one alone can be written to a stream/);
    assert.equal((await cli(['--json', 'binary', 'download', `${t}/s1.rpm`, '-o', '-'])).code, 2);
  });

  test('-o -: bytes altered on the way never reach stdout', async () => {
    const t = await uploaded({ 'bent.rpm': 500 });
    fixture.server.faults.add({ method: 'GET', path: 'bent\\.rpm/$', action: { kind: 'corrupt-download' } });
    const r = await cli(['--retries', '1', '--retry-delay', '1ms', 'binary', 'download', `${t}/bent.rpm`, '-o', '-']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /bent\.rpm: the download's sha512/);
  });
});

describe('7. local errors name the path and the cause, and are not retried', () => {
  test('-o under a regular file (ENOTDIR): said at once, no download fetched', async () => {
    const t = await uploaded({ 'nd.rpm': 10 });
    const d = dir({ 'plain.txt': 'x' });
    fixture.server.stats.byMethod = {};
    const r = await cli(['binary', 'download', `${t}/nd.rpm`, '-o', join(d.files[0]!, 'sub', 'nd.rpm')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot create the directory .*plain\.txt\/sub: a part of the path is not a directory \(ENOTDIR\)/);
    assert.doesNotMatch(r.stderr, /internal error|cut off|retrying/);
    assert.deepEqual(fixture.server.stats.byMethod, { GET: 1 }, 'the listing only');
  });

  test('an over-long name (ENAMETOOLONG): said at once, no download fetched, nothing left behind', async () => {
    const t = await uploaded({ 'ln.rpm': 10 });
    const d = dir();
    fixture.server.stats.byMethod = {};
    const r = await cli(['binary', 'download', `${t}/ln.rpm`, '-o', join(d.path, 'n'.repeat(300))]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot write .*nnnn: the name is too long \(ENAMETOOLONG\)/);
    assert.doesNotMatch(r.stderr, /cut off|retrying/);
    assert.deepEqual(fixture.server.stats.byMethod, { GET: 1 });
    assert.deepEqual(readdirSync(d.path), []);
  });

  test('a directory that denies writing (EACCES): where this machine has one that denies root too, /sys', async (t) => {
    // Tests run as root, for whom permission bits deny nothing; sysfs refuses new files to root as well.
    let denies = false;
    try {
      closeSync(openSync('/sys/.chacractl-probe', 'wx'));
      rmSync('/sys/.chacractl-probe', { force: true });
    } catch (err) {
      denies = (err as NodeJS.ErrnoException).code === 'EACCES';
    }
    if (!denies) return t.skip('no directory here refuses to be written to');
    const tg = await uploaded({ 'ac.rpm': 10 });
    fixture.server.stats.byMethod = {};
    const r = await cli(['binary', 'download', `${tg}/ac.rpm`, '-o', '/sys/']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot write \/sys\/ac\.rpm: permission denied \(EACCES\)/);
    assert.doesNotMatch(r.stderr, /cut off|retrying/);
    assert.deepEqual(fixture.server.stats.byMethod, { GET: 1 });
  });

  test('a disk that fills up mid-download (ENOSPC, the temporary file opened on /dev/full): fetched once, named', async (t) => {
    if (!existsSync('/dev/full')) return t.skip('no /dev/full here');
    const tg = await uploaded({ 'full.rpm': 5000 });
    const d = dir();
    const client = new ChacraClient({ url: fixture.server.url, retry: { tries: 4, baseDelayMs: 1 } });
    const realOpen = fsp.open;
    // In-process: the download's temporary file is opened on /dev/full, where every write fails with ENOSPC.
    mock.method(fsp, 'open', (path: string, flags: string, mode?: number) =>
      String(path).endsWith('.part') ? realOpen('/dev/full', 'w') : realOpen(path, flags, mode),
    );
    syncBuiltinESMExports();
    try {
      fixture.server.stats.byMethod = {};
      const summary = await downloadBinaries(client, { target: parseBinaryTarget(tg), name: 'full.rpm', dir: d.path });
      assert.equal(summary.counts.failed, 1);
      assert.match(summary.files[0]!.message ?? '', /^cannot write .*full\.rpm: no space left on the device \(ENOSPC\)$/);
      assert.deepEqual(fixture.server.stats.byMethod, { GET: 2 }, 'the listing and one download: not retried');
    } finally {
      mock.restoreAll();
      syncBuiltinESMExports();
      await client.close();
    }
  });

  test('a file that became unreadable after it was listed (here: a directory now, EISDIR) says so, is not retried', async () => {
    for (const size of [100, 2 * 1024 * 1024]) {
      const d = dir({ [`swap${size}.rpm`]: size });
      const file = d.files[0]!;
      const client = new ChacraClient({ url: fixture.server.url, user: 'admin', key: 'secret', retry: { tries: 4, baseDelayMs: 1 } });
      fixture.server.stats.byMethod = {};
      const summary = await uploadBinaries(client, [{ target: parseBinaryTarget(target()), files: [file] }], {
        // Between the plan and the upload, the file is replaced by a directory.
        onEvent: (e) => {
          if (e.type === 'planned') {
            rmSync(file);
            mkdirSync(file);
          }
        },
      });
      await client.close();
      const report = summary.files[0]!;
      assert.equal(report.outcome, 'failed');
      assert.equal(report.tries, 1, 'not retried');
      assert.match(report.message ?? '', new RegExp(`^cannot read ${file}: is a directory \\(EISDIR\\)$`));
      assert.doesNotMatch(report.message ?? '', /changed since it was listed/);
    }
  });
});

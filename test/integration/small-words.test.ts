// Signals and small words (issue 11): SIGTERM exits 143 and SIGINT 130; one
// request is "1 request"; repo wait says "ready" once; each command's help
// says what its options do for it, and lists only the global options that do
// something for it.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/io.js';
import { runCli, tempDir, testServer, writeFiles, type TempDir, type TestServer } from '../helpers/env.js';

let home: TempDir;
/** Its repo worker is stopped: a repo stays "requested", and repo wait waits until stopped. */
let idle: TestServer;
let n = 0;
before(async () => {
  home = tempDir();
  idle = await testServer({ repoStepMs: 0 });
});
after(async () => {
  await idle.stop();
  home.cleanup();
});

const env = (server: TestServer) => ({ CHACRA_URL: server.url, CHACRA_USER: 'admin', CHACRA_KEY: 'secret' });

/** Uploads one file into a repo of its own; returns the repo's path. */
async function repoWithOneFile(server: TestServer): Promise<string> {
  const id = ++n;
  const repo = `words${id}/main/s${id}/centos/9`;
  const [file] = writeFiles(home.path, { [`w${id}.rpm`]: 100 + id });
  const r = await runCli(['binary', 'create', `${repo}/x86_64`, file!], { home: home.path, env: env(server) });
  assert.equal(r.code, 0, r.stderr);
  return repo;
}

/** main() in-process, with what it printed. */
async function run(argv: string[], signal?: AbortSignal): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const io: Io = { stdout, stderr, stdin: new PassThrough(), env: { HOME: home.path, ...env(idle) }, cwd: home.path } as unknown as Io;
  const code = await main(argv, io, signal);
  return { code, out, err };
}

describe('a signal sets the exit status', () => {
  for (const [signal, code, word] of [
    ['SIGTERM', 143, 'terminated'],
    ['SIGINT', 130, 'interrupted'],
  ] as const)
    test(`${signal} stops repo wait with ${code}`, async () => {
      const repo = await repoWithOneFile(idle);
      const r = await runCli(['repo', 'wait', '--interval', '50ms', '--timeout', '5m', repo], {
        home: home.path,
        env: env(idle),
        // Signalled once it has seen the repo, not after some time.
        onSpawn: (child) => {
          let seen = '';
          child.stderr!.on('data', (d: string) => {
            seen += d;
            if (seen.includes(`${repo}: requested`)) child.kill(signal);
          });
        },
      });
      assert.equal(r.signal, null, 'it exits by itself');
      assert.equal(r.code, code, r.stderr);
      assert.match(r.stderr, new RegExp(`\\b${word}\\b`));
    });

  test('a download stopped by SIGTERM says 143 in its JSON and its status; by SIGINT, 130', async () => {
    const repo = await repoWithOneFile(idle);
    for (const [reason, code] of [
      ['SIGTERM', 143],
      ['SIGINT', 130],
    ] as const) {
      const controller = new AbortController();
      controller.abort(reason);
      const r = await run(['binary', 'download', '--json', '-o', `${home.path}/dl-${reason}/`, `${repo}/x86_64`], controller.signal);
      assert.equal(r.code, code, r.err);
      if (r.out) assert.equal(JSON.parse(r.out).exitCode, code);
    }
  });
});

describe('small words', () => {
  test('a run that costs one request says "1 request"', async () => {
    const [file] = writeFiles(home.path, { 'one.rpm': 10 });
    const target = 'single/main/s/centos/9/x86_64';
    const first = await runCli(['binary', 'create', target, file!], { home: home.path, env: env(idle) });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /, 3 requests\n$/, 'N + 2 requests for N new files');
    // Nothing changed: one listing of the target.
    const again = await runCli(['binary', 'create', target, file!], { home: home.path, env: env(idle) });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /, 1 request\n$/);
    assert.doesNotMatch(again.stdout, /\b1 requests\b/);
    const dry = await runCli(['binary', 'create', '--dry-run', target, file!], { home: home.path, env: env(idle) });
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /; 1 request, nothing written\n$/);
  });

  test('repo wait says the repo is ready once: "P: ready (...)", not "ready: P: ready (...)"', async () => {
    const repo = await repoWithOneFile(idle);
    idle.worker.drain();
    const r = await runCli(['repo', 'wait', '--interval', '20ms', repo], { home: home.path, env: env(idle) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${repo}: ready (rpm, archs x86_64)\n`);
    assert.doesNotMatch(r.stdout, /ready.*ready/);
  });

  test('repo update --wait ends with the same line', async () => {
    const server = await testServer({ repoStepMs: 20 });
    try {
      const repo = await repoWithOneFile(server);
      const r = await runCli(['repo', 'update', '--wait', '--interval', '20ms', repo], { home: home.path, env: env(server) });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${repo}: ready (rpm, archs x86_64)\n`);
    } finally {
      await server.stop();
    }
  });

  test('binary download --help says -j is downloads at once; binary create --help, uploads', async () => {
    const download = await run(['binary', 'download', '--help']);
    assert.equal(download.code, 0);
    assert.match(download.out, /--jobs N +downloads at once/);
    assert.doesNotMatch(download.out, /uploads at once/);
    const create = await run(['binary', 'create', '--help']);
    assert.match(create.out, /--jobs N +uploads at once/);
  });

  test('serve --help lists only the global options that do something for serve', async () => {
    const { code, out } = await run(['serve', '--help']);
    assert.equal(code, 0);
    const globals = out.slice(out.indexOf('Global options:'), out.indexOf('Examples:'));
    for (const o of ['--user', '--key', '--log', '--quiet', '--help', '--version']) assert.ok(globals.includes(o), `${o} in serve --help`);
    for (const o of ['--url', '--config', '--insecure', '--ca', '--json', '--timeout', '--retries', '--retry-delay'])
      assert.ok(!out.includes(`${o} `), `${o} is not in serve --help`);
    assert.match(globals, /--user USER +the user that clients must give \(default admin\)/);
    // Other commands still list them all.
    const create = await run(['binary', 'create', '--help']);
    for (const o of ['--url', '--insecure', '--retries', '--json']) assert.ok(create.out.includes(o), `${o} in binary create --help`);
  });
});

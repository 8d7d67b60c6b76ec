// The --json contract: every command, on success and on failure, prints
// exactly one JSON document on stdout, whose exitCode is the process's, and
// which its schema (schemas/v1/COMMAND.json, shipped in the package) accepts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { startPool, type RunningPool } from '../../src/server/pool.js';
import { grammar } from '../../src/cli/main.js';
import { CLI, runCli, tempDir, testServer, writeFiles, type CliResult, type TempDir, type TestServer } from '../helpers/env.js';

const SCHEMAS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../schemas/v1');

/** Every schema of the package, compiled: one per command, and the shared ones they refer to. */
function loadSchemas(): Map<string, ValidateFunction> {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
  const files = readdirSync(SCHEMAS).filter((f) => f.endsWith('.json'));
  for (const f of files) ajv.addSchema(JSON.parse(readFileSync(join(SCHEMAS, f), 'utf8')) as object);
  return new Map(files.map((f) => [f.replace(/\.json$/, ''), ajv.getSchema(`https://unpkg.com/chacractl/schemas/v1/${f}`)!]));
}

const validators = loadSchemas();
/** The commands whose documents were checked, on success and on failure. */
const seen = { ok: new Set<string>(), failed: new Set<string>() };

/** The one document of a run, checked against its command's schema; returned for the test's own checks. */
function documentOf(r: CliResult, label: string): Record<string, unknown> {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    assert.fail(`${label}: stdout is not one JSON document:\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
  assert.equal(doc.exitCode, r.code, `${label}: exitCode is the exit status\n${r.stderr}`);
  const command = doc.command as string | null;
  const validate = validators.get(command === null ? 'chacractl' : command.replace(/ /g, '-'));
  assert.ok(validate, `${label}: no schema for ${command}`);
  assert.ok(validate(doc), `${label}: ${JSON.stringify(validate.errors, null, 1)}\n${r.stdout}`);
  assert.doesNotMatch(r.stdout, /secret|shamankey/, `${label}: a key in the document`);
  if (command !== null) (doc.ok ? seen.ok : seen.failed).add(command);
  return doc;
}

let server: TestServer;
let pool: RunningPool;
let home: TempDir;
let poolDir: TempDir;
let down: string;

/** A URL where nothing listens. */
async function closedPort(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}`;
}

before(async () => {
  server = await testServer({ repoStepMs: 20 });
  poolDir = tempDir('chacra-pool-');
  pool = await startPool({ dataDir: poolDir.path, nodes: 1, healthCheckDelayMs: 1, repoStepMs: 20, callbackRetryDelayMs: 10, user: 'admin', key: 'secret' });
  home = tempDir();
  down = await closedPort();
});
after(async () => {
  await server.stop();
  await pool.close();
  poolDir.cleanup();
  home.cleanup();
});

const chacra = () => ({ CHACRA_URL: server.url, CHACRA_USER: 'admin', CHACRA_KEY: 'secret' });
const shaman = () => ({
  CHACRA_SHAMAN_URL: pool.shamanUrl,
  CHACRA_NODE_SCHEME: 'http',
  SHAMAN_API_USER: 'shaman',
  SHAMAN_API_KEY: 'shamankey',
  CHACRA_USER: 'admin',
  CHACRA_KEY: 'secret',
});
const run = (args: string[], env: Record<string, string | undefined> = chacra(), stdin?: string) =>
  runCli(['--json', ...args], { home: home.path, env, ...(stdin !== undefined ? { stdin } : {}) });

const T = 'json/main/abc1/centos/9/x86_64';
const REPO = 'json/main/abc1/centos/9';

describe('--json on success', () => {
  test('binary create, show, download, delete; project create; exists; ls; search', async () => {
    const [a, b] = writeFiles(home.path, { 'a.rpm': 100, 'b.rpm': 200 });
    const created = documentOf(await run(['binary', 'create', T, a!, b!]), 'binary create');
    assert.equal((created.counts as { uploaded: number }).uploaded, 2);
    documentOf(await run(['binary', 'create', '--dry-run', T, a!]), 'binary create --dry-run');
    assert.equal(documentOf(await run(['binary', 'show', `${T}/a.rpm`]), 'binary show').size, 100);
    documentOf(await run(['binary', 'download', `${T}/a.rpm`, '-o', join(home.path, 'got.rpm')]), 'binary download');
    documentOf(await run(['project', 'create', 'json2']), 'project create');
    assert.equal(documentOf(await run(['exists', `binaries/${T}/a.rpm`]), 'exists').exists, true);
    assert.ok('a.rpm' in (documentOf(await run(['ls', T]), 'ls').listing as object));
    documentOf(await run(['ls']), 'ls /');
    assert.equal((documentOf(await run(['search', '--sha1', 'abc1']), 'search').binaries as unknown[]).length, 2);
    // One path or several: the same shape, a list.
    const one = documentOf(await run(['binary', 'delete', `${T}/a.rpm`]), 'binary delete one');
    assert.deepEqual(one.binaries, [{ path: `${T}/a.rpm`, deleted: true }]);
    const two = documentOf(await run(['binary', 'delete', `${T}/a.rpm`, `${T}/b.rpm`]), 'binary delete two');
    assert.deepEqual(two.binaries, [
      { path: `${T}/a.rpm`, deleted: false },
      { path: `${T}/b.rpm`, deleted: true },
    ]);
  });

  test('repo commands, health, config, completion, --version, --help', async () => {
    const [c] = writeFiles(home.path, { 'c.rpm': 300 });
    documentOf(await run(['binary', 'create', `json/main/abc3/centos/9/x86_64`, c!]), 'binary create');
    const r3 = 'json/main/abc3/centos/9';
    documentOf(await run(['repo', 'update', r3]), 'repo update');
    assert.equal(documentOf(await run(['repo', 'wait', r3, '--interval', '10ms']), 'repo wait').state, 'ready');
    documentOf(await run(['repo', 'show', r3]), 'repo show');
    documentOf(await run(['repo', 'recreate', r3]), 'repo recreate');
    documentOf(await run(['repo', 'extra', r3, '-'], chacra(), '{"version": "18.2.0"}'), 'repo extra');
    documentOf(await run(['repo', 'file', r3]), 'repo file');
    documentOf(await run(['repo', 'set-raw', r3]), 'repo set-raw');
    documentOf(await run(['repo', 'delete', '--dry-run', r3]), 'repo delete --dry-run');
    documentOf(await run(['repo', 'delete', '--yes', r3]), 'repo delete');
    documentOf(await run(['health']), 'health');
    documentOf(await run(['config', 'show']), 'config show');
    const file = join(home.path, 'init.conf');
    const init = documentOf(await run(['config', 'init', '--config', file, '--url', server.url, '--user', 'admin', '--key', 'secret'], {}), 'config init');
    assert.equal(init.check, 'not checked');
    assert.match(documentOf(await run(['completion', 'bash']), 'completion').script as string, /complete -F/);
    assert.equal(documentOf(await run(['--version']), '--version').command, null);
    assert.match(documentOf(await run(['binary', 'create', '--help']), '--help').help as string, /binary create/);
  });

  test('node next, node ls, locate, and binary create through the pool', async () => {
    const [d] = writeFiles(home.path, { 'd.rpm': 400 });
    const created = documentOf(await run(['binary', 'create', 'pooled/main/abc4/centos/9/x86_64', d!], shaman()), 'binary create (pool)');
    assert.equal((created.node as { url: string }).url, `${pool.nodeUrls[0]}/`);
    documentOf(await run(['node', 'next'], shaman()), 'node next');
    assert.equal((documentOf(await run(['node', 'ls'], shaman()), 'node ls').nodes as unknown[]).length, 1);
    documentOf(await run(['locate', 'pooled'], shaman()), 'locate');
  });

  test('build update, build ls, locate --wait and "latest" through the pool: objects, as every document', async () => {
    const [e] = writeFiles(home.path, { 'e.rpm': 500 });
    documentOf(await run(['binary', 'create', 'piped/main/abc5/centos/9/x86_64', e!], shaman()), 'binary create (pool)');
    const job = ['--build-url', 'https://jenkins.example/job/ceph-dev-build/7/'];
    const updated = documentOf(await run(['build', 'update', 'started', 'piped/main/abc5/centos/9/x86_64', ...job], shaman()), 'build update');
    assert.deepEqual([(updated.sent as { status: string }).status, updated.answer], ['started', {}]);
    const builds = documentOf(await run(['build', 'ls', 'piped/main/abc5'], shaman()), 'build ls').builds as { status: string; distro_arch: string }[];
    assert.deepEqual(
      builds.map((b) => [b.status, b.distro_arch]),
      [['started', 'x86_64']],
    );
    assert.deepEqual((documentOf(await run(['build', 'ls'], shaman()), 'build ls /').projects as Record<string, string[]>).piped, ['main']);
    assert.deepEqual(documentOf(await run(['build', 'ls', 'piped'], shaman()), 'build ls refs').refs, ['main']);
    assert.deepEqual(documentOf(await run(['build', 'ls', 'piped/main'], shaman()), 'build ls sha1s').sha1s, ['abc5']);
    const waited = documentOf(
      await run(['locate', 'piped', '--sha1', 'abc5', '--distros', 'centos/9', '--ready', '--wait', '--interval', '10ms', '--timeout', '1m'], shaman()),
      'locate --wait',
    );
    assert.deepEqual(
      (waited.repos as { platform: string; sha1: string }[]).map((r) => [r.platform, r.sha1]),
      [['centos/9', 'abc5']],
    );
    assert.match(documentOf(await run(['repo', 'file', 'piped/main/latest/centos/9'], shaman()), 'repo file latest').text as string, /abc5/);
  });

  test('serve prints its document once it listens, and nothing more when stopped', async () => {
    const child = spawn(process.execPath, [CLI, '--json', 'serve', '--port', '0'], {
      env: { PATH: process.env.PATH, HOME: home.path },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stderr.resume();
    const doc = await new Promise<Record<string, unknown>>((done) =>
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        try {
          done(JSON.parse(out) as Record<string, unknown>);
        } catch {
          // not whole yet
        }
      }),
    );
    const code = await new Promise<number | null>((done) => {
      child.once('exit', done);
      child.kill('SIGINT');
    });
    assert.equal(code, 0);
    documentOf({ code: 0, signal: null, stdout: out, stderr: '' }, 'serve');
    assert.match((doc.urls as string[])[0]!, /^http:\/\/127\.0\.0\.1:\d+$/);
  });
});

describe('--json on failure', () => {
  const offline = (url: string) => ({ CHACRA_URL: url, CHACRA_USER: 'admin', CHACRA_KEY: 'secret' });

  test('with the server down: every command that talks to it, exit 3 and a network error', async () => {
    const [f] = writeFiles(home.path, { 'f.rpm': 10 });
    const lines = [
      ['binary', 'create', T, f!],
      ['binary', 'delete', `${T}/f.rpm`],
      ['binary', 'download', `${T}/f.rpm`, '-o', join(home.path, 'no.rpm')],
      ['binary', 'show', `${T}/f.rpm`],
      ['project', 'create', 'x'],
      ['exists', `binaries/${T}`],
      ['ls'],
      ['search', '--sha1', 'abc1'],
      ['repo', 'update', REPO],
      ['repo', 'recreate', REPO],
      ['repo', 'set-raw', REPO],
      ['repo', 'delete', '--yes', REPO],
      ['repo', 'show', REPO],
      ['repo', 'wait', REPO],
      ['repo', 'file', REPO],
      ['health'],
    ];
    await Promise.all(
      lines.map(async (args) => {
        const doc = documentOf(await run(['--retries', '0', ...args], offline(down)), args.join(' '));
        assert.equal(doc.exitCode, 3, args.join(' '));
        assert.equal((doc.error as { kind: string }).kind, 'network', args.join(' '));
        assert.equal((doc.error as { url: string }).url.startsWith(down), true);
      }),
    );
    const extra = documentOf(await run(['--retries', '0', 'repo', 'extra', REPO, '-'], offline(down), '{}'), 'repo extra');
    assert.equal((extra.error as { kind: string }).kind, 'network');
    const pooled = { CHACRA_SHAMAN_URL: down, SHAMAN_API_USER: 'shaman', SHAMAN_API_KEY: 'shamankey' };
    for (const args of [
      ['node', 'next'],
      ['node', 'ls'],
      ['locate', 'ceph'],
      ['build', 'ls'],
      ['build', 'update', 'queued', 'ceph/main/abc1', '--build-url', 'https://jenkins.example/job/x/1/'],
    ])
      assert.equal(documentOf(await run(['--retries', '0', ...args], pooled), args.join(' ')).exitCode, 3);
  });

  test('verdicts, usage and config errors: a typed error, and the data where there is some', async () => {
    const missing = documentOf(await run(['exists', `binaries/${T}/nope.rpm`]), 'exists missing');
    assert.deepEqual([missing.exitCode, missing.exists, (missing.error as { kind: string }).kind], [1, false, 'not-found']);
    assert.equal((documentOf(await run(['search', '--sha1', 'nothing']), 'search none').error as { kind: string }).kind, 'not-found');
    assert.equal((documentOf(await run(['ls', 'nothing/here']), 'ls missing').error as { kind: string }).kind, 'not-found');
    const refused = documentOf(await run(['--retries', '0', 'project', 'create', 'refused'], { ...chacra(), CHACRA_KEY: 'wrong' }), 'wrong key');
    assert.deepEqual([(refused.error as { kind: string }).kind, (refused.error as { status: number }).status], ['http', 401]);
    const failedFile = documentOf(await run(['binary', 'create', T, join(home.path, 'absent.rpm')]), 'missing file');
    assert.equal((failedFile.files as unknown[]).length, 1);
    assert.equal((failedFile.error as { kind: string }).kind, 'failed');
    for (const [args, label] of [
      [['bogus'], 'unknown command'],
      [['binary', 'create', '--nope', T], 'unknown option'],
      [['binary', 'download', `${T}/a.rpm`, '-o', '-'], '-o - with --json'],
      [['completion', 'tcsh'], 'completion'],
      [['config', 'init', '--config', join(home.path, 'x.conf')], 'config init'],
      [['config', 'show', '--config', join(home.path, 'absent.conf')], 'config show'],
      [['serve', '--port', '70000'], 'serve'],
      [['locate', 'a/b'], 'locate'],
      [['node', 'ls'], 'node ls, no shaman'],
      [['node', 'next'], 'node next, no shaman'],
    ] as const) {
      const doc = documentOf(await run([...args], label === 'config show' ? {} : chacra()), label);
      assert.equal(doc.exitCode, 2, label);
      assert.match((doc.error as { kind: string }).kind, /^(usage|config)$/, label);
    }
  });

  test('the build pipeline: a refused report, no builds, a platform that never comes, no ready repo for "latest"', async () => {
    const refused = documentOf(
      await run(['build', 'update', 'started', 'piped/main/abc6/centos/9/x86_64', '--build-url', 'https://jenkins.example/job/x/8/'], {
        ...shaman(),
        SHAMAN_API_KEY: 'wrong',
      }),
      'build update refused',
    );
    assert.deepEqual(
      [refused.exitCode, refused.answer, (refused.error as { kind: string }).kind, (refused.error as { status: number }).status],
      [3, null, 'http', 401],
    );
    assert.equal((refused.sent as { sha1: string }).sha1, 'abc6');
    const none = documentOf(await run(['build', 'ls', 'nosuchproject'], shaman()), 'build ls none');
    assert.deepEqual([none.exitCode, none.refs, (none.error as { kind: string }).kind], [1, [], 'not-found']);
    const [h] = writeFiles(home.path, { 'h.rpm': 600 });
    documentOf(await run(['binary', 'create', 'late/main/abc7/centos/9/x86_64', h!], shaman()), 'binary create (pool)');
    const timedOut = documentOf(
      await run(['locate', 'late', '--sha1', 'abc7', '--distros', 'centos/9,rocky/10', '--wait', '--interval', '10ms', '--timeout', '0'], shaman()),
      'locate --wait timeout',
    );
    assert.deepEqual([timedOut.exitCode, timedOut.repos, (timedOut.error as { kind: string }).kind], [1, [], 'timeout']);
    assert.match((timedOut.error as { message: string }).message, /rocky\/10/);
    assert.ok((timedOut.missing as { platform: string }[]).some((m) => m.platform === 'rocky/10'));
    const oneLook = documentOf(
      await run(['locate', 'late', '--distros', 'rocky/10', '--build-url', 'https://jenkins.example/job/x/9/'], shaman()),
      'locate --build-url none',
    );
    assert.deepEqual([oneLook.exitCode, (oneLook.error as { kind: string }).kind], [1, 'not-found']);
    const latest = documentOf(await run(['repo', 'file', 'late/nosuchref/latest/centos/9'], shaman()), 'repo file latest none');
    assert.deepEqual([latest.exitCode, (latest.error as { kind: string }).kind], [1, 'not-found']);
  });

  test('interrupted: the document still comes, with exit 130 and error.kind interrupted', async () => {
    const idle = await testServer({ repoStepMs: 0 });
    try {
      const [g] = writeFiles(home.path, { 'g.rpm': 7 });
      const env = { CHACRA_URL: idle.url, CHACRA_USER: 'admin', CHACRA_KEY: 'secret' };
      assert.equal((await run(['binary', 'create', 'idle/main/s/centos/9/x86_64', g!], env)).code, 0);
      const child = spawn(process.execPath, [CLI, '--json', 'repo', 'wait', 'idle/main/s/centos/9', '--interval', '10ms'], {
        env: { PATH: process.env.PATH, HOME: home.path, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      // Stopped once it waits: its first state is on stderr.
      await new Promise<void>((started) =>
        child.stderr.setEncoding('utf8').on('data', (d: string) => {
          err += d;
          if (/idle\/main\/s\/centos\/9: /.test(err)) started();
        }),
      );
      child.kill('SIGINT');
      const code = await new Promise<number | null>((done) => child.on('close', done));
      assert.equal(code, 130, err);
      const doc = documentOf({ code, signal: null, stdout: out, stderr: err }, 'repo wait interrupted');
      assert.equal((doc.error as { kind: string }).kind, 'interrupted');
    } finally {
      await idle.stop();
    }
  });

  test('every command of the grammar was checked on success and on failure', () => {
    const all = grammar.commands.map((c) => c.path.join(' ')).sort();
    assert.deepEqual([...seen.ok].sort(), all, 'on success');
    assert.deepEqual([...seen.failed].sort(), all, 'on failure');
  });
});

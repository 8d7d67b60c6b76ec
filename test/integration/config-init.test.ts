// config init and config show as a new user meets them: the key read without
// echo, the credentials checked against the server without changing it, and
// the first run's template replaced and shown rather than refused.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import type { Io } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { CONFIG_TEMPLATE } from '../../src/config/parse.js';
import { makeCertificates, resetServer, runCli, serverFixture, tempDir, testServer } from '../helpers/env.js';

const fx = serverFixture();

/** Streams that claim to be a terminal; stdin records the raw mode readline asks for. */
function terminalIo(): Io & {
  out(): string;
  err(): string;
  raw(): boolean;
  prompt(text: string, run: Promise<number>): Promise<void>;
  type(text: string): void;
} {
  const stdout = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
  const stderr = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
  let raw = false;
  const stdin = Object.assign(new PassThrough(), {
    isTTY: true,
    setRawMode(mode: boolean) {
      raw = mode;
      return stdin;
    },
  });
  let out = '';
  let err = '';
  let seen = 0;
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  return {
    stdout,
    stderr,
    stdin,
    env: { HOME: fx.home.path, TERM: 'xterm', NO_COLOR: '1' },
    cwd: fx.home.path,
    out: () => out,
    err: () => err,
    raw: () => raw,
    // Resolves once `text` has been written to stderr after the previous prompt; fails if the run ends first.
    prompt: (text, run) =>
      new Promise<void>((resolve, reject) => {
        run.then(
          (code) => reject(new Error(`the run ended (${code}) before asking ${JSON.stringify(text)}: ${err}`)),
          (e: unknown) => reject(e),
        );
        const check = () => {
          const at = err.indexOf(text, seen);
          if (at < 0) return false;
          seen = at + text.length;
          stderr.off('data', onData);
          resolve();
          return true;
        };
        const onData = () => queueMicrotask(check);
        stderr.on('data', onData);
        check();
      }),
    type: (text) => stdin.write(text),
  };
}

async function createProject(url: string, name: string): Promise<void> {
  const res = await fetch(`${url}/binaries/${name}/`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('admin:secret').toString('base64')}` },
  });
  assert.equal(res.status, 200);
  await res.arrayBuffer();
}

test('on a terminal the key is read without echo (raw mode), then checked against the server', async () => {
  await createProject(fx.server.url, 'checked');
  const io = terminalIo();
  const file = join(fx.home.path, 'hidden.conf');
  const run = main(['--config', file, 'config', 'init', '--url', fx.server.url, '--user', 'admin'], io);
  await io.prompt('key: ', run);
  assert.equal(io.raw(), true, 'the terminal is in raw mode while the key is typed: it does not echo');
  io.type('secret\r');
  await io.prompt(`check them against ${fx.server.url}? [Y/n] `, run);
  io.type('\r');
  assert.equal(await run, 0, io.err());
  assert.equal(io.raw(), false, 'raw mode is turned off again');
  assert.doesNotMatch(io.err() + io.out(), /secret/, 'the key is never echoed');
  assert.match(readFileSync(file, 'utf8'), /user = "admin"\nkey = "secret"/);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.match(io.out(), /accepted user "admin"/);
});

test('answering n to the check sends nothing; Ctrl-C at the key prompt is an interruption', async () => {
  const io = terminalIo();
  const file = join(fx.home.path, 'unchecked.conf');
  const run = main(['--config', file, 'config', 'init', '--url', fx.server.url, '--user', 'admin'], io);
  await io.prompt('key: ', run);
  io.type('secret\r');
  await io.prompt('[Y/n] ', run);
  io.type('n\r');
  assert.equal(await run, 0, io.err());
  assert.equal(fx.server.stats.total, 0, 'no request');

  const stopped = terminalIo();
  const interrupted = main(['--config', join(fx.home.path, 'never.conf'), 'config', 'init', '--url', fx.server.url, '--user', 'admin'], stopped);
  await stopped.prompt('key: ', interrupted);
  stopped.type('sec\u0003');
  assert.equal(await interrupted, 130, stopped.err());
  assert.equal(stopped.raw(), false);
  assert.doesNotMatch(stopped.err(), /sec/);
});

test('--yes checks without asking: accepted credentials exit 0; refused ones exit 3; the server is unchanged', async () => {
  await createProject(fx.server.url, 'checked');
  resetServer(fx.server);
  const before = await (await fetch(`${fx.server.url}/binaries/`)).json();
  const file = join(fx.home.path, 'checked.conf');
  const ok = await runCli(['--config', file, 'config', 'init', '--yes', '--url', fx.server.url, '--user', 'admin', '--key', 'secret'], { home: fx.home.path });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /accepted user "admin"/);
  const bad = await runCli(['--config', file, 'config', 'init', '--force', '--yes', '--url', fx.server.url, '--user', 'admin', '--key', 'wrong-key'], {
    home: fx.home.path,
  });
  assert.equal(bad.code, 3, bad.stderr);
  assert.match(bad.stderr, /refused user "admin" with this key \(it answered 401\)/);
  assert.doesNotMatch(bad.stdout + bad.stderr, /wrong-key/);
  // One DELETE per check, of a binary that does not exist, in a project that does: nothing changes.
  assert.equal(fx.server.stats.byMethod.DELETE, 2);
  assert.equal(fx.server.stats.byMethod.POST, undefined, 'nothing created');
  assert.deepEqual(await (await fetch(`${fx.server.url}/binaries/`)).json(), before);
});

test('a server that holds no project cannot be checked without changing it: a warning, exit 0', async () => {
  const empty = await testServer();
  try {
    const file = join(fx.home.path, 'empty.conf');
    const r = await runCli(['--config', file, 'config', 'init', '--yes', '--url', empty.url, '--user', 'admin', '--key', 'secret'], { home: fx.home.path });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /holds no project yet/);
    assert.equal(empty.stats.byMethod.POST, undefined);
    assert.equal(empty.stats.byMethod.DELETE, undefined);
  } finally {
    await empty.stop();
  }
});

test("the first run's template is replaced without --force, and config show shows it, saying so", async () => {
  const fresh = tempDir();
  try {
    // The first run writes the template and refuses its placeholder url.
    assert.equal((await runCli(['exists', 'binaries/x'], { home: fresh.path })).code, 2);
    const conf = join(fresh.path, '.chacractl');
    assert.equal(readFileSync(conf, 'utf8'), CONFIG_TEMPLATE);

    const show = await runCli(['config', 'show'], { home: fresh.path });
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /url +http:\/\/example +\(from file\) +the first run's template/);
    assert.match(show.stderr, /placeholder/);
    const json = await runCli(['config', 'show', '--json'], { home: fresh.path });
    assert.equal(JSON.parse(json.stdout).url.placeholder, true);

    const init = await runCli(['config', 'init', '--url', fx.server.url, '--user', 'admin', '--key', 'secret'], { home: fresh.path });
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /in place of the first run's template/);
    assert.equal((await runCli(['exists', 'binaries/x'], { home: fresh.path })).code, 1);

    // A file with anything of its owner's in it still needs --force.
    writeFileSync(conf, CONFIG_TEMPLATE.replace('key = "secret"', 'key = "mine"'), { mode: 0o600 });
    const kept = await runCli(['config', 'init', '--url', fx.server.url, '--user', 'admin', '--key', 'secret'], { home: fresh.path });
    assert.equal(kept.code, 1);
    assert.match(kept.stderr, /not overwritten/);
  } finally {
    fresh.cleanup();
  }
});

test('an https url on a terminal: config init asks for the CA, writes its full path, and the check passes TLS', async () => {
  const dir = tempDir();
  const certs = makeCertificates(dir.path);
  const tls = await testServer({ tls: { cert: readFileSync(certs.cert), key: readFileSync(certs.key) } });
  try {
    const made = await runCli(['--url', tls.url, '--ca', certs.ca, '--user', 'admin', '--key', 'secret', 'project', 'create', 'checked'], {
      home: fx.home.path,
    });
    assert.equal(made.code, 0, made.stderr);
    const io = terminalIo();
    const file = join(fx.home.path, 'tls.conf');
    const run = main(['--config', file, 'config', 'init', '--url', tls.url, '--user', 'admin', '--key', 'secret'], io);
    await io.prompt("CA bundle that signed the server's certificate (a PEM file; empty: the system's CAs): ", run);
    io.type(`${certs.ca}\r`);
    await io.prompt('[Y/n] ', run);
    io.type('\r');
    assert.equal(await run, 0, io.err());
    assert.match(readFileSync(file, 'utf8'), new RegExp(`ssl_verify = "${certs.ca}"`));
    assert.match(io.out(), /accepted user "admin"/);
  } finally {
    await tls.stop();
    dir.cleanup();
  }
});

test('config init checks the CA and the url before it writes: a bad one is exit 2 and no file', async () => {
  const file = join(fx.home.path, 'never-written.conf');
  const notPem = join(fx.home.path, 'not.pem');
  writeFileSync(notPem, 'hello\n');
  for (const [args, message] of [
    [
      ['--ca', '/bad/path'],
      /cannot read the CA bundle \/bad\/path: no such file or directory \(ENOENT\); nothing written\n.*hint: give --ca the path of a PEM file/,
    ],
    [['--ca', notPem], /not\.pem is not a PEM bundle of CA certificates; nothing written/],
    [['--url', 'ftp://x'], /--url takes an http or https URL/],
  ] as const) {
    const r = await runCli(['--config', file, 'config', 'init', '--url', fx.server.url, '--user', 'admin', '--key', 'k', ...args], { home: fx.home.path });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.equal(existsSync(file), false, `${args.join(' ')}: nothing written`);
  }
});

test('config show right after config init --key secret: a file of its owner, not the template', async () => {
  const file = join(fx.home.path, 'mine.conf');
  const init = await runCli(['--config', file, 'config', 'init', '--url', fx.server.url, '--user', 'chacra user', '--key', 'secret'], { home: fx.home.path });
  assert.equal(init.code, 0, init.stderr);
  const show = await runCli(['--config', file, 'config', 'show'], { home: fx.home.path });
  assert.equal(show.code, 0, show.stderr);
  assert.doesNotMatch(show.stdout, /template/);
  const doc = JSON.parse((await runCli(['--json', '--config', file, 'config', 'show'], { home: fx.home.path })).stdout);
  assert.equal(doc.key.placeholder, undefined);
  assert.equal(doc.user.placeholder, undefined);
});

// main() in-process with streams that say they are terminals: the progress
// display, the tables, and colour, which subprocess tests (never on a TTY) cannot see.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/io.js';
import { tempDir, testServer, writeFiles, type TempDir, type TestServer } from '../helpers/env.js';

let server: TestServer;
let home: TempDir;
before(async () => {
  server = await testServer({ delayMs: 5 });
  home = tempDir();
});
after(async () => {
  await server.stop();
  home.cleanup();
});

function terminalIo(env: Record<string, string> = {}): Io & { out(): string; err(): string } {
  const stdout = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
  const stderr = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  return {
    stdout,
    stderr,
    stdin,
    env: { HOME: home.path, CHACRA_URL: server.url, CHACRA_USER: 'admin', CHACRA_KEY: 'secret', TERM: 'xterm', ...env },
    cwd: home.path,
    out: () => out,
    err: () => err,
  };
}

test('on a terminal: a live status line on stderr, lines only for what did not go well, then the summary', async () => {
  const files = writeFiles(home.path, Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`tty-${i}.rpm`, 200_000 + i])));
  const io = terminalIo();
  const code = await main(['binary', 'create', '-j', '2', 'tty/main/s/centos/9/x86_64', ...files, 'missing.rpm'], io);
  assert.equal(code, 1);
  assert.match(io.err(), /\[\d+\/30\] [\d.]+ (KiB|MiB)\/5\.7 MiB/, 'status line with files and bytes');
  assert.match(io.err(), /\u001b\[2K/, 'the status line is redrawn in place');
  const lines = io.out().trim().split('\n');
  assert.equal(lines.length, 2, io.out());
  assert.match(lines[0]!, /MISSING.*missing\.rpm/);
  assert.match(lines[1]!, /^30 uploaded/);
  assert.match(lines[0]!, /\u001b\[31m/, 'colour on a terminal');
});

test('NO_COLOR on a terminal: no colour; --quiet: no status line', async () => {
  const io = terminalIo({ NO_COLOR: '1' });
  const files = writeFiles(home.path, { 'q.rpm': 10 });
  assert.equal(await main(['binary', 'create', '-q', 'tty/main/s2/centos/9/x86_64', ...files], io), 0);
  assert.doesNotMatch(io.out() + io.err(), /\u001b\[/);
});

test('ls on a terminal prints a table with sizes, flavors, dates and short checksums', async () => {
  const io = terminalIo();
  assert.equal(await main(['ls', 'tty/main/s/centos/9/x86_64'], io), 0);
  const [head, first] = io.out().split('\n');
  assert.match(head!, /^NAME\s+SIZE\s+FLAVOR\s+MODIFIED \(UTC\)\s+SHA512$/);
  assert.match(first!, /^tty-0\.rpm\s+195 KiB\s+default\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+[0-9a-f]{12}$/);
  const long = terminalIo();
  await main(['ls', '--long', 'tty/main/s/centos/9/x86_64'], long);
  assert.match(long.out().split('\n')[1]!, /[0-9a-f]{128}$/);
});

test('binary create with no FILE on a terminal is a usage error, not a hang', async () => {
  const io = terminalIo();
  assert.equal(await main(['binary', 'create', 'tty/main/s/centos/9/x86_64'], io), 2);
  assert.match(io.err(), /standard input is a terminal/);
});

test('config init asks on a terminal for what flags did not give, and writes a 0600 file', async () => {
  const io = terminalIo();
  const file = `${home.path}/asked.conf`;
  const answered = main(['--config', file, 'config', 'init', '--url', server.url], io);
  const stdin = io.stdin as PassThrough;
  // Answer each prompt as it appears on stderr.
  for (const [prompt, answer] of [
    ['user: ', 'admin'],
    ['key: ', 'secret'],
    ['[Y/n] ', 'n'], // config init then offers to check the credentials
  ] as const) {
    while (!io.err().includes(prompt)) await new Promise((r) => setTimeout(r, 5));
    stdin.write(`${answer}\n`);
  }
  assert.equal(await answered, 0, io.err());
  const { readFileSync, statSync } = await import('node:fs');
  assert.match(readFileSync(file, 'utf8'), /user = "admin"\nkey = "secret"/);
  assert.equal(statSync(file).mode & 0o777, 0o600);
});

test('a config file with a key that others may read is said on a terminal, once per run', async () => {
  const { writeFileSync } = await import('node:fs');
  const file = `${home.path}/open.conf`;
  writeFileSync(file, `url = "${server.url}"\nuser = "admin"\nkey = "secret"\n`, { mode: 0o644 });
  const io = terminalIo({ CHACRA_URL: '', CHACRA_USER: '', CHACRA_KEY: '' });
  await main(['--config', file, 'exists', 'binaries/none'], io);
  assert.equal(io.err().match(/readable by others \(mode 644\): run chmod 600/g)?.length, 1, io.err());
  const shown = terminalIo({ CHACRA_URL: '', CHACRA_USER: '', CHACRA_KEY: '' });
  await main(['--config', file, 'config', 'show'], shown);
  assert.equal(shown.err().match(/readable by others/g)?.length, 1, 'config show says it once on a terminal too');
});

// A server that goes silent is given up on; a transfer that keeps moving is
// not cut short, however long it takes: --timeout bounds silence, not work.
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import { readdirSync } from 'node:fs';
import { runCli, serverFixture, tempDir, writeFiles } from '../helpers/env.js';
import { startMisbehavingServer } from '../helpers/misbehaving-server.js';

const fx = serverFixture();
const credentials = { CHACRA_USER: 'admin', CHACRA_KEY: 'secret' };

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function close(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => server.close(resolve));
}

test('a server that accepts the connection and never answers is given up on after --timeout per try', async () => {
  const sockets = new Set<Socket>();
  let connections = 0;
  const silent = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.resume(); // reads the request, answers nothing
  });
  const port = await listen(silent);
  try {
    const started = performance.now();
    const r = await runCli(['--url', `http://127.0.0.1:${port}`, 'ls', '--timeout', '1s', '--retries', '1', '--retry-delay', '10ms'], {
      home: fx.home.path,
    });
    const seconds = (performance.now() - started) / 1000;
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /GET http:\/\/127\.0\.0\.1:\d+\/binaries\/ failed: the server stopped answering: nothing came for 1\.0 s \(timeout\)/);
    assert.match(r.stderr, /retrying GET .* \(try 2 of 2\)/);
    assert.match(r.stderr, /hint: .*--timeout/);
    assert.equal(connections, 2, 'one connection per try');
    // Two tries of 1 s (undici's timers tick every half second), not the old 300 s each.
    assert.ok(seconds >= 1.4 && seconds < 10, `${seconds} s`);
  } finally {
    await close(silent, sockets);
  }
});

/**
 * A proxy in front of the local server that stops reading the upload `stalls`
 * times, once after each MiB it has read, for `stallMs` (forever when null).
 */
async function stallingProxy(stalls: number, stallMs: number | null): Promise<{ port: number; stalled(): number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let stalled = 0;
  const proxy = createServer((client) => {
    const upstream = connect(fx.server.port, '127.0.0.1');
    sockets.add(client).add(upstream);
    upstream.pipe(client);
    let read = 0;
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      read += chunk.length;
      if (stalled < stalls && read >= (stalled + 1) * 1024 * 1024) {
        stalled++;
        client.pause();
        if (stallMs !== null) setTimeout(() => client.resume(), stallMs);
      }
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => {});
    upstream.on('error', () => {});
  });
  const port = await listen(proxy);
  return { port, stalled: () => stalled, close: () => close(proxy, sockets) };
}

test('an upload that pauses for less than --timeout at a time completes, though it takes longer than --timeout', async () => {
  // Three pauses of 1 s early in a 32 MiB upload: over 3 s in all, with --timeout 2s.
  const proxy = await stallingProxy(3, 1000);
  try {
    const [file] = writeFiles(fx.home.path, { 'slow.rpm': 32 * 1024 * 1024 });
    const started = performance.now();
    const r = await runCli(
      ['--url', `http://127.0.0.1:${proxy.port}`, 'binary', 'create', '--timeout', '2s', '--retries', '0', 'slow/main/s/centos/9/x86_64', file!],
      { home: fx.home.path, env: credentials },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /1 uploaded/);
    assert.equal(proxy.stalled(), 3);
    assert.ok(performance.now() - started > 3000, 'the upload took longer than --timeout');
  } finally {
    await proxy.close();
  }
});

test('a server that stops reading an upload is given up on after --timeout', async () => {
  const proxy = await stallingProxy(1, null);
  try {
    const [file] = writeFiles(fx.home.path, { 'stuck.rpm': 32 * 1024 * 1024 });
    const r = await runCli(
      ['--url', `http://127.0.0.1:${proxy.port}`, 'binary', 'create', '--timeout', '1s', '--retries', '0', 'stuck/main/s/centos/9/x86_64', file!],
      { home: fx.home.path, env: credentials },
    );
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /POST .* failed: the server stopped answering: nothing came for 1\.0 s \(timeout\)/);
  } finally {
    await proxy.close();
  }
});

test('a download from a server that trickles its headers is tried 1 + --retries times in all, not more', async () => {
  const meta = {
    ...{ name: 'a.rpm', project: 'p', ref: 'main', sha1: 's1', distro: 'centos', distro_version: '9', arch: 'x86_64', flavor: 'default' },
    ...{ checksum: 'f'.repeat(128), size: 100, created: '2026-01-01 00:00:00.000000', modified: '2026-01-01 00:00:00.000000' },
  };
  const server = await startMisbehavingServer({
    behaviour: ({ path }) => (/\/a\.rpm\/?$/.test(path) ? 'slow-headers' : { json: { 'a.rpm': meta } }),
  });
  const dest = tempDir('chacractl-stalled-download-');
  try {
    const r = await runCli(
      [
        '--url',
        server.url,
        'binary',
        'download',
        'p/main/s1/centos/9/x86_64/a.rpm',
        '-o',
        dest.path,
        '--timeout',
        '300ms',
        '--retries',
        '2',
        '--retry-delay',
        '1ms',
      ],
      { home: fx.home.path },
    );
    assert.equal(r.code, 3, r.stderr);
    assert.equal(server.requests.filter((q) => /\/a\.rpm\/?$/.test(q.path)).length, 3, r.stderr);
    assert.deepEqual(readdirSync(dest.path), [], 'no .part file left behind');
  } finally {
    await server.close();
    dest.cleanup();
  }
});

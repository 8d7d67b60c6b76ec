// When the proxy from the environment is what fails, the error says so, and
// names the proxy (and, in the CLI's advice, the variable), not the server.
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { test } from 'node:test';
import { runCli, serverFixture } from '../helpers/env.js';

const fx = serverFixture();

/** A port nothing listens on: taken, then given back. */
async function deadPort(): Promise<number> {
  const s: Server = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

test('HTTPS_PROXY pointing at nothing: connection refused by the proxy, not by the server', async () => {
  const port = await deadPort();
  const r = await runCli(['--url', 'https://chacra.example', 'ls', '--retries', '0'], { home: fx.home.path, env: { HTTPS_PROXY: `http://127.0.0.1:${port}` } });
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, new RegExp(`GET https://chacra\\.example/binaries/ failed: connection refused by the proxy 127\\.0\\.0\\.1:${port}`));
  assert.match(r.stderr, /hint: the proxy 127\.0\.0\.1:\d+ comes from HTTPS_PROXY: check it, or add chacra\.example to NO_PROXY/);
  assert.doesNotMatch(r.stderr, /refused by chacra\.example/);
});

test('http_proxy for an http url, with credentials in it that are never printed; NO_PROXY still bypasses it', async () => {
  const port = await deadPort();
  const env = { http_proxy: `http://proxyuser:proxypass@127.0.0.1:${port}` };
  const r = await runCli(['--url', fx.server.url, 'ls', '--retries', '1', '--retry-delay', '1ms'], { home: fx.home.path, env });
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, new RegExp(`connection refused by the proxy 127\\.0\\.0\\.1:${port}`));
  assert.match(r.stderr, /retrying GET/, 'refused by the proxy: nothing was sent, so it is tried again');
  assert.match(r.stderr, /comes from http_proxy/);
  assert.doesNotMatch(r.stderr, /proxyuser|proxypass/);
  const bypass = await runCli(['--url', fx.server.url, 'ls'], { home: fx.home.path, env: { ...env, NO_PROXY: '127.0.0.1' } });
  assert.equal(bypass.code, 0, bypass.stderr);
});

test('a proxy that will not open the tunnel: its answer to CONNECT is reported as the proxy’s', async () => {
  for (const [status, expected] of [
    [502, /the proxy 127\.0\.0\.1:\d+ could not open a tunnel to chacra\.example:443 \(answered 502 to CONNECT\)/],
    [407, /the proxy 127\.0\.0\.1:\d+ wants credentials \(answered 407 to CONNECT chacra\.example:443\)/],
  ] as const) {
    let connects = 0;
    const proxy = createHttpServer((_req, res) => res.writeHead(400).end());
    proxy.on('connect', (_req, socket) => {
      connects++;
      socket.end(`HTTP/1.1 ${status} No\r\nContent-Length: 0\r\n\r\n`);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = proxy.address() as AddressInfo;
      const r = await runCli(['--url', 'https://chacra.example', 'ls', '--retries', '1', '--retry-delay', '1ms'], {
        home: fx.home.path,
        env: { HTTPS_PROXY: `http://127.0.0.1:${port}` },
      });
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, expected);
      if (status === 407) {
        assert.equal(connects, 1, 'credentials the proxy wants now it will want on a retry too');
        assert.match(r.stderr, /hint: the proxy .* comes from HTTPS_PROXY: give its user and password in it/);
      } else assert.equal(connects, 2);
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  }
});

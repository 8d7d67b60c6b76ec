// What build hosts give chacractl: proxies from the environment and colour
// conventions. The single executable and the npm package: test/e2e.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeCertificates, runCli, tempDir, testServer, writeFiles, type TempDir, type TestServer } from '../helpers/env.js';

const _root = resolve(fileURLToPath(import.meta.url), '../../../..');
let server: TestServer;
let tlsServer: TestServer;
let home: TempDir;
let certs: ReturnType<typeof makeCertificates>;

before(async () => {
  home = tempDir();
  certs = makeCertificates(home.path);
  server = await testServer();
  tlsServer = await testServer({ tls: { cert: readFileSync(certs.cert), key: readFileSync(certs.key) } });
});
after(async () => {
  await server.stop();
  await tlsServer.stop();
  home.cleanup();
});

/** A forward proxy on loopback that records what passes: absolute-form requests and CONNECT tunnels. */
async function proxy(): Promise<{ url: string; seen: string[]; close(): void }> {
  const seen: string[] = [];
  const p: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const up = httpRequest(req.url!, { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode!, r.headers);
      r.pipe(res);
    });
    req.pipe(up);
  });
  p.on('connect', (req, socket, head) => {
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = req.url!.split(':');
    const up = connect(Number(port), host!, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  await new Promise<void>((r) => p.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(p.address() as AddressInfo).port}`, seen, close: () => p.close() };
}

describe('proxies from the environment, as requests honoured them', () => {
  test('HTTPS_PROXY tunnels with CONNECT; NO_PROXY bypasses it', async () => {
    const px = await proxy();
    try {
      const env = { CHACRA_USER: 'admin', CHACRA_KEY: 'secret', HTTPS_PROXY: px.url, REQUESTS_CA_BUNDLE: certs.ca };
      const r = await runCli(['--url', tlsServer.url, 'exists', 'binaries/none'], { home: home.path, env });
      assert.equal(r.code, 1, r.stderr);
      assert.ok(
        px.seen.some((s) => s.startsWith(`CONNECT localhost:${tlsServer.port}`)),
        px.seen.join('; '),
      );
      px.seen.length = 0;
      const bypass = await runCli(['--url', tlsServer.url, 'exists', 'binaries/none'], { home: home.path, env: { ...env, NO_PROXY: 'localhost' } });
      assert.equal(bypass.code, 1, bypass.stderr);
      assert.deepEqual(px.seen, []);
    } finally {
      px.close();
    }
  });

  test('http_proxy (lower case) for http URLs', async () => {
    const px = await proxy();
    try {
      const files = writeFiles(home.path, { 'proxied.rpm': 10 });
      const r = await runCli(['binary', 'create', 'px/main/s/centos/9/x86_64', ...files], {
        home: home.path,
        env: { CHACRA_URL: server.url, CHACRA_USER: 'admin', CHACRA_KEY: 'secret', http_proxy: px.url },
      });
      assert.equal(r.code, 0, r.stderr);
      // undici tunnels plain HTTP through CONNECT too, one tunnel per connection.
      assert.ok(
        px.seen.some((s) => s === `CONNECT 127.0.0.1:${server.port}` || s.startsWith(`GET ${server.url}`)),
        px.seen.join('; '),
      );
    } finally {
      px.close();
    }
  });
});

describe('colour', () => {
  const colourless = (text: string) => !/\u001b\[/.test(text);
  test('none off a terminal, none with NO_COLOR or TERM=dumb, and FORCE_COLOR forces it', async () => {
    const env = { CHACRA_URL: server.url };
    assert.ok(colourless((await runCli(['exists', 'binaries/x', '--log', 'debug'], { home: home.path, env })).stderr));
    const forced = await runCli(['repo', 'show', 'none/main/x/centos/9'], { home: home.path, env: { ...env, FORCE_COLOR: '1' } });
    assert.match(forced.stderr, /\u001b\[31m/);
    assert.ok(
      colourless((await runCli(['repo', 'show', 'none/main/x/centos/9'], { home: home.path, env: { ...env, FORCE_COLOR: '1', NO_COLOR: '1' } })).stderr),
    );
  });
});

// Runs of many files through the built CLI (#23), and the failures #20 saw in
// downloads and in the local server: a flood of failures summarised, a
// download that never nests retries nor leaves a .part file, pipelined
// requests answered in order, JSON bodies bounded.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { runCli, sha512, testServer, tempDir, type TempDir, type TestServer, writeFiles } from '../helpers/env.js';

const ENV = { CHACRA_USER: 'admin', CHACRA_KEY: 'secret' };
const T = 'scale/main/0123456789012345678901234567890123456789/centos/9/x86_64';

describe('runs of many files', () => {
  let server: TestServer;
  let home: TempDir;
  before(async () => {
    server = await testServer();
    home = tempDir();
  });
  after(async () => {
    await server.stop();
    home.cleanup();
  });

  test('a flood of missing paths on stdin is named a few times, then counted; the real files go up', async () => {
    const real = writeFiles(home.path, { 'one.rpm': 100, 'two.rpm': 200, 'three.rpm': 300 });
    const missing = Array.from({ length: 40 }, (_, i) => `${home.path}/gone-${i}.rpm`);
    const stdin = [...missing.slice(0, 20), ...real, ...missing.slice(20)].join('\n') + '\n';
    const r = await runCli(['binary', 'create', '-q', T], { home: home.path, stdin, env: { ...ENV, CHACRA_URL: server.url } });
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.filter((l) => /gone-\d+\.rpm does not exist$/.test(l)).length, 5, r.stderr);
    assert.match(r.stderr, /… and 35 more files: does not exist/);
    assert.equal(lines.length, 6, r.stderr);
    assert.match(r.stdout, /^3 uploaded, 0 replaced, 0 unchanged, 0 skipped \(differs\), 40 failed;/);
    // Again: all three unchanged, from one listing read as it streams.
    const again = await runCli(['binary', 'create', '-q', T, ...real], { home: home.path, env: { ...ENV, CHACRA_URL: server.url } });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^0 uploaded, 0 replaced, 3 unchanged, .* 1 request$/m);
  });

  test('--json still lists every file, and --log debug names every failure', async () => {
    const missing = Array.from({ length: 8 }, (_, i) => `${home.path}/absent-${i}.rpm`);
    const r = await runCli(['binary', 'create', '--json', '--log', 'debug', T], {
      home: home.path,
      stdin: missing.join('\n'),
      env: { ...ENV, CHACRA_URL: server.url },
    });
    assert.equal(r.code, 1);
    const doc = JSON.parse(r.stdout) as { files: { outcome: string }[]; counts: { missing: number } };
    assert.equal(doc.files.length, 8);
    assert.equal(doc.counts.missing, 8);
    for (const m of missing) assert.ok(r.stderr.includes(`${m} does not exist`), m);
  });

  test('pipelined POST, GET and DELETE of one binary are answered in order: 201, 200, 204, and it is gone', async () => {
    const boundary = 'XyZ';
    const body = `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="p.rpm"\r\ncontent-type: application/octet-stream\r\n\r\nhello\r\n--${boundary}--\r\n`;
    const auth = `Basic ${Buffer.from('admin:secret').toString('base64')}`;
    const path = `/binaries/pipe/main/${'a'.repeat(40)}/centos/9/x86_64/`;
    const requests =
      `POST ${path} HTTP/1.1\r\nhost: x\r\nauthorization: ${auth}\r\ncontent-type: multipart/form-data; boundary=${boundary}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}` +
      `GET ${path}p.rpm/ HTTP/1.1\r\nhost: x\r\n\r\n` +
      `DELETE ${path}p.rpm/ HTTP/1.1\r\nhost: x\r\nauthorization: ${auth}\r\nconnection: close\r\n\r\n`;
    const { port } = new URL(server.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.write(requests));
      let text = '';
      socket.setEncoding('latin1').on('data', (d: string) => (text += d));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    assert.deepEqual(
      [...answer.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]),
      ['201', '200', '204'],
    );
    assert.ok(answer.includes('\r\n\r\nhello'), 'the GET got the bytes the POST stored');
    const gone = await fetch(`${server.url}${path}p.rpm/`);
    assert.equal(gone.status, 404);
  });

  test('a JSON body past the bound is refused with 413, not read into memory', async () => {
    writeFiles(home.path, { 'r.rpm': 10 });
    const t = 'bound/main/0123456789012345678901234567890123456789/centos/9/x86_64';
    const up = await runCli(['binary', 'create', '-q', t, `${home.path}/r.rpm`], { home: home.path, env: { ...ENV, CHACRA_URL: server.url } });
    assert.equal(up.code, 0, up.stderr);
    const url = `${server.url}/repos/bound/main/0123456789012345678901234567890123456789/centos/9/flavors/default/extra/`;
    const headers = { authorization: `Basic ${Buffer.from('admin:secret').toString('base64')}`, 'content-type': 'application/json' };
    const big = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) }) });
    assert.equal(big.status, 413);
    assert.match(((await big.json()) as { message: string }).message, /larger than/);
    const small = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ ok: 1 }) });
    assert.equal(small.status, 200);
    assert.deepEqual(((await small.json()) as { extra: unknown }).extra, { ok: 1 });
  });
});

describe('a download that fails', () => {
  let home: TempDir;
  let bad: ReturnType<typeof createServer>;
  let url: string;
  /** GETs of the binary itself, by how they were answered. */
  const tries = { binary: 0 };
  let mode: 'reset' | 'cut' = 'reset';
  const content = Buffer.alloc(4000, 9);
  before(async () => {
    home = tempDir();
    bad = createServer((req: IncomingMessage, res: ServerResponse) => {
      if (req.url?.endsWith('/flavors/default/')) {
        // A listing entry of the full metadata shape: anything less is refused as not chacra's answer.
        const entry = {
          ...{ name: 'b.rpm', project: 'p', ref: 'main', sha1: 's1', distro: 'centos', distro_version: '9', arch: 'x86_64', flavor: 'default' },
          ...{ checksum: sha512(content), size: content.length, created: '2026-01-01 00:00:00.000000', modified: '2026-01-01 00:00:00.000000' },
        };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ 'b.rpm': entry }));
        return;
      }
      tries.binary++;
      if (mode === 'reset') return void req.socket.destroy();
      // Headers and part of the body, then the connection goes.
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': content.length });
      res.write(content.subarray(0, 1000), () => req.socket.destroy());
    });
    await new Promise<void>((resolve) => bad.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(bad.address() as AddressInfo).port}`;
  });
  after(async () => {
    bad.closeAllConnections();
    await new Promise((resolve) => bad.close(resolve));
    home.cleanup();
  });

  for (const m of ['reset', 'cut'] as const) {
    test(`${m === 'reset' ? 'before the headers' : 'mid-body'}: tried --retries + 1 times in all, exit 3, no .part file left`, async () => {
      mode = m;
      tries.binary = 0;
      const dest = tempDir();
      try {
        const r = await runCli(['binary', 'download', '--retries', '2', '--retry-delay', '1ms', `${T}/b.rpm`, '-o', `${dest.path}/`], {
          home: home.path,
          env: { CHACRA_URL: url },
        });
        assert.equal(r.code, 3, r.stderr);
        assert.equal(tries.binary, 3, 'one retry loop: the request is not retried inside it');
        assert.deepEqual(readdirSync(dest.path), []);
        assert.doesNotMatch(r.stderr, /internal error/);
      } finally {
        dest.cleanup();
      }
    });
  }
});

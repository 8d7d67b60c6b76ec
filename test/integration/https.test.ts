// The same commands over HTTPS, with a CA made for this run.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { makeCertificates, runCli, tempDir, testServer, writeFiles, type TempDir, type TestServer } from '../helpers/env.js';
import { startMisbehavingServer } from '../helpers/misbehaving-server.js';

let server: TestServer;
let home: TempDir;
let certs: ReturnType<typeof makeCertificates>;

before(async () => {
  home = tempDir();
  certs = makeCertificates(home.path);
  server = await testServer({ tls: { cert: readFileSync(certs.cert), key: readFileSync(certs.key) } });
});
after(async () => {
  await server.stop();
  home.cleanup();
});

const env = { CHACRA_USER: 'admin', CHACRA_KEY: 'secret' };

test('the server speaks HTTPS, with the certificate of the CA made for this run', async () => {
  assert.match(server.url, /^https:\/\/localhost:\d+$/);
  const { status, encrypted, issuer } = await new Promise<{ status: number | undefined; encrypted: boolean; issuer: string | undefined }>((resolve, reject) => {
    const req = httpsGet(`${server.url}/`, { ca: readFileSync(certs.ca) }, (res) => {
      const socket = res.socket as import('node:tls').TLSSocket;
      resolve({ status: res.statusCode, encrypted: socket.encrypted, issuer: String(socket.getPeerCertificate().issuer?.CN) });
      res.resume();
    });
    req.on('error', reject);
  });
  assert.equal(status, 200);
  assert.equal(encrypted, true);
  assert.equal(issuer, 'chacractl test CA');
});

test('upload and verify over HTTPS with --ca', async () => {
  const files = writeFiles(home.path, { 'tls-a.rpm': 1000, 'tls-b.rpm': 2000 });
  const r = await runCli(['--url', server.url, '--ca', certs.ca, 'binary', 'create', 'ceph/main/tls/centos/9/x86_64', ...files], { home: home.path, env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /2 uploaded/);
  const exists = await runCli(['--url', server.url, '--ca', certs.ca, 'exists', 'binaries/ceph/main/tls/centos/9/x86_64/tls-a.rpm'], { home: home.path, env });
  assert.equal(exists.code, 0, exists.stderr);
});

test('ssl_verify = "CA path" in the config file, as the Python client read it', async () => {
  const conf = join(home.path, 'tls.conf');
  writeFileSync(conf, `url = "${server.url}"\nuser = "admin"\nkey = "secret"\nssl_verify = "${certs.ca}"\n`, { mode: 0o600 });
  const r = await runCli(['--config', conf, 'repo', 'show', 'ceph/main/tls/centos/9'], { home: home.path });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /requested/);
});

test('REQUESTS_CA_BUNDLE is honoured like requests did', async () => {
  const r = await runCli(['--url', server.url, 'exists', 'binaries/ceph'], { home: home.path, env: { ...env, REQUESTS_CA_BUNDLE: certs.ca } });
  assert.equal(r.code, 0, r.stderr);
});

test('an untrusted certificate: exit 3, no retries, and the fix named', async () => {
  const r = await runCli(['--url', server.url, 'exists', 'binaries/ceph'], { home: home.path, env });
  assert.equal(r.code, 3);
  assert.match(r.stderr, /TLS certificate check failed/);
  assert.match(r.stderr, /--ca/);
  assert.doesNotMatch(r.stderr, /retrying/);
});

test('--insecure works, with a warning', async () => {
  const r = await runCli(['--url', server.url, '--insecure', 'exists', 'binaries/ceph'], { home: home.path, env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr.match(/verification is off/g)?.length, 1);
});

test('the other commands over HTTPS: download, repo update, set-raw, delete, search', async () => {
  const opts = ['--url', server.url, '--ca', certs.ca];
  const out = join(home.path, 'tls-dl');
  const run = (args: string[]) => runCli([...opts, ...args], { home: home.path, env });
  const dl = await run(['binary', 'download', 'ceph/main/tls/centos/9/x86_64', '-o', out]);
  assert.equal(dl.code, 0, dl.stderr);
  assert.match(dl.stdout, /2 downloaded/);
  assert.equal((await run(['search', '--sha1', 'tls'])).stdout.trim().split('\n').length, 2);
  assert.equal((await run(['repo', 'update', 'ceph/main/tls/centos/9'])).code, 0);
  assert.equal((await run(['repo', 'set-raw', 'ceph/main/tls/centos/9'])).code, 0);
  assert.equal((await run(['binary', 'delete', 'ceph/main/tls/centos/9/x86_64/tls-a.rpm'])).code, 0);
  assert.equal((await run(['exists', 'binaries/ceph/main/tls/centos/9/x86_64/tls-a.rpm'])).code, 1);
  assert.equal((await run(['project', 'create', 'tlsproj'])).code, 0);
});

test('http:// for the TLS port says to use https://, exit 3, at once', async () => {
  const url = server.url.replace('https:', 'http:');
  const r = await runCli(['--url', url, 'exists', 'binaries/p', '--retries', '3'], { home: home.path, env });
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /speaks TLS, not plain HTTP/);
  assert.match(r.stderr, /hint: the port speaks TLS: use https:\/\/localhost:\d+\//);
  assert.doesNotMatch(r.stderr, /retrying/);
});

test('https:// for a plain HTTP port that waits for a request line says to use http://, exit 3', async () => {
  const plain = await startMisbehavingServer({ behaviour: 'ok', onTlsHello: 'wait' });
  try {
    const r = await runCli(['--url', plain.url.replace('http:', 'https:'), 'exists', 'binaries/p'], { home: home.path, env });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /speaks plain HTTP, not TLS/);
    assert.match(r.stderr, /hint: the port speaks plain HTTP: use http:\/\/127\.0\.0\.1:\d+\//);
    assert.doesNotMatch(r.stderr, /--ca|retrying/);
  } finally {
    await plain.close();
  }
});

// An upload's retries never nest (#20): --retries counts the tries of the
// upload, and the listing that checks what the server kept before a file is
// sent again is sent once per try, not retried on its own. A failure that is
// the same on every try (a certificate refused) is not tried again. The
// requests are counted at the server; nothing here is timed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { makeCertificates, runCli, tempDir, writeFiles } from '../helpers/env.js';
import { type Misbehaviour, startMisbehavingServer } from '../helpers/misbehaving-server.js';

const TARGET = 'p/main/s1/centos/9/x86_64';
const NOT_FOUND: Misbehaviour = { status: 404, json: { message: 'not found' } };
const credentials = { CHACRA_USER: 'admin', CHACRA_KEY: 'secret' };

function count(requests: readonly { method: string }[], method: string): number {
  return requests.filter((r) => r.method === method).length;
}

async function upload(url: string, home: string, extra: string[] = []): Promise<Awaited<ReturnType<typeof runCli>>> {
  const [file] = writeFiles(home, { 'a.rpm': 2048 });
  return runCli(['--url', url, 'binary', 'create', '--timeout', '200ms', '--retries', '2', '--retry-delay', '1ms', ...extra, TARGET, file!], {
    home,
    env: credentials,
  });
}

test('an upload to a server that never answers its POST is sent 1 + --retries times, each after one check of the listing', async () => {
  const server = await startMisbehavingServer({ behaviour: ({ method }) => (method === 'POST' ? 'silent' : NOT_FOUND) });
  const home = tempDir('chacractl-upload-retries-');
  try {
    const r = await upload(server.url, home.path);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /POST .* failed: the server stopped answering/);
    assert.equal(count(server.requests, 'POST'), 3, r.stderr);
    // The plan's listing, then one check before each of the two later tries.
    assert.equal(count(server.requests, 'GET'), 3, r.stderr);
    assert.equal(server.requests.length, 6);
  } finally {
    await server.close();
    home.cleanup();
  }
});

test('a server gone silent after the plan: the checks of later tries are sent once each, not retried inside the upload’s tries', async () => {
  // The plan's listing is answered; everything after it, the POST and the checks, meets silence.
  const server = await startMisbehavingServer({ behaviour: ({ index }) => (index === 0 ? NOT_FOUND : 'silent') });
  const home = tempDir('chacractl-upload-retries-');
  try {
    const r = await upload(server.url, home.path);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(count(server.requests, 'POST'), 1, r.stderr);
    // 3 tries of the upload: the POST, then a check per later try (nested, they were 1 + 2 × 3).
    assert.equal(count(server.requests, 'GET'), 1 + 2, r.stderr);
  } finally {
    await server.close();
    home.cleanup();
  }
});

test('an upload whose connection fails its TLS check is tried once', async () => {
  const certs = tempDir('chacractl-upload-certs-');
  const other = tempDir('chacractl-upload-certs-');
  try {
    const trusted = makeCertificates(certs.path);
    const untrusted = makeCertificates(other.path);
    const tls = { cert: readFileSync(trusted.cert), key: readFileSync(trusted.key) };
    const strange = { cert: readFileSync(untrusted.cert), key: readFileSync(untrusted.key) };
    // The plan's listing goes over a trusted connection that the server then closes; the
    // POST's new connection meets a certificate of another CA.
    const server = await startMisbehavingServer({
      tls,
      behaviour: ({ index }) => {
        if (index === 0) server.setCertificate(strange);
        return { ...NOT_FOUND, close: true };
      },
    });
    try {
      const r = await upload(server.url, certs.path, ['--ca', trusted.ca]);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /certificate/i);
      assert.doesNotMatch(r.stderr, /retrying|checking the server/);
      assert.equal(server.requests.length, 1, 'only the plan’s listing got through');
      assert.equal(server.handshakeFailures(), 1, 'the upload’s connection was tried once');
    } finally {
      await server.close();
    }
  } finally {
    certs.cleanup();
    other.cleanup();
  }
});

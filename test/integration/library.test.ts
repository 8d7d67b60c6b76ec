// The library entry point, used in-process as other Node tools would.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  ChacraClient,
  HttpError,
  NetworkError,
  parseBinaryTarget,
  ShamanClient,
  UnexpectedAnswerError,
  uploadBinaries,
  uploadSucceeded,
  type UploadEvent,
} from '../../src/index.js';
import { serverFixture, sha512, writeFiles } from '../helpers/env.js';
import { misbehaving } from '../helpers/misbehaving.js';

const fixture = serverFixture();

const client = (extra = {}) => new ChacraClient({ url: fixture.server.url, user: 'admin', key: 'secret', retry: { baseDelayMs: 5 }, ...extra });

test('several targets: one listing before and one after per target', async () => {
  const dir = join(fixture.home.path, 'multi');
  mkdirSync(dir);
  const a = writeFiles(dir, { 'a1.rpm': 10, 'a2.rpm': 20, 'a3.rpm': 30 });
  const b = writeFiles(dir, { 'b1.deb': 40, 'b2.deb': 50 });
  const c = client();
  fixture.server.stats.byMethod = {};
  const events: UploadEvent['type'][] = [];
  const summary = await uploadBinaries(
    c,
    [
      { target: parseBinaryTarget('lib/main/s1/centos/9/x86_64'), files: a },
      { target: parseBinaryTarget('lib/main/s1/ubuntu/jammy/amd64/flavors/crimson'), files: b },
    ],
    { jobs: 3, onEvent: (e) => events.push(e.type) },
  );
  await c.close();
  assert.ok(uploadSucceeded(summary));
  assert.equal(summary.counts.uploaded, 5);
  assert.deepEqual(fixture.server.stats.byMethod, { GET: 4, POST: 5 });
  assert.equal(summary.requests, 9);
  assert.equal(events.filter((e) => e === 'done').length, 5);
  assert.equal(events.filter((e) => e === 'verify').length, 2);
  assert.equal(events[0], 'planned');
});

test('the client: listings, existence, search, repos, typed errors', async () => {
  const c = client();
  assert.deepEqual(Object.keys((await c.listing('binaries', [])) ?? {}).includes('lib'), true);
  assert.equal(await c.listing('binaries', ['nope']), undefined);
  assert.equal(await c.binaryExists({ ...parseBinaryTarget('lib/main/s1/centos/9/x86_64'), name: 'a1.rpm' }), true);
  const found = await c.search({ 'name-has': 'b1' });
  assert.deepEqual(
    found.map((f) => [f.name, f.flavor]),
    [['b1.deb', 'crimson']],
  );
  assert.deepEqual(await c.search({}), []);
  const repo = await c.getRepo({ project: 'lib', ref: 'main', sha1: 's1', distro: 'centos', version: '9' });
  assert.equal(repo?.type, 'rpm');
  await assert.rejects(
    c.updateRepo({ project: 'lib', ref: 'main', sha1: 's1', distro: 'centos', version: '8' }),
    (err: unknown) => err instanceof HttpError && err.status === 500 && err.serverMessage === 'Internal Server Error',
  );
  await c.close();
  const wrong = new ChacraClient({ url: fixture.server.url, user: 'admin', key: 'nope' });
  await assert.rejects(wrong.createProject('x'), (err: unknown) => err instanceof HttpError && err.status === 401 && !err.message.includes('nope'));
  await wrong.close();
  const down = new ChacraClient({ url: 'http://127.0.0.1:9', retry: { tries: 2, baseDelayMs: 1 } });
  await assert.rejects(down.root(), (err: unknown) => err instanceof NetworkError && err.code === 'ECONNREFUSED');
  await down.close();
});

test('a download streams the stored bytes', async () => {
  const c = client();
  const d = await c.downloadBinary({ ...parseBinaryTarget('lib/main/s1/centos/9/x86_64'), name: 'a2.rpm' });
  const chunks: Buffer[] = [];
  for await (const chunk of d.body) chunks.push(chunk as Buffer);
  assert.equal(d.size, 20);
  assert.equal(d.filename, 'a2.rpm');
  assert.equal(sha512(Buffer.concat(chunks)), sha512(Buffer.alloc(20, 'a2.rpm')));
  await c.close();
});

test("shaman's health: a 2xx is healthy, a 5xx is not, and any other answer is no verdict on it", async () => {
  const ask = async (kind: Parameters<typeof misbehaving>[0]) => {
    const server = await misbehaving(kind);
    const shaman = new ShamanClient({ url: server.url });
    try {
      return await shaman.health();
    } finally {
      await shaman.close();
      await server.close();
    }
  };
  assert.deepEqual(await ask('5xx'), { healthy: false, status: 502, message: '502 Bad Gateway' });
  // A wrong url (404), a proxy that wants credentials, a redirect elsewhere: shaman was not asked.
  for (const kind of ['404', '401', '3xx'] as const)
    await assert.rejects(ask(kind), (err: unknown) => err instanceof HttpError && !(err instanceof UnexpectedAnswerError), kind);
  // A portal's page says nothing of shaman's health.
  await assert.rejects(ask('html'), UnexpectedAnswerError);
});

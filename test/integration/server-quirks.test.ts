// Quirks of the real chacra that the local server copies, seen on a real one
// beyond the recorded exchanges: races between first uploads, the true size on
// HEAD after a replacement, and the crash of a repo DELETE on a repo never built.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { setImmediate } from 'node:timers/promises';
import { test } from 'node:test';
import { request } from 'undici';
import { serverFixture } from '../helpers/env.js';

const fx = serverFixture();
const auth = { authorization: 'Basic ' + Buffer.from('admin:secret').toString('base64') };
const type = { 'content-type': 'multipart/form-data; boundary=b' };
const head = (name: string) => `--b\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/x-rpm\r\n\r\n`;
const whole = (name: string, force = false) =>
  `${force ? '--b\r\nContent-Disposition: form-data; name="force"\r\n\r\ntrue\r\n' : ''}${head(name)}${'y'.repeat(10)}\r\n--b--\r\n`;

/** Waits until `cond` holds, checking after each turn of the event loop. */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await setImmediate();
}

/** Starts an upload whose body stays open until `finish()`: the server is mid-request meanwhile. */
function openUpload(url: string, name: string) {
  const body = new PassThrough();
  const answer = request(url, { method: 'POST', headers: { ...auth, ...type }, body });
  body.write(head(name) + 'x'.repeat(10));
  return { finish: () => body.end('\r\n--b--\r\n'), answer };
}

test('a first upload into a new project while another is under way answers 500 (a unique-key violation on chacra)', async () => {
  const url = `${fx.server.url}/binaries/race1/main/s/centos/9/x86_64/`;
  const first = openUpload(url, 'one.rpm');
  await until(() => fx.server.store.creating.projects.has('race1'));
  const second = await request(url, { method: 'POST', headers: { ...auth, ...type }, body: whole('two.rpm') });
  assert.equal(second.statusCode, 500);
  assert.match(await second.body.text(), /<title>Internal Server Error<\/title>/);
  first.finish();
  assert.equal((await first.answer).statusCode, 201);
  const listing = (await (await fetch(url)).json()) as Record<string, unknown>;
  assert.deepEqual(Object.keys(listing), ['one.rpm'], 'the failed upload stored nothing');
});

test('first uploads into a new repo of a known project overlap: both land, and chacra would hold two repo records', async () => {
  await request(`${fx.server.url}/binaries/race2/`, { method: 'POST', headers: auth }).then((r) => r.body.dump());
  const url = `${fx.server.url}/binaries/race2/main/s/centos/9/x86_64/`;
  const first = openUpload(url, 'one.rpm');
  await until(() => fx.server.store.creating.repos.size > 0);
  const second = await request(url, { method: 'POST', headers: { ...auth, ...type }, body: whole('two.rpm') });
  assert.equal(second.statusCode, 201);
  first.finish();
  assert.equal((await first.answer).statusCode, 201);
  assert.equal(fx.server.stats.duplicateRepos, 1);
});

test('after a replacement the listing keeps the first size, HEAD answers the true one (#97, #100)', async () => {
  const url = `${fx.server.url}/binaries/sizes/main/s/centos/9/x86_64/`;
  await request(url, { method: 'POST', headers: { ...auth, ...type }, body: whole('s.rpm') }).then((r) => r.body.dump());
  const bigger = `--b\r\nContent-Disposition: form-data; name="force"\r\n\r\ntrue\r\n${head('s.rpm')}${'z'.repeat(25)}\r\n--b--\r\n`;
  const forced = await request(url, { method: 'POST', headers: { ...auth, ...type }, body: bigger });
  assert.equal(forced.statusCode, 200);
  await forced.body.dump();
  const listing = (await (await fetch(url)).json()) as Record<string, { size: number }>;
  assert.equal(listing['s.rpm']!.size, 10);
  const headRes = await request(`${url}s.rpm/`, { method: 'HEAD' });
  assert.equal(headRes.headers['content-length'], '25');
  await headRes.body.dump();
});

test('DELETE of a repo never built crashes and leaves it; once built, it removes the tree and crashes (#102)', async () => {
  const url = `${fx.server.url}/binaries/nb/main/s/centos/9/x86_64/`;
  await request(url, { method: 'POST', headers: { ...auth, ...type }, body: whole('n.rpm') }).then((r) => r.body.dump());
  const repo = `${fx.server.url}/repos/nb/main/s/centos/9/`;
  const del = () => request(repo, { method: 'DELETE', headers: auth });
  const never = await del();
  assert.equal(never.statusCode, 500);
  assert.match(String(never.headers['content-type']), /text\/html/);
  await never.body.dump();
  assert.equal((await fetch(repo)).status, 200);
  fx.server.worker.drain();
  const built = await del();
  assert.equal(built.statusCode, 500);
  await built.body.dump();
  const gone = await del();
  assert.equal(gone.statusCode, 500);
  assert.match(((await gone.body.json()) as { message: string }).message, /^could not remove repo path: /);
  assert.equal((await fetch(url)).status, 200, 'the binaries stay');
});

test('a PUT or DELETE under a project that does not exist is a 404 whatever the credentials; a POST is checked (401)', async () => {
  const bad = { authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` };
  const binary = `${fx.server.url}/binaries/nosuch/main/s/centos/9/x86_64/n.rpm/`;
  for (const method of ['DELETE', 'PUT'] as const) {
    const r = await request(binary, { method, headers: bad });
    assert.equal(r.statusCode, 404, method);
    await r.body.dump();
  }
  const post = await request(`${fx.server.url}/binaries/nosuch/main/s/centos/9/x86_64/`, {
    method: 'POST',
    headers: { ...bad, ...type },
    body: whole('n.rpm'),
  });
  assert.equal(post.statusCode, 401);
  await post.body.dump();
  await request(`${fx.server.url}/binaries/known/`, { method: 'POST', headers: auth }).then((r) => r.body.dump());
  const known = await request(`${fx.server.url}/binaries/known/main/s/centos/9/x86_64/n.rpm/`, { method: 'DELETE', headers: bad });
  assert.equal(known.statusCode, 401);
  await known.body.dump();
});

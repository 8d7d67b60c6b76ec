// Replays every exchange recorded from a real chacra against the local
// server: same status, content type, headers and (normalised) JSON bodies.
// The recordings are the project's test data (test/fixtures); where the
// shared copy sits beside the repository, the two must agree.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { testServer, type TestServer } from './helpers/env.js';

const here = dirname(fileURLToPath(import.meta.url));
// dist/test -> the repository's test/fixtures, and ../shared beside the repository.
const TRANSCRIPTS = resolve(here, '../../test/fixtures/chacra-transcripts.jsonl');
const SHARED = resolve(here, '../../../shared/chacra-transcripts.jsonl');

interface Exchange {
  n: number;
  note: string;
  request: {
    method: string;
    path: string;
    auth: 'none' | 'valid' | 'invalid';
    multipart?: Record<string, string | { bytes: number; filename: string; sha512: string }>;
    form?: Record<string, string>;
    json?: unknown;
  };
  response: {
    status: number;
    content_type: string;
    json?: unknown;
    text?: string;
    body?: string | { bytes: number; sha512: string };
    location?: string;
    'www-authenticate'?: string;
    'content-disposition'?: string;
  };
}

const exchanges: Exchange[] = readFileSync(TRANSCRIPTS, 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Exchange);

/** The transcripts' reproducible contents: sha512("SEED-0") + sha512("SEED-1") + ... cut to n bytes. */
function blob(n: number, seed: string): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0, len = 0; len < n; i++) {
    const d = createHash('sha512').update(`${seed}-${i}`).digest();
    parts.push(d);
    len += d.length;
  }
  return Buffer.concat(parts).subarray(0, n);
}

const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('hex');

function contentsFor(bytes: number, digest: string): Buffer {
  const candidates = ['a', 'b', 'c', 'd'].map((seed) => blob(bytes, seed)).concat(Buffer.alloc(bytes, 'x'));
  const found = candidates.find((c) => sha512(c) === digest);
  assert.ok(found, `no known contents of ${bytes} bytes with sha512 ${digest.slice(0, 12)}…`);
  return found;
}

function multipartBody(fields: NonNullable<Exchange['request']['multipart']>): { body: Buffer; type: string } {
  const boundary = 'replay-boundary-7f3a';
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value === 'string') {
      parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
    } else {
      parts.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${value.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
        ),
      );
      parts.push(contentsFor(value.bytes, value.sha512), Buffer.from('\r\n'));
    }
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}

/** JSON with keys in order, as Python's json.dumps(sort_keys=True) writes it: the transcripts sort lists by it. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(', ')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}: ${canonical((value as Record<string, unknown>)[k])}`)
      .join(', ')}}`;
  return JSON.stringify(value);
}

/** The transcripts' normalisation: timestamps, ages and server paths replaced, lists sorted. */
function normalise(value: unknown, server: TestServer, key?: string): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => normalise(v, server));
    return items.sort((a, b) => (canonical(a) < canonical(b) ? -1 : 1));
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v, server, k)]));
  }
  if (typeof value === 'string') {
    if ((key === 'created' || key === 'modified') && /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/.test(value)) return '<timestamp>';
    if (key === 'last_changed' && / ago$/.test(value)) return '<age>';
    if (value.startsWith(server.store.publicRoot + '/')) return '<public_root>/' + value.slice(server.store.publicRoot.length + 1);
    if (value.startsWith(server.store.reposRoot + '/')) return '<repos_root>/' + value.slice(server.store.reposRoot.length + 1);
    if (value.includes(server.store.reposRoot + '/')) return value.replace(server.store.reposRoot + '/', '<repos_root>/');
  }
  return value;
}

let server: TestServer;
before(async () => {
  // The recorded server had no repo worker running at first: repos stay "requested" and /health/ fails (#93).
  server = await testServer({ repoStepMs: 0 });
});
after(async () => {
  await server.stop();
});

/** What happened on the recorded server between two exchanges, done here before the exchange. */
const BEFORE: Record<number, () => Promise<void> | void> = {
  // #94-#110 were recorded later on a server that held none of #1-#93's binaries
  // (#109 finds project ceph gone with the last of #94-#95's), with its Celery worker running.
  94: async () => {
    await server.stop();
    server = await testServer({ repoStepMs: 0 });
  },
  // The worker had built the repo by #101.
  101: () => server.worker.drain(),
  110: () => server.worker.start(60_000),
};

test('the transcripts are numbered 1..N in order', () => {
  assert.ok(exchanges.length >= 110);
  assert.deepEqual(
    exchanges.map((e) => e.n),
    exchanges.map((_, i) => i + 1),
  );
});

test('the transcripts match the shared copy', { skip: !existsSync(SHARED) && 'no ../shared beside the repository' }, () => {
  assert.equal(
    readFileSync(TRANSCRIPTS, 'utf8'),
    readFileSync(SHARED, 'utf8'),
    'test/fixtures/chacra-transcripts.jsonl differs from ../shared: copy the shared one in',
  );
});

for (const ex of exchanges) {
  test(`#${ex.n} ${ex.request.method} ${ex.request.path}: ${ex.note}`, async () => {
    await BEFORE[ex.n]?.();
    const headers: Record<string, string> = {};
    if (ex.request.auth !== 'none')
      headers.authorization = 'Basic ' + Buffer.from(`admin:${ex.request.auth === 'valid' ? 'secret' : 'wrong'}`).toString('base64');
    let body: Buffer | string | undefined;
    if (ex.request.multipart || ex.request.form) {
      const mp = multipartBody(ex.request.multipart ?? ex.request.form!);
      body = mp.body;
      headers['content-type'] = mp.type;
    } else if (ex.request.json !== undefined) {
      body = JSON.stringify(ex.request.json);
      headers['content-type'] = 'application/json';
    }
    const res = await request(server.url + ex.request.path, { method: ex.request.method as 'GET', headers, body });
    const raw = Buffer.from(await res.body.arrayBuffer());
    const want = ex.response;
    assert.equal(res.statusCode, want.status, 'status');
    const type = String(res.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim();
    assert.equal(type, want.content_type, 'content type');
    const header = (name: string) => {
      const v = res.headers[name];
      return v === undefined ? undefined : String(v);
    };
    if (want.location !== undefined) assert.equal(header('location')?.replace(server.url, '<base>'), want.location, 'location');
    if (want['www-authenticate'] !== undefined) assert.equal(header('www-authenticate'), want['www-authenticate']);
    if (want['content-disposition'] !== undefined) assert.equal(header('content-disposition'), want['content-disposition']);
    if (want.json !== undefined) {
      assert.deepEqual(normalise(JSON.parse(raw.toString('utf8')), server), normalise(want.json, server), 'JSON body');
    } else if (typeof want.body === 'object') {
      assert.equal(raw.length, want.body.bytes, 'body size');
      assert.equal(sha512(raw), want.body.sha512, 'body sha512');
    } else if (typeof want.body === 'string') {
      // HTML error pages are summarised as "<N bytes of text/html...>": an HTML page with a title.
      assert.match(raw.toString('utf8'), /<title>[^<]+<\/title>/, 'an HTML page');
    } else if (ex.request.method !== 'HEAD') {
      assert.equal(raw.length, 0, 'empty body');
    }
  });
}

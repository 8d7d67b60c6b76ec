// Every way a server can fail, at every moment of an exchange, on each engine
// (node:http for direct connections, undici behind a proxy): each ends in the
// typed error of its kind, in the same words, retried only when the request
// is safe to repeat, and within the timeout (200 ms here: the outcome is
// asserted, never the time it took).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { text } from 'node:stream/consumers';
import { after, describe, test } from 'node:test';
import { Transport } from '../../src/client/transport.js';
import type { InternalTransportOptions, RequestSpec } from '../../src/client/transport-options.js';
import { HttpError, NetworkError, type NetworkFailure, UnexpectedAnswerError, type UnexpectedAnswer } from '../../src/errors.js';
import { makeCertificates, tempDir } from '../helpers/env.js';
import { type Misbehaviour, type MisbehavingServerOptions, refusingPort, startMisbehavingServer } from '../helpers/misbehaving-server.js';

const TRIES = 2;
const GET: RequestSpec = { method: 'GET', path: 'binaries/' };
const POST: RequestSpec = { method: 'POST', path: 'binaries/p/', body: () => '{}' };

type Outcome = { ok: unknown } | { network: NetworkFailure; words: RegExp } | { unexpected: UnexpectedAnswer } | { status: number };

/** What a JSON GET ends in, per misbehaviour; `retried`: whether a GET is tried again. */
const MATRIX: { what: Misbehaviour; outcome: Outcome; retried: boolean }[] = [
  { what: 'ok', outcome: { ok: { ok: true } }, retried: false },
  { what: 'close-before-headers', outcome: { network: 'closed', words: /closed/ }, retried: true },
  { what: 'slow-headers', outcome: { network: 'timeout', words: /did not finish its answer's headers within 200 ms/ }, retried: true },
  { what: 'stall-after-headers', outcome: { network: 'timeout', words: /nothing came for 200 ms/ }, retried: true },
  { what: 'cut-body', outcome: { network: 'closed', words: /closed/ }, retried: true },
  { what: 'short-body', outcome: { network: 'closed', words: /closed/ }, retried: true },
  { what: 'broken-chunk', outcome: { network: 'protocol', words: /not valid HTTP/ }, retried: true },
  { what: 'close-after-body', outcome: { ok: { ok: true } }, retried: false },
  { what: 'html', outcome: { unexpected: 'not-json' }, retried: false },
  { what: 'empty', outcome: { unexpected: 'empty' }, retried: false },
  { what: 'huge', outcome: { unexpected: 'too-large' }, retried: false },
  { what: 'redirect', outcome: { status: 302 }, retried: false },
  { what: 'unavailable', outcome: { status: 503 }, retried: true },
];

const ENGINES = ['node:http', 'undici'] as const;
const opened: { close(): Promise<void> }[] = [];
after(async () => {
  for (const o of opened) await o.close();
});

async function serverFor(options: MisbehavingServerOptions) {
  const server = await startMisbehavingServer(options);
  opened.push(server);
  return server;
}

function transportFor(engine: (typeof ENGINES)[number], url: string, extra: Partial<InternalTransportOptions> = {}): Transport {
  const options: InternalTransportOptions = {
    url,
    engine,
    env: {},
    timeoutMs: 200,
    maxAnswerBytes: 1024 * 1024,
    retry: { tries: TRIES, baseDelayMs: 1 },
    ...extra,
  };
  const transport = new Transport(options);
  opened.push(transport);
  return transport;
}

function check(outcome: Outcome, result: { value?: unknown; error?: unknown }): void {
  if ('ok' in outcome) return assert.deepEqual(result.value, outcome.ok, String(result.error));
  const err = result.error;
  if ('network' in outcome) {
    assert.ok(err instanceof NetworkError, `a NetworkError, not ${String(err)}`);
    assert.equal(err.kind, outcome.network, err.message);
    assert.match(err.message, outcome.words);
  } else if ('unexpected' in outcome) {
    assert.ok(err instanceof UnexpectedAnswerError, `an UnexpectedAnswerError, not ${String(err)}`);
    assert.equal(err.kind, outcome.unexpected);
    assert.equal(err.status, 200);
  } else {
    assert.ok(err instanceof HttpError && !(err instanceof UnexpectedAnswerError), `an HttpError, not ${String(err)}`);
    assert.equal(err.status, outcome.status);
  }
}

/** A certificate and its key for a TLS test server, read from a directory removed at once. */
function certificates(): { cert: Buffer; key: Buffer } {
  const certs = tempDir('chacractl-misbehave-');
  try {
    const { cert, key } = makeCertificates(certs.path);
    return { cert: readFileSync(cert), key: readFileSync(key) };
  } finally {
    certs.cleanup();
  }
}

async function settle<T>(p: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  return p.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

for (const engine of ENGINES) {
  describe(`${engine}: a JSON GET`, () => {
    for (const { what, outcome, retried } of MATRIX) {
      test(`${what}: ${JSON.stringify(outcome)}${retried ? ', retried' : ''}`, async () => {
        const server = await serverFor({ behaviour: what, dripMs: 20 });
        const transport = transportFor(engine, server.url);
        check(outcome, await settle(transport.json(GET).then((r) => r.data)));
        assert.equal(server.requests.length, retried ? TRIES : 1, 'tries');
        // The same words on a second request: the connection left behind, if any, is usable or gone.
        if ('ok' in outcome) check(outcome, await settle(transport.json(GET).then((r) => r.data)));
      });
    }

    test('refused: a NetworkError of kind refused, retried', async () => {
      const transport = transportFor(engine, `http://127.0.0.1:${await refusingPort()}/`);
      check({ network: 'refused', words: /connection refused by 127\.0\.0\.1/ }, await settle(transport.json(GET)));
      assert.equal(transport.requestCount, TRIES);
    });

    test('a body longer than its Content-Length: the declared body, or a protocol failure, never a crash', async () => {
      const server = await serverFor({ behaviour: 'long-body' });
      const result = await settle(
        transportFor(engine, server.url)
          .json(GET)
          .then((r) => r.data),
      );
      if (result.error === undefined) assert.deepEqual(result.value, { ok: true });
      else check({ network: 'protocol', words: /./ }, result);
    });
  });

  describe(`${engine}: a POST that may not be repeated`, () => {
    for (const what of ['close-before-headers', 'cut-body', 'slow-headers'] as const) {
      test(`${what}: sent once`, async () => {
        const server = await serverFor({ behaviour: what, dripMs: 20 });
        const result = await settle(transportFor(engine, server.url).json(POST));
        assert.ok(result.error instanceof NetworkError, String(result.error));
        assert.equal(server.requests.length, 1);
      });
    }
  });

  describe(`${engine}: a streamed GET`, () => {
    const cases: { what: Misbehaviour; kind: NetworkFailure }[] = [
      { what: 'cut-body', kind: 'closed' },
      { what: 'short-body', kind: 'closed' },
      { what: 'stall-after-headers', kind: 'timeout' },
      { what: 'broken-chunk', kind: 'protocol' },
    ];
    for (const { what, kind } of cases) {
      test(`${what}: the stream fails with a NetworkError of kind ${kind}`, async () => {
        const server = await serverFor({ behaviour: what });
        const answer = await transportFor(engine, server.url).stream(GET);
        await assert.rejects(text(answer.stream), (err: unknown) => {
          assert.ok(err instanceof NetworkError, String(err));
          assert.equal(err.kind, kind, err.message);
          return true;
        });
      });
    }

    test('a redirect is an HttpError, not followed', async () => {
      const server = await serverFor({ behaviour: 'redirect' });
      await assert.rejects(transportFor(engine, server.url).stream(GET), (err: unknown) => err instanceof HttpError && err.status === 302);
      assert.equal(server.requests.length, 1);
    });
  });
}

// undici 7 crashes here (nodejs/undici#5360): its engine is only used behind a proxy.
test('node:http: a large download from a server that closes after the body arrives whole, read slowly', async () => {
  const server = await serverFor({ behaviour: 'huge', hugeBytes: 8 * 1024 * 1024 });
  const answer = await transportFor('node:http', server.url).stream(GET);
  let bytes = 0;
  for await (const chunk of answer.stream) {
    bytes += (chunk as Buffer).length;
    await new Promise(setImmediate);
  }
  assert.equal(bytes, 8 * 1024 * 1024);
});

describe('a URL of the wrong scheme says so, at once and without retries (node:http, the engine of direct connections)', () => {
  for (const onTlsHello of ['wait', 'answer-400'] as const) {
    test(`https:// to a plain HTTP port that ${onTlsHello === 'wait' ? 'waits for a request line' : 'answers 400'}`, async () => {
      const server = await serverFor({ behaviour: 'ok', onTlsHello });
      // A timeout far longer than the probe: the answer comes from the probe, not from giving up.
      const transport = transportFor('node:http', server.url.replace('http:', 'https:'), { timeoutMs: 60_000 });
      const { error } = await settle(transport.json(GET));
      assert.ok(error instanceof NetworkError, String(error));
      assert.equal(error.kind, 'tls');
      assert.match(error.message, /speaks plain HTTP, not TLS/);
      assert.match(error.hint ?? '', /use http:\/\/127\.0\.0\.1:\d+\//);
      assert.equal(transport.requestCount, 1);
    });
  }

  // chacra's nginx front answers a plain request on its TLS port with a 400 page, and a HEAD with its headers alone.
  for (const spec of [GET, POST, { method: 'HEAD', path: 'binaries/p/' }, { method: 'DELETE', path: 'binaries/p/a.rpm' }] as RequestSpec[]) {
    test(`http:// to nginx's TLS port: ${spec.method}`, async () => {
      const tls = certificates();
      const server = await serverFor({ behaviour: 'ok', tls, onPlainRequest: 'nginx-400' });
      const transport = transportFor('node:http', server.url.replace('https:', 'http:'));
      const { error } = await settle(transport.send(spec));
      assert.ok(error instanceof NetworkError, String(error));
      assert.equal(error.kind, 'protocol');
      assert.match(error.message, /speaks TLS, not plain HTTP/);
      assert.match(error.hint ?? '', /use https:\/\//);
      assert.equal(transport.requestCount, 1);
      // The same port still speaks TLS to a TLS client: the check above is not a port that refuses everything.
      const secure = transportFor('node:http', server.url, { tls: { verify: false } });
      assert.equal((await secure.send(GET)).status, 200);
    });
  }

  test('http:// to a TLS port', async () => {
    const tls = certificates();
    const server = await serverFor({ behaviour: 'ok', tls });
    const transport = transportFor('node:http', server.url.replace('https:', 'http:'), { timeoutMs: 60_000 });
    const { error } = await settle(transport.json(GET));
    assert.ok(error instanceof NetworkError, String(error));
    assert.equal(error.kind, 'protocol');
    assert.match(error.message, /speaks TLS, not plain HTTP/);
    assert.match(error.hint ?? '', /use https:\/\//);
    assert.equal(transport.requestCount, 1);
  });
});

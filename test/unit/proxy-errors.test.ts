// Failures to reach a proxy are put on the proxy; the library names it by
// host:port only, the CLI's advice names the variable it came from.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { advice } from '../../src/cli/advice.js';
import { toNetworkError } from '../../src/client/http-errors.js';
import { Transport } from '../../src/client/transport.js';
import { undiciFailureOf } from '../../src/client/undici-engine.js';
import { ConfigError } from '../../src/errors.js';

const proxy = { host: '127.0.0.1:9', variable: 'HTTPS_PROXY' };
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });

test('connection refused through a proxy blames the proxy, and the advice names its variable', () => {
  const err = toNetworkError(refused(), 'GET', 'https://chacra.example/binaries/', proxy);
  assert.equal(err.message, 'GET https://chacra.example/binaries/ failed: connection refused by the proxy 127.0.0.1:9');
  assert.deepEqual(err.proxy, proxy);
  assert.equal(err.kind, 'refused');
  assert.doesNotMatch(`${err.message} ${err.hint}`, /PROXY|--|CHACRA_/, 'the library names no variable');
  assert.match(advice(err) ?? '', /127\.0\.0\.1:9 comes from HTTPS_PROXY: check it, or add chacra\.example to NO_PROXY/);
  // Without a proxy, the server is the one that refused.
  const direct = toNetworkError(refused(), 'GET', 'https://chacra.example/binaries/');
  assert.match(direct.message, /connection refused by chacra\.example$/);
  assert.equal(direct.proxy, undefined);
});

test("the proxy's host that does not resolve, and its answers to CONNECT", () => {
  const dns = toNetworkError(Object.assign(new Error('x'), { code: 'ENOTFOUND' }), 'GET', 'https://chacra.example/', proxy);
  assert.match(dns.message, /cannot resolve the host of the proxy 127\.0\.0\.1:9/);
  // undici's words for a refused tunnel, translated by its engine as every engine error is.
  const tunnel = toNetworkError(
    undiciFailureOf(Object.assign(new Error('Proxy response (503) !== 200 when HTTP Tunneling'), { code: 'UND_ERR_ABORTED' })),
    'POST',
    'https://chacra.example/x/',
    proxy,
  );
  assert.match(tunnel.message, /the proxy 127\.0\.0\.1:9 could not open a tunnel to chacra\.example:443 \(answered 503 to CONNECT\)/);
  const auth = toNetworkError(
    undiciFailureOf(Object.assign(new Error('Proxy response (407) !== 200 when HTTP Tunneling'), { code: 'UND_ERR_ABORTED' })),
    'GET',
    'http://h:8080/',
    proxy,
  );
  assert.match(auth.message, /wants credentials \(answered 407 to CONNECT h:8080\)/);
  assert.match(advice(auth) ?? '', /user and password/);
  // A failure after the tunnel is up is the server's.
  const reset = toNetworkError(Object.assign(new Error('x'), { code: 'ECONNRESET' }), 'GET', 'https://chacra.example/', proxy);
  assert.equal(reset.proxy, undefined);
});

test('a proxy variable that is no usable URL is a ConfigError that names the variable, at once and without its credentials', async () => {
  for (const [variable, value] of [
    ['http_proxy', 'http://puser:psecret@proxy.example:99999'],
    ['HTTPS_PROXY', 'puser:psecret@proxy.example:3128'],
  ] as const) {
    const transport = new Transport({ url: 'https://chacra.example/', env: { [variable]: value }, retry: { baseDelayMs: 1, maxDelayMs: 1 } });
    try {
      await assert.rejects(transport.send({ method: 'GET', path: 'binaries/' }), (err: unknown) => {
        assert.ok(err instanceof ConfigError, String(err));
        assert.equal(err.setting, variable);
        assert.match(err.message, new RegExp(variable));
        assert.doesNotMatch(`${err.message} ${err.hint ?? ''}`, /psecret/);
        return true;
      });
      // The same on every try: not tried again.
      assert.equal(transport.requestCount, 1);
    } finally {
      await transport.close();
    }
  }
});

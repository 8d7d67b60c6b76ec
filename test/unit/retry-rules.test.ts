// When a request is sent again, by its mode: reads after any network failure
// or a failing status, writes only when they cannot have reached chacra.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { retriesFailure, retriesStatus, retryModeOf } from '../../src/client/retry-rules.js';
import { NetworkError, type NetworkFailure } from '../../src/errors.js';

const failure = (code: string, kind: NetworkFailure, proxy?: { host: string }) =>
  new NetworkError({ method: 'GET', url: 'http://h/', code, kind, reason: code, proxy });

test('reads are idempotent, writes unsafe, unless the request says', () => {
  assert.equal(retryModeOf('GET', undefined), 'idempotent');
  assert.equal(retryModeOf('HEAD', undefined), 'idempotent');
  assert.equal(retryModeOf('POST', undefined), 'unsafe');
  assert.equal(retryModeOf('DELETE', undefined), 'unsafe');
  assert.equal(retryModeOf('PUT', 'never'), 'never');
});

test('statuses: 500 only for reads; 429 and 502-504 for both; never for a 4xx verdict', () => {
  for (const status of [429, 500, 502, 503, 504]) assert.equal(retriesStatus('idempotent', status), true, String(status));
  for (const status of [429, 502, 503, 504]) assert.equal(retriesStatus('unsafe', status), true, String(status));
  assert.equal(retriesStatus('unsafe', 500), false, 'a write that failed at 500 may have landed');
  for (const status of [400, 401, 403, 404, 422]) assert.equal(retriesStatus('idempotent', status), false, String(status));
  assert.equal(retriesStatus('never', 503), false);
});

test('network failures: a write again only when nothing was sent; never a TLS refusal or a proxy that wants credentials', () => {
  assert.equal(retriesFailure('idempotent', failure('ECONNRESET', 'closed')), true);
  assert.equal(retriesFailure('unsafe', failure('ECONNRESET', 'closed')), false);
  assert.equal(retriesFailure('unsafe', failure('ECONNREFUSED', 'refused')), true);
  assert.equal(retriesFailure('unsafe', failure('connect-timeout', 'connect-timeout')), true);
  assert.equal(retriesFailure('idempotent', failure('plain-port', 'tls')), false, 'https:// to a plain HTTP port');
  assert.equal(retriesFailure('idempotent', failure('tls-port', 'protocol')), false, 'http:// to a TLS port');
  assert.equal(retriesFailure('idempotent', failure('protocol', 'protocol')), true, 'a broken answer may come whole next time');
  assert.equal(retriesFailure('unsafe', failure('ECONNRESET', 'refused', { host: 'proxy:3128' })), true, 'the proxy refused the tunnel');
  assert.equal(retriesFailure('idempotent', failure('SELF_SIGNED_CERT_IN_CHAIN', 'tls')), false);
  assert.equal(retriesFailure('idempotent', failure('X', 'other', { host: 'proxy:3128' })), false);
  assert.equal(retriesFailure('never', failure('ECONNREFUSED', 'refused')), false);
});

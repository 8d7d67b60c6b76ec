// The exit statuses scripts branch on, as the CLI alone derives them from the
// library's errors: the README's "Exit status" table, kind by kind.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exitStatusOf } from '../../src/cli/exit-status.js';
import { NoHealthyNodeError } from '../../src/client/shaman.js';
import { ConfigError, FileError, HttpError, InterruptedError, NetworkError, UsageError, VerificationError } from '../../src/errors.js';
import { NoVerdictError } from '../../src/cli/no-verdict.js';
import { PoolNoVerdictError } from '../../src/operations/pool-reads.js';
import { RepoWaitTimeout } from '../../src/operations/repo-wait.js';

const http = (status: number, method = 'GET') => new HttpError({ method, url: 'https://c/x/', status });

test('usage and configuration errors exit 2', () => {
  assert.equal(exitStatusOf(new UsageError('bad')), 2);
  assert.equal(exitStatusOf(new ConfigError('bad', { file: '/home/u/.chacractl', line: 3 })), 2);
});

test('a failed operation exits 1: a verdict of the server, a bad verification, a local file, a repo never ready', () => {
  for (const status of [400, 404, 405, 409, 422]) assert.equal(exitStatusOf(http(status, 'POST')), 1, String(status));
  assert.equal(exitStatusOf(http(404)), 1, 'a read answered 404: not there');
  assert.equal(exitStatusOf(new VerificationError('differs')), 1);
  assert.equal(exitStatusOf(new FileError('cannot read')), 1);
  assert.equal(exitStatusOf(new RepoWaitTimeout('p/r/s/d/v', 'queued', 1000)), 1);
});

test('no verdict exits 3: unreachable, credentials refused, throttled, failing, not chacra, or a pool with no node', () => {
  for (const status of [200, 301, 401, 403, 429, 500, 502, 503]) assert.equal(exitStatusOf(http(status)), 3, String(status));
  // chacra answers no 4xx but 404 to a read: nginx's 400 to plain HTTP on its TLS port is no verdict.
  for (const status of [400, 405, 409]) assert.equal(exitStatusOf(http(status, 'HEAD')), 3, String(status));
  assert.equal(exitStatusOf(new NetworkError({ method: 'GET', url: 'http://h/', kind: 'refused', reason: 'connection refused by h:80' })), 3);
  // shaman's 404 is a pool without a healthy node, not a missing thing.
  assert.equal(exitStatusOf(new NoHealthyNodeError({ method: 'GET', url: 'https://shaman/api/nodes/next/', status: 404 })), 3);
});

test('no verdict exits 3 whatever the cause: a node of the pool not asked, a 4xx where only a 404 or a 5xx is a verdict', () => {
  const tls = new NetworkError({ method: 'HEAD', url: 'https://n1/binaries/p/', kind: 'tls', reason: 'TLS certificate check failed (X)' });
  const pooled = new PoolNoVerdictError('whether binaries/p exists', [{ node: 'https://n1/', error: tls }]);
  assert.equal(exitStatusOf(pooled), 3);
  assert.match(
    pooled.message,
    /could not tell whether binaries\/p exists: a node of the pool could not be asked \(https:\/\/n1\/: TLS certificate check failed \(X\)\)/,
  );
  assert.equal(exitStatusOf(new NoVerdictError('whether binaries/p exists', http(400))), 3);
  // No node to ask is no verdict either: "not there" on no node's word would be vacuous.
  const empty = new PoolNoVerdictError('whether binaries/p exists', []);
  assert.equal(exitStatusOf(empty), 3);
  assert.match(empty.message, /could not tell whether binaries\/p exists: shaman knows no node of the pool/);
});

test('an interruption exits 130', () => {
  assert.equal(exitStatusOf(new InterruptedError()), 130);
});

test('the library errors carry no exit status of their own', () => {
  for (const err of [new UsageError('x'), http(404), new FileError('x'), new InterruptedError()]) assert.equal('exitCode' in err, false, err.name);
});

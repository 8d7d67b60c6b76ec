// One rule for which failure of one file stops a run of uploads or downloads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FileError, HttpError, NetworkError, VerificationError } from '../../src/errors.js';
import { isFatal } from '../../src/operations/fatal.js';

const http = (status: number) => new HttpError({ method: 'PUT', url: 'https://c/binaries/x/', status });
const network = new NetworkError({ method: 'GET', url: 'https://c/', kind: 'closed', reason: 'the connection was closed by the server' });

test('refused credentials stop the run: every other file would be refused too', () => {
  assert.equal(isFatal(http(401)), true);
  assert.equal(isFatal(http(403)), true);
  for (const status of [400, 404, 409, 500, 503]) assert.equal(isFatal(http(status)), false, String(status));
});

test('a redirect, or an answer chacra never gives, stops the run: every file would meet it, and no verdict is had (exit 3)', () => {
  for (const status of [200, 301, 302, 307]) assert.equal(isFatal(http(status)), true, String(status));
});

test('a server out of reach through every retry stops the run, unless bytes of the file came through', () => {
  assert.equal(isFatal(network), true);
  assert.equal(isFatal(network, { partway: true }), false);
});

test("one file's own failures do not", () => {
  assert.equal(isFatal(new VerificationError('differs')), false);
  assert.equal(isFatal(new FileError('cannot read')), false);
  assert.equal(isFatal(new Error('bug')), false);
});

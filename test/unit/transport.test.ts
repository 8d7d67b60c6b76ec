import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { advice } from '../../src/cli/advice.js';
import { exitStatusOf } from '../../src/cli/exit-status.js';
import { backoffDelay, parseRetryAfter } from '../../src/client/retry.js';
import { serverMessageOf, toNetworkError } from '../../src/client/http-errors.js';
import { Transport } from '../../src/client/transport.js';
import { ConfigError, HttpError, NetworkError } from '../../src/errors.js';

test('backoff doubles from the base delay, with jitter in the upper half, capped', () => {
  const policy = { tries: 5, baseDelayMs: 100, maxDelayMs: 1000 };
  assert.equal(
    backoffDelay(policy, 1, undefined, () => 0),
    50,
  );
  assert.equal(
    backoffDelay(policy, 1, undefined, () => 1),
    100,
  );
  assert.equal(
    backoffDelay(policy, 3, undefined, () => 1),
    400,
  );
  assert.equal(
    backoffDelay(policy, 10, undefined, () => 1),
    1000,
  );
  const spread = new Set(Array.from({ length: 20 }, () => backoffDelay(policy, 2)));
  assert.ok(spread.size > 1, 'jitter varies the delay');
});

test('Retry-After in seconds or as a date is honoured, capped', () => {
  const policy = { tries: 3, baseDelayMs: 100, maxDelayMs: 5000 };
  assert.equal(backoffDelay(policy, 1, '2'), 2000);
  assert.equal(backoffDelay(policy, 1, '3600'), 5000);
  assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4_000), 6000);
  assert.equal(parseRetryAfter('soon'), undefined);
});

test("the server's message: JSON message, or the title of an HTML page", () => {
  assert.equal(serverMessageOf('{"message": "resource already exists"}', 'application/json'), 'resource already exists');
  assert.equal(serverMessageOf('<html><head><title>404 Not Found</title></head></html>', 'text/html'), '404 Not Found');
  assert.equal(serverMessageOf('', 'text/html'), undefined);
  assert.equal(serverMessageOf('plain words', 'text/plain'), 'plain words');
});

test('errors carry method, URL, status and advice; the CLI gives exit statuses by kind', () => {
  const e404 = new HttpError({ method: 'GET', url: 'https://c/x/', status: 404, serverMessage: '404 Not Found' });
  assert.equal(e404.message, 'GET https://c/x/ answered 404: 404 Not Found');
  assert.equal(exitStatusOf(e404), 1);
  assert.equal(exitStatusOf(new HttpError({ method: 'POST', url: 'u', status: 401 })), 3);
  assert.match(new HttpError({ method: 'POST', url: 'u', status: 401 }).hint ?? '', /user and key/);
  assert.equal(exitStatusOf(new HttpError({ method: 'POST', url: 'u', status: 502 })), 3);
  const refused = toNetworkError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 'GET', 'http://127.0.0.1:9/binaries/');
  assert.ok(refused instanceof NetworkError);
  assert.equal(exitStatusOf(refused), 3);
  assert.match(refused.message, /connection refused by 127\.0\.0\.1:9/);
  const tls = toNetworkError(Object.assign(new Error('x'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }), 'GET', 'https://h/');
  assert.equal(tls.kind, 'tls');
  // The library's errors carry data and neutral advice; the CLI names its flags.
  assert.doesNotMatch(tls.hint ?? '', /--|~\/\.chacractl|CHACRA_/);
  assert.match(advice(tls) ?? '', /--ca/);
  const dns = toNetworkError(Object.assign(new Error('x'), { code: 'ENOTFOUND' }), 'GET', 'https://h/');
  assert.equal(dns.kind, 'dns');
  assert.match(advice(dns) ?? '', /--url, CHACRA_URL/);
  assert.match(advice(new HttpError({ method: 'POST', url: 'u', status: 401 })) ?? '', /--user and --key/);
  assert.equal(advice(e404), undefined);
});

test('no flag, environment variable or config file is named in the library', () => {
  const root = resolve(fileURLToPath(import.meta.url), '../../../../src');
  for (const dir of ['client', 'operations']) {
    for (const file of readdirSync(join(root, dir)).filter((f) => f.endsWith('.ts'))) {
      const code = readFileSync(join(root, dir, file), 'utf8')
        .split('\n')
        .filter((line) => !/^\s*(\/\/|\*|\/\*)/.test(line))
        // V8's own flags, set at run time, are not the CLI's.
        .filter((line) => !/setFlagsFromString\(/.test(line))
        .join('\n');
      assert.doesNotMatch(
        code,
        /'[^']*((?<![-\w])--[a-z]|~\/\.chacractl|CHACRA_[A-Z])[^']*'|`[^`]*((?<![-\w])--[a-z]|~\/\.chacractl|CHACRA_[A-Z])[^`]*`/,
        `${dir}/${file}`,
      );
    }
  }
});

test("webob's pages, HTML or plain, give their title and the application's detail", () => {
  const html =
    '<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n  <h1>404 Not Found</h1>\n  The resource could not be found.<br /><br />\nThere are no healthy chacra nodes available.\n\n\n </body>\n</html>';
  assert.equal(serverMessageOf(html, 'text/html'), '404 Not Found: There are no healthy chacra nodes available.');
  const plain = '404 Not Found\n\nThe resource could not be found.\n\nThere are no healthy chacra nodes available.\n\n   ';
  assert.equal(serverMessageOf(plain, 'text/plain; charset=UTF-8'), '404 Not Found: There are no healthy chacra nodes available.');
  const noDetail = '401 Unauthorized\n\nThis server could not verify that you are authorized.\n\n   ';
  assert.equal(serverMessageOf(noDetail, 'text/plain'), '401 Unauthorized');
});

test('a client url that is no http(s) URL is a ConfigError when the client is made, not a TypeError or a retried failure', () => {
  for (const url of ['chacra.example', 'ftp://chacra.example/', 'https://'])
    assert.throws(
      () => new Transport({ url }),
      (err: unknown) => err instanceof ConfigError && err.setting === 'url',
      url,
    );
  assert.throws(
    () => new Transport({ url: 'https://u:secret@/' }),
    (err: unknown) => err instanceof ConfigError && !err.message.includes('secret'),
  );
});

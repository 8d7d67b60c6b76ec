// The option parsers: each kind's text to its typed value, and a bad value
// as a usage error that names the option, in the words users already see.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_TIMER_MS, parseCount, parseDistros, parseDuration, parseFault, parseHttpUrl, parseLevel, parseWindow } from '../../src/cli/grammar/values.js';
import { grammar } from '../../src/cli/main.js';
import { UsageError } from '../../src/errors.js';

function usageError(run: () => unknown): UsageError {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof UsageError, String(err));
    return err;
  }
  assert.fail('no usage error');
}

test('durations are milliseconds: 500ms, 30s, 5m, 1h, and bare seconds', () => {
  assert.equal(parseDuration('500ms', 'timeout'), 500);
  assert.equal(parseDuration('30s', 'timeout'), 30_000);
  assert.equal(parseDuration('5m', 'timeout'), 300_000);
  assert.equal(parseDuration('1h', 'timeout'), 3_600_000);
  assert.equal(parseDuration('90', 'timeout'), 90_000);
  assert.equal(parseDuration('1.5s', 'timeout'), 1500);
  assert.equal(usageError(() => parseDuration('5x', 'timeout')).message, '--timeout takes a duration such as 30s, 5m or 90, not "5x"');
  assert.match(usageError(() => parseDuration('-1', 'interval')).message, /^--interval takes a duration/);
  assert.match(usageError(() => parseDuration('1000h', 'delay', 2 ** 31 - 1)).message, /^--delay is at most 24 days, not "1000h"/);
});

test('counts are whole numbers from their minimum', () => {
  assert.equal(parseCount('0', 'retries'), 0);
  assert.equal(parseCount('12', 'jobs', 1), 12);
  assert.equal(usageError(() => parseCount('x', 'retries')).message, '--retries takes a whole number, not "x"');
  assert.equal(usageError(() => parseCount('0', 'jobs', 1)).message, '--jobs takes a whole number from 1, not "0"');
  assert.match(usageError(() => parseCount('1.5', 'port')).message, /--port takes a whole number/);
});

test('levels are log levels, warn meaning warning; urls are http or https', () => {
  assert.equal(parseLevel('DEBUG', 'log'), 'debug');
  assert.equal(parseLevel('warn', 'log'), 'warning');
  assert.match(usageError(() => parseLevel('loud', 'log')).message, /^--log takes one of debug, info, warning, error, critical, not "loud"/);
  assert.equal(parseHttpUrl('https://chacra.example.com/', 'url'), 'https://chacra.example.com/');
  assert.equal(parseHttpUrl('http://127.0.0.1:8080', 'shaman'), 'http://127.0.0.1:8080');
  assert.match(usageError(() => parseHttpUrl('ftp://x', 'url')).message, /^--url takes an http or https URL/);
  assert.match(usageError(() => parseHttpUrl('chacra.example.com', 'shaman')).message, /^--shaman takes an http or https URL/);
});

test('a window is two durations; serve bounds its durations as its timers do', () => {
  assert.deepEqual(parseWindow('5s:10s', 'outage'), { after: 5000, length: 10_000 });
  assert.equal(usageError(() => parseWindow('5s', 'outage')).message, '--outage takes AFTER:FOR, such as 5s:10s, not "5s"');
  assert.match(usageError(() => parseWindow('5s:soon', 'outage')).message, /^--outage takes a duration/);
  for (const name of ['delay', 'repo-step', 'health-delay', 'outage']) assert.equal(grammar.options[name]?.max, MAX_TIMER_MS, name);
});

test('parsing gives handlers typed values', () => {
  const values = grammar.parse([
    'binary',
    'create',
    '--jobs',
    '8',
    '--timeout',
    '5m',
    '--retries',
    '0',
    '--retry-delay',
    '250ms',
    '--log',
    'WARN',
    '--url',
    'http://x',
    'p/r/s/d/v/a',
  ]).invocation?.values;
  assert.deepEqual({ ...values }, { jobs: 8, timeout: 300_000, retries: 0, 'retry-delay': 250, log: 'warning', url: 'http://x' });
  const serve = grammar.parse(['serve', '--port', '0', '--fault', 'GET:.*:500', '--fault', 'POST:.*:reset', '--delay', '30ms', '--pool', '2']).invocation
    ?.values;
  assert.deepEqual(
    [serve?.port, serve?.fault, serve?.delay, serve?.pool],
    [
      0,
      [
        { method: 'GET', path: '.*', action: { kind: 'status', status: 500, retryAfter: undefined } },
        { method: 'POST', path: '.*', action: { kind: 'reset' } },
      ],
      30,
      2,
    ],
  );
  const search = grammar.parse(['search', '--size', '1234']).invocation?.values;
  assert.equal(search?.size, 1234);
  const locate = grammar.parse(['locate', 'ceph', '--distros', 'centos/9,ubuntu/jammy/amd64']).invocation?.values;
  assert.equal(locate?.distros, 'centos/9,ubuntu/jammy/amd64');
});

test('distros are DISTRO/VERSION[/ARCH], comma-separated, kept as written', () => {
  assert.equal(parseDistros('centos/9', 'distros'), 'centos/9');
  assert.equal(parseDistros('centos/9/x86_64,ubuntu/jammy', 'distros'), 'centos/9/x86_64,ubuntu/jammy');
  for (const bad of ['centos', 'centos/9/x86_64/extra', 'centos/9,', '/9', 'centos//x86_64', ''])
    assert.equal(usageError(() => parseDistros(bad, 'distros')).message, `--distros takes DISTRO/VERSION[/ARCH],... not ${JSON.stringify(bad)}`, bad);
});

test('a fault is METHOD:PATH-REGEX:ACTION[:COUNT], * for any method or path', () => {
  assert.deepEqual(parseFault('post:/binaries/:503:3', 'fault'), {
    method: 'POST',
    path: '/binaries/',
    count: 3,
    action: { kind: 'status', status: 503, retryAfter: undefined },
  });
  assert.deepEqual(parseFault('*:*:429', 'fault'), { action: { kind: 'status', status: 429, retryAfter: 1 } });
  assert.deepEqual(parseFault('GET:x:delay250', 'fault').action, { kind: 'delay', ms: 250 });
  assert.deepEqual(parseFault('GET:x:delay', 'fault').action, { kind: 'delay', ms: 5000 });
  for (const kind of ['reset', 'corrupt-upload', 'truncate-upload', 'corrupt-download', 'html', 'garbage'] as const)
    assert.deepEqual(parseFault(`PUT:x:${kind}`, 'fault').action, { kind });
  const cases: [string, RegExp][] = [
    ['503', /^--fault "503" is not METHOD:PATH-REGEX:ACTION\[:COUNT\]$/],
    ['GET:x:503:2:more', /is not METHOD:PATH-REGEX:ACTION/],
    ['GET:(:503', /: "\(" is not a regular expression/],
    ['GET:x:503:many', /: COUNT must be a whole number, not "many"$/],
    ['GET:x:999', /: 999 is not an HTTP status \(100 to 599\)$/],
    ['GET:x:delay9999999999', /: a delay is at most 2147483647 ms$/],
    ['GET:x:explode', /: unknown fault action "explode"$/],
  ];
  for (const [text, message] of cases) {
    const err = usageError(() => parseFault(text, 'fault'));
    assert.match(err.message, message, text);
    assert.match(err.hint ?? '', /^a fault is METHOD:PATH-REGEX:ACTION\[:COUNT\]/);
  }
});

test('a bad value is a usage error at parsing, but --help still shows help', () => {
  assert.match(usageError(() => grammar.parse(['ls', '--retries', 'x'])).message, /--retries takes a whole number/);
  assert.match(usageError(() => grammar.parse(['serve', '--pool', '0'])).message, /--pool takes a whole number from 1, not "0"/);
  assert.match(usageError(() => grammar.parse(['search', '--size', '1k'])).message, /^--size takes a whole number, not "1k"/);
  assert.match(usageError(() => grammar.parse(['locate', 'ceph', '--distros', 'centos'])).message, /^--distros takes DISTRO\/VERSION/);
  assert.match(usageError(() => grammar.parse(['serve', '--fault', 'GET:x:explode'])).message, /^--fault "GET:x:explode": unknown fault action/);
  assert.match(grammar.parse(['binary', 'create', '--jobs', '0', '--help']).help ?? '', /^Usage: chacractl binary create/);
});

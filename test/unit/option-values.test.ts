// The option parsers: each kind's text to its typed value, and a bad value
// as a usage error that names the option, in the words users already see.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCount, parseDuration, parseHttpUrl, parseLevel, parseWindow } from '../../src/cli/grammar/values.js';
import { grammar } from '../../src/cli/main.js';
import { UsageError } from '../../src/errors.js';
import { MAX_TIMER_MS } from '../../src/server/faults.js';

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
  assert.deepEqual([serve?.port, serve?.fault, serve?.delay, serve?.pool], [0, ['GET:.*:500', 'POST:.*:reset'], 30, 2]);
});

test('a bad value is a usage error at parsing, but --help still shows help', () => {
  assert.match(usageError(() => grammar.parse(['ls', '--retries', 'x'])).message, /--retries takes a whole number/);
  assert.match(usageError(() => grammar.parse(['serve', '--pool', '0'])).message, /--pool takes a whole number from 1, not "0"/);
  assert.match(grammar.parse(['binary', 'create', '--jobs', '0', '--help']).help ?? '', /^Usage: chacractl binary create/);
});

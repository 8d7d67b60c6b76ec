import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grammar } from '../../src/cli/main.js';
import { UsageError } from '../../src/errors.js';

const parse = (argv: string[]) => grammar.parse(argv);

test('options stand before or after the verb, as scripts write them', () => {
  for (const argv of [
    ['binary', '--force', 'create', 'p/r/s/d/v/a', 'f.rpm'],
    ['binary', 'create', '--force', 'p/r/s/d/v/a', 'f.rpm'],
    ['--force', 'binary', 'create', 'p/r/s/d/v/a', 'f.rpm'],
    ['binary', 'create', 'p/r/s/d/v/a', 'f.rpm', '--force'],
  ]) {
    const { invocation } = parse(argv);
    assert.deepEqual(invocation?.command.path, ['binary', 'create']);
    assert.deepEqual(invocation?.args, ['p/r/s/d/v/a', 'f.rpm']);
    assert.equal(invocation?.values.force, true);
  }
});

test('--log and --logging are one option; -j and -0 are short forms', () => {
  assert.equal(parse(['--log', 'debug', 'exists', 'binaries/p']).invocation?.values.log, 'debug');
  assert.equal(parse(['exists', '--logging', 'error', 'binaries/p']).invocation?.values.log, 'error');
  const inv = parse(['binary', 'create', '-j', '8', '-0', 'p/r/s/d/v/a']).invocation;
  assert.deepEqual([inv?.values.jobs, inv?.values.null], [8, true]);
});

test('-- lets a file name start with a dash', () => {
  assert.deepEqual(parse(['binary', 'create', 'p/r/s/d/v/a', '--', '-odd.rpm']).invocation?.args, ['p/r/s/d/v/a', '-odd.rpm']);
});

test('unknown commands, options foreign to a command and missing arguments are usage errors', () => {
  for (const argv of [
    ['bogus'],
    ['binary', 'upload', 'x'],
    ['binary'],
    ['exists', '--force', 'binaries/x'],
    ['binary', 'create'],
    ['--nope', 'exists', 'x'],
    ['exists', 'a', 'b'],
  ])
    assert.throws(
      () => parse(argv),
      (err: unknown) => err instanceof UsageError,
      argv.join(' '),
    );
});

test('help and version', () => {
  assert.match(parse(['--help']).help ?? '', /binary create/);
  assert.match(parse(['binary', '--help']).help ?? '', /binary delete/);
  assert.match(parse(['binary', 'create', '--help']).help ?? '', /--jobs N/);
  assert.equal(parse(['help', 'repo', 'update']).help, parse(['repo', 'update', '--help']).help);
  assert.equal(parse(['--version']).version, true);
  assert.match(parse([]).help ?? '', /Commands:/);
});

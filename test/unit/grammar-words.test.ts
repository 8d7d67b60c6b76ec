// Typing mistakes answered in our words: the command meant, and option values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { editDistance } from '../../src/cli/grammar.js';
import { grammar } from '../../src/cli/main.js';
import { UsageError } from '../../src/errors.js';

function usageError(argv: string[]): UsageError {
  try {
    grammar.parse(argv);
  } catch (err) {
    assert.ok(err instanceof UsageError, String(err));
    return err;
  }
  assert.fail(`${argv.join(' ')} parsed`);
}

test('a misspelled command: did you mean', () => {
  assert.equal(usageError(['binray', 'create', 'p/r/s/d/v/a']).message, "unknown command 'binray'; did you mean 'binary create'?");
  assert.equal(usageError(['binray']).message, "unknown command 'binray'; did you mean 'binary'?");
  assert.equal(usageError(['binary', 'craete', 'p/r/s/d/v/a']).message, "unknown command 'binary craete'; did you mean 'binary create'?");
  assert.equal(usageError(['rep', 'update', 'p/r/s/d/v']).message, "unknown command 'rep'; did you mean 'repo update'?");
  assert.equal(usageError(['lss']).message, "unknown command 'lss'; did you mean 'ls'?");
  assert.equal(usageError(['frobnicate']).message, "unknown command 'frobnicate'");
  assert.match(usageError(['frobnicate']).hint ?? '', /chacractl --help/);
  assert.equal(editDistance('binray', 'binary'), 1, 'a swap of neighbours is one edit');
  assert.equal(editDistance('', 'ls'), 2);
});

test("--jobs -1 reaches the option's own check instead of parseArgs' complaint", () => {
  assert.equal(usageError(['binary', 'create', '--jobs', '-1', 'p/r/s/d/v/a', 'f']).message, '--jobs takes a whole number from 1, not "-1"');
  assert.equal(usageError(['binary', 'create', '-j', '-2', 'p/r/s/d/v/a', 'f']).message, '--jobs takes a whole number from 1, not "-2"');
  assert.equal(usageError(['--timeout', '-5s', 'ls']).message, '--timeout takes a duration such as 30s, 5m or 90, not "-5s"');
  // After --, a dash is a file name.
  assert.deepEqual(grammar.parse(['binary', 'create', 'p/r/s/d/v/a', '--', '-1']).invocation?.args, ['p/r/s/d/v/a', '-1']);
});

test('option values that are missing, or given to a flag, or unknown options, in our words', () => {
  const missing = usageError(['binary', 'create', 'p/r/s/d/v/a', '--jobs']);
  assert.equal(missing.message, '--jobs needs a value: --jobs N');
  const ambiguous = usageError(['ls', '--url', '-x']);
  assert.equal(ambiguous.message, '--url needs a value: --url URL');
  assert.match(ambiguous.hint ?? '', /--url=-VALUE/);
  assert.equal(usageError(['ls', '--repos=yes']).message, '--repos takes no value');
  const unknown = usageError(['ls', '--jsno']);
  assert.equal(unknown.message, 'unknown option --jsno');
  assert.match(unknown.hint ?? '', /did you mean --json\?/);
  for (const e of [missing, ambiguous, unknown]) assert.doesNotMatch(e.message, /Option '|ambiguous|argument/);
});

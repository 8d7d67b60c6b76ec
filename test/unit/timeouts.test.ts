// The defaults that decide how long a hung server holds a run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grammar } from '../../src/cli/main.js';
import { DEFAULT_RETRY_POLICY } from '../../src/client/retry.js';
import { DEFAULT_TIMEOUT_MS, silentServerBudgetMs } from '../../src/client/transport-options.js';

test('by default a server that never answers is given up on in about two minutes, tries and backoff included', () => {
  assert.equal(DEFAULT_TIMEOUT_MS, 30_000);
  assert.equal(DEFAULT_RETRY_POLICY.tries, 4, '--retries 3 by default: 4 tries');
  // 4 tries of 30 s, and backoffs of at most 0.5 + 1 + 2 s between them.
  assert.equal(silentServerBudgetMs(DEFAULT_TIMEOUT_MS, DEFAULT_RETRY_POLICY), 4 * 30_000 + 3_500);
  const budget = silentServerBudgetMs(DEFAULT_TIMEOUT_MS, DEFAULT_RETRY_POLICY);
  assert.ok(budget >= 100_000 && budget <= 130_000, `${budget} ms`);
  // It was 4 × 300 s.
  assert.ok(silentServerBudgetMs(300_000, DEFAULT_RETRY_POLICY) > 20 * 60_000);
});

test('the budget follows --timeout and --retries, backoff capped', () => {
  assert.equal(silentServerBudgetMs(1_000, { tries: 2, baseDelayMs: 500, maxDelayMs: 30_000 }), 2_500);
  assert.equal(silentServerBudgetMs(1_000, { tries: 1, baseDelayMs: 500, maxDelayMs: 30_000 }), 1_000);
  assert.equal(silentServerBudgetMs(0, { tries: 4, baseDelayMs: 10_000, maxDelayMs: 15_000 }), 10_000 + 15_000 + 15_000);
});

test('the option help states the defaults', () => {
  const help = grammar.mainHelp();
  assert.match(help, /--timeout DURATION[\s\S]*default 30s[\s\S]*about 2 minutes/);
  assert.match(help, /--retries N[\s\S]*default 3/);
});

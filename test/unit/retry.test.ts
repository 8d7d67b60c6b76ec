// withRetry, the one retry loop every retrying path uses: what it retries,
// how often, what the last try returns, and how it stops.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withRetry, type RetryPolicy } from '../../src/client/retry.js';
import { InterruptedError } from '../../src/errors.js';

// No waiting: a base delay of 0 makes every backoff 0 ms.
const policy: RetryPolicy = { tries: 3, baseDelayMs: 0, maxDelayMs: 0 };

test('a retryable failure is tried policy.tries times, then thrown; each retry is told', async () => {
  const attempts: number[] = [];
  const told: number[] = [];
  await assert.rejects(
    withRetry(
      async (attempt) => {
        attempts.push(attempt);
        throw new Error(`boom ${attempt}`);
      },
      { policy, retryError: (err) => ({ reason: (err as Error).message }), onRetry: (r) => told.push(r.attempt) },
    ),
    /boom 3/,
  );
  assert.deepEqual(attempts, [1, 2, 3]);
  assert.deepEqual(told, [1, 2]);
});

test('a failure the caller does not call retryable is thrown at once', async () => {
  let calls = 0;
  await assert.rejects(
    withRetry(
      async () => {
        calls++;
        throw new TypeError('local');
      },
      { policy, retryError: (err) => (err instanceof TypeError ? undefined : { reason: 'x' }) },
    ),
    TypeError,
  );
  assert.equal(calls, 1);
});

test('a result may be retried while tries are left; the last one is returned as it is, unexamined', async () => {
  const examined: number[] = [];
  const value = await withRetry(async (attempt) => attempt, {
    policy,
    retryResult: (v) => {
      examined.push(v);
      return { reason: `answered ${v}` };
    },
  });
  assert.equal(value, 3);
  assert.deepEqual(examined, [1, 2]);
  const early = await withRetry(async (attempt) => attempt, { policy, retryResult: (v) => (v < 2 ? { reason: 'again' } : undefined) });
  assert.equal(early, 2);
});

test("the server's Retry-After sets the wait, capped by the policy", async () => {
  const delays: number[] = [];
  await withRetry(async (attempt) => attempt, {
    policy: { tries: 2, baseDelayMs: 10_000, maxDelayMs: 0 },
    retryResult: () => ({ reason: '503', retryAfter: '120' }),
    onRetry: (r) => delays.push(r.delayMs),
  });
  assert.deepEqual(delays, [0]);
});

test('an aborted signal stops it with InterruptedError, before a try and during a wait', async () => {
  const stopped = new AbortController();
  stopped.abort();
  await assert.rejects(
    withRetry(async () => 1, { policy, signal: stopped.signal }),
    InterruptedError,
  );
  const during = new AbortController();
  await assert.rejects(
    withRetry(
      async () => {
        throw new Error('fail');
      },
      {
        policy: { tries: 2, baseDelayMs: 3_600_000, maxDelayMs: 3_600_000 },
        signal: during.signal,
        retryError: () => ({ reason: 'fail' }),
        onRetry: () => during.abort(),
      },
    ),
    InterruptedError,
  );
});

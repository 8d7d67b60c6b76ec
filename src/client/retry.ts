// Retry timing: exponential backoff with full jitter, and the server's
// Retry-After when it sends one (capped, so a hostile value cannot stall a run).
import { InterruptedError } from '../errors.js';

export interface RetryPolicy {
  /** Tries in all, the first included. */
  tries: number;
  /** The first backoff; each later one doubles, before jitter. */
  baseDelayMs: number;
  /** No single wait is longer than this. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { tries: 4, baseDelayMs: 500, maxDelayMs: 30_000 };

/** Milliseconds to wait before try number `attempt + 1` (attempt counts from 1). */
export function backoffDelay(policy: RetryPolicy, attempt: number, retryAfter?: string | undefined, random = Math.random): number {
  const fromServer = parseRetryAfter(retryAfter);
  if (fromServer !== undefined) return Math.min(fromServer, policy.maxDelayMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  // Half fixed, half random: spreads concurrent clients without ever waiting ~0.
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Retry-After is either seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new InterruptedError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(new InterruptedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Why a failed try may be made again. */
export interface RetryReason {
  reason: string;
  /** The server's Retry-After, when it sent one. */
  retryAfter?: string | undefined;
}

export interface RetryOptions<T> {
  policy: RetryPolicy;
  signal?: AbortSignal | undefined;
  /** Why a thrown failure may be tried again; undefined: it is thrown as it is. */
  retryError?: (err: unknown, attempt: number) => RetryReason | undefined;
  /**
   * Why a result may be tried again (a 503 answer, say); called only while
   * tries are left, so the last try's result is returned as it is.
   */
  retryResult?: (value: T, attempt: number) => Promise<RetryReason | undefined> | RetryReason | undefined;
  /** Told of each retry before its wait, to log it. */
  onRetry?: (retry: { attempt: number; tries: number; delayMs: number; reason: string }) => void;
  random?: () => number;
}

/**
 * The one retry loop: runs `run(attempt)` up to `policy.tries` times, waiting
 * by `backoffDelay` between tries; the caller says what may be retried.
 */
export async function withRetry<T>(run: (attempt: number) => Promise<T>, options: RetryOptions<T>): Promise<T> {
  const { policy, signal } = options;
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw new InterruptedError();
    let why: RetryReason | undefined;
    try {
      const value = await run(attempt);
      if (attempt >= policy.tries || !options.retryResult) return value;
      why = await options.retryResult(value, attempt);
      if (why === undefined) return value;
    } catch (err) {
      if (signal?.aborted || err instanceof InterruptedError) throw err instanceof InterruptedError ? err : new InterruptedError();
      why = attempt < policy.tries ? options.retryError?.(err, attempt) : undefined;
      if (why === undefined) throw err;
    }
    const delayMs = backoffDelay(policy, attempt, why.retryAfter, options.random);
    options.onRetry?.({ attempt, tries: policy.tries, delayMs, reason: why.reason });
    await sleep(delayMs, signal);
  }
}

export function formatDelay(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}

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

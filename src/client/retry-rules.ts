// When an HTTP request may be sent again: by its mode, the status it got or
// the way it failed. withRetry (retry.ts) times the tries; this decides them.
import type { NetworkError } from '../errors.js';

/**
 * When a request may be sent again:
 * - `idempotent`: after network errors, 429, and 5xx (500 included);
 * - `unsafe`: only when the request cannot have reached the application
 *   (connection refused, 429, 502/503/504 which a proxy or an overloaded
 *   server answers before acting);
 * - `never`: the caller decides (uploads check the server before re-sending).
 */
export type RetryMode = 'idempotent' | 'unsafe' | 'never';

const RETRY_STATUSES_UNSAFE = new Set([429, 502, 503, 504]);
const RETRY_STATUSES_IDEMPOTENT = new Set([429, 500, 502, 503, 504]);
// Failures before any byte of the request reached the server.
const NOT_SENT = new Set(['refused', 'dns', 'connect-timeout']);

/** A request's mode when it names none: reads may be repeated, writes only when they cannot have landed. */
export function retryModeOf(method: string, mode: RetryMode | undefined): RetryMode {
  return mode ?? (method === 'GET' || method === 'HEAD' ? 'idempotent' : 'unsafe');
}

export function retriesStatus(mode: RetryMode, status: number): boolean {
  if (mode === 'never') return false;
  return (mode === 'idempotent' ? RETRY_STATUSES_IDEMPOTENT : RETRY_STATUSES_UNSAFE).has(status);
}

export function retriesFailure(mode: RetryMode, failure: NetworkError): boolean {
  // A certificate, or a URL of the wrong scheme, is the same on the next try.
  if (mode === 'never' || failure.kind === 'tls' || failure.code === 'tls-port') return false;
  // A proxy that wants credentials will want them on the next try too.
  if (failure.proxy !== undefined && failure.kind === 'other') return false;
  const notSent = NOT_SENT.has(failure.kind);
  return mode === 'idempotent' || notSent;
}

// What a transport and each request are given, and what a request gives back:
// the shapes the request loop (transport.ts), its engines and the error
// mapping (http-errors.ts) share, with the silence timeout's default.
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Logger } from '../logger.js';
import type { RetryPolicy } from './retry.js';
import type { RetryMode } from './retry-rules.js';

export interface TlsOptions {
  verify: boolean;
  caFile?: string | undefined;
}

export interface TransportOptions {
  /** The API root, such as https://chacra.ceph.com. Credentials in it are ignored. */
  url: string;
  user?: string | undefined;
  key?: string | undefined;
  tls?: TlsOptions | undefined;
  /** Connections open to the server at most; requests beyond wait for one. */
  connections?: number | undefined;
  connectTimeoutMs?: number | undefined;
  /**
   * How long the server may stay silent before a try is given up (default
   * DEFAULT_TIMEOUT_MS): while the request body is sent, how long the server
   * may stop reading it; then how long it may take to start its answer, and
   * the longest pause within the answer. A slow transfer that keeps moving
   * is never cut short.
   */
  timeoutMs?: number | undefined;
  retry?: Partial<RetryPolicy> | undefined;
  logger?: Logger | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  /** For tests and embedding: a dispatcher of the caller's own. */
  dispatcher?: Dispatcher | undefined;
  /**
   * Send over node:http rather than undici's pool: a run of a handful of
   * requests is over before undici would have started. Bulk transfers gain
   * from the pool; with a proxy variable set, the pool is used anyway.
   */
  light?: boolean | undefined;
  /**
   * Keep WebAssembly on V8's baseline compiler for the rest of the process:
   * undici's parser then costs about 35 MiB less at peak (see
   * undici-engine). It sets V8 flags for the whole process, so it is for
   * programs whose process it is, such as the CLI.
   */
  baselineWasm?: boolean | undefined;
}

export interface RequestSpec {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  /** Path below the API root, already encoded, such as "binaries/ceph/". */
  path: string;
  headers?: Record<string, string>;
  /** A function so that every try gets a fresh body. */
  body?: (() => string | Buffer | AsyncIterable<Uint8Array>) | undefined;
  auth?: boolean;
  retry?: RetryMode;
  signal?: AbortSignal | undefined;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable & { text(): Promise<string>; dump(): Promise<void> };
  url: string;
}

/**
 * The default silence timeout. With the default retry policy (4 tries, backoff
 * from 500 ms), a server that accepts connections and never answers is given
 * up on after 4 × 30 s plus at most 3.5 s of backoff: about two minutes (see
 * silentServerBudgetMs). A server storing a very large upload may need longer.
 */
export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * The longest a request can take against a server that accepts connections
 * and never answers: every try waits the whole timeout, and every backoff
 * between tries is at its ceiling (no Retry-After comes from a silent server).
 */
export function silentServerBudgetMs(timeoutMs: number, policy: RetryPolicy): number {
  let total = policy.tries * timeoutMs;
  for (let attempt = 1; attempt < policy.tries; attempt++) total += Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return total;
}

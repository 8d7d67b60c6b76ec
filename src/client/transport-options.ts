// What a transport and each request are given, and what a request gives back:
// the shapes the request loop (transport.ts), its engines and the error
// mapping (http-errors.ts) share, with the timeout's and the answer bound's defaults.
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
   * may stop reading it; once it is sent, how long its answer's headers may
   * take in all, however slowly they trickle; then the longest pause within
   * the answer's body. A slow body that keeps moving is never cut short. It
   * also bounds the connect timeout.
   */
  timeoutMs?: number | undefined;
  /**
   * The most an answer read whole (a listing, a document, an error page) may
   * hold (default DEFAULT_MAX_ANSWER_BYTES); more is an UnexpectedAnswerError
   * of kind 'too-large'. Downloads are streamed, and not bound by it.
   */
  maxAnswerBytes?: number | undefined;
  retry?: Partial<RetryPolicy> | undefined;
  logger?: Logger | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  /** For tests and embedding: an undici dispatcher of the caller's own, which then carries every request. */
  dispatcher?: Dispatcher | undefined;
}

/**
 * Options for a program whose process it is, such as the CLI: not part of the
 * library's API, as they change the whole process.
 */
export interface InternalTransportOptions extends TransportOptions {
  /**
   * Keep WebAssembly on V8's baseline compiler for the rest of the process,
   * once undici is loaded (behind a proxy): its parser then costs about
   * 35 MiB less at peak (see undici-engine).
   */
  baselineWasm?: boolean | undefined;
  /** For the tests that run one misbehaving-server matrix on each engine: the engine of direct connections. */
  engine?: 'node:http' | 'undici' | undefined;
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

/** An answer read to its end, inside the try that sent the request. */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The whole body, already read: text() and dump() never touch the network. */
  body: { readonly bytes: Buffer; text(): Promise<string>; dump(): Promise<void> };
  url: string;
}

/** Kept for callers written against the name. */
export type RawResponse = Answer;

/** An answer whose body is streamed: its 'error' is always a NetworkError (or InterruptedError). */
export interface StreamedAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  stream: Readable;
  url: string;
}

/** 128 MiB: about 300,000 binaries in one listing, where a real chacra's largest hold a few thousand. */
export const DEFAULT_MAX_ANSWER_BYTES = 128 * 1024 * 1024;

export function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${+(n / 1024 / 1024).toFixed(1)} MiB` : n >= 1024 ? `${+(n / 1024).toFixed(1)} KiB` : `${n} bytes`;
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

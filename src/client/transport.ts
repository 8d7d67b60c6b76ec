// The HTTP transport: one keep-alive pool per run, credentials applied in one
// place, retries by a single policy, and every failure turned into a typed
// error that names the request without its credentials.
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { ChacraError, ConfigError, HttpError, InterruptedError, NetworkError, type ProxyInfo } from '../errors.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { DEFAULT_PORTS, headerValue, httpErrorOf, readServerMessage, TLS_CODES, toNetworkError } from './http-errors.js';
import { DEFAULT_RETRY_POLICY, formatDelay, withRetry, type RetryPolicy } from './retry.js';
import type { Engine, EngineSettings } from './wire.js';

export { headerValue, httpErrorOf, readServerMessage, serverMessageOf, toNetworkError } from './http-errors.js';

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
}

/**
 * When a request may be sent again:
 * - `idempotent`: after network errors, 429, and 5xx (500 included);
 * - `unsafe`: only when the request cannot have reached the application
 *   (connection refused, 429, 502/503/504 which a proxy or an overloaded
 *   server answers before acting);
 * - `never`: the caller decides (uploads check the server before re-sending).
 */
export type RetryMode = 'idempotent' | 'unsafe' | 'never';

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

const RETRY_STATUSES_UNSAFE = new Set([429, 502, 503, 504]);
const RETRY_STATUSES_IDEMPOTENT = new Set([429, 500, 502, 503, 504]);
// Errors raised before any byte of the request reached the server.
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

export class Transport {
  readonly baseUrl: string;
  readonly logger: Logger;
  readonly retryPolicy: RetryPolicy;
  private readonly authorization: string | undefined;
  private readonly engine: Promise<Engine>;
  private readonly ownsDispatcher: boolean;
  private readonly proxies: ProxyEnvironment;
  private readonly timeoutMs: number;
  /** Requests sent, tries included: the figure the benchmarks and tests count. */
  requestCount = 0;

  constructor(options: TransportOptions) {
    const url = new URL(options.url);
    url.username = '';
    url.password = '';
    this.baseUrl = url.toString().replace(/\/+$/, '') + '/';
    this.logger = options.logger ?? silentLogger;
    this.retryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    if (options.user !== undefined && options.key !== undefined)
      this.authorization = 'Basic ' + Buffer.from(`${options.user}:${options.key}`).toString('base64');
    this.ownsDispatcher = options.dispatcher === undefined;
    this.proxies = proxyEnvironment(options.env ?? process.env);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.engine = createEngine(options, engineSettings(options), this.proxies);
    // Nothing is sent before a first request awaits it; a failed load is that request's error.
    this.engine.catch(() => undefined);
  }

  /** The URL of a path, for messages: it never holds credentials. */
  urlOf(path: string): string {
    return this.baseUrl + path;
  }

  async close(): Promise<void> {
    await (await this.engine.catch(() => undefined))?.close();
  }

  /** Sends a request, retrying as its mode allows; any status comes back to the caller. */
  async send(spec: RequestSpec): Promise<RawResponse> {
    const url = this.urlOf(spec.path);
    const mode = spec.retry ?? (spec.method === 'GET' || spec.method === 'HEAD' ? 'idempotent' : 'unsafe');
    const statuses = mode === 'idempotent' ? RETRY_STATUSES_IDEMPOTENT : mode === 'unsafe' ? RETRY_STATUSES_UNSAFE : undefined;
    return withRetry(
      async () => {
        try {
          return await this.sendOnce(spec, url);
        } catch (err) {
          // A local failure (a file changed under the upload, an interruption) is not the network's.
          if (err instanceof ChacraError && !(err instanceof NetworkError)) throw err;
          throw toNetworkError(
            err,
            spec.method,
            url,
            this.ownsDispatcher ? proxyFor(url, this.proxies) : undefined,
            this.ownsDispatcher ? this.timeoutMs : undefined,
          );
        }
      },
      {
        policy: this.retryPolicy,
        signal: spec.signal,
        retryError: (err) => {
          const failure = err as NetworkError;
          if (!(failure instanceof NetworkError) || mode === 'never' || TLS_CODES.has(failure.code ?? '')) return undefined;
          // A proxy that wants credentials will want them on the next try too.
          if (failure.proxy !== undefined && failure.kind === 'other') return undefined;
          const notSent = NOT_SENT_CODES.has(failure.code ?? '') || (failure.proxy !== undefined && failure.kind === 'refused');
          return mode === 'idempotent' || notSent ? { reason: failure.reason } : undefined;
        },
        retryResult: async (response) => {
          if (!statuses?.has(response.status)) return undefined;
          const message = await readServerMessage(response).catch(() => undefined);
          return { reason: `answered ${response.status}${message ? ` (${message})` : ''}`, retryAfter: headerValue(response.headers['retry-after']) };
        },
        onRetry: ({ attempt, tries, delayMs, reason }) =>
          this.logger.info(`retrying ${spec.method} ${url} in ${formatDelay(delayMs)} (try ${attempt + 1} of ${tries}): ${reason}`),
      },
    );
  }

  private async sendOnce(spec: RequestSpec, url: string): Promise<RawResponse> {
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...spec.headers };
    if (spec.auth && this.authorization) headers.authorization = this.authorization;
    const started = performance.now();
    this.requestCount++;
    const engine = await this.engine;
    const res = await engine.send({ url: new URL(url), method: spec.method, headers, body: spec.body?.(), signal: spec.signal }).catch((err: unknown) => {
      if (spec.signal?.aborted) throw new InterruptedError();
      throw err;
    });
    this.logger.debug(`${spec.method} ${url} -> ${res.status} (${Math.round(performance.now() - started)} ms)`);
    return { status: res.status, headers: res.headers, body: res.body, url };
  }

  /** Sends, then reads a JSON answer when the status is one of `ok`; other statuses throw HttpError. */
  async json<T>(spec: RequestSpec, ok: readonly number[] = [200]): Promise<{ status: number; data: T }> {
    const res = await this.send(spec);
    if (!ok.includes(res.status)) throw await httpErrorOf(res, spec.method);
    return { status: res.status, data: await readJson<T>(res, spec.method) };
  }

  /** Sends a GET; undefined on 404, the JSON body on 200, HttpError otherwise. */
  async jsonOrMissing<T>(spec: RequestSpec): Promise<T | undefined> {
    const res = await this.send(spec);
    if (res.status === 404) {
      await res.body.dump();
      return undefined;
    }
    if (res.status !== 200) throw await httpErrorOf(res, spec.method);
    return readJson<T>(res, spec.method);
  }
}

async function readJson<T>(res: RawResponse, method: string): Promise<T> {
  const text = await res.body.text();
  try {
    return (text === '' ? null : JSON.parse(text)) as T;
  } catch {
    throw new HttpError(
      { method, url: res.url, status: res.status, hint: 'is the url that of a chacra server, and is no proxy answering in its place?' },
      `${method} ${res.url} answered ${res.status} with a body that is not JSON: ${JSON.stringify(text.slice(0, 80))}`,
    );
  }
}

const USER_AGENT = 'chacractl (node)';

/** The engine's settings; a CA bundle that cannot be read is a ConfigError at once, not at the first request. */
function engineSettings(options: TransportOptions): EngineSettings {
  const tls = options.tls ?? { verify: true };
  let ca: Buffer | undefined;
  if (tls.caFile !== undefined) {
    try {
      ca = readFileSync(tls.caFile);
    } catch (err) {
      throw new ConfigError(`cannot read the CA bundle ${tls.caFile}: ${(err as NodeJS.ErrnoException).code ?? err}`, {
        setting: 'ca',
        hint: 'give the path of a PEM file of CA certificates',
      });
    }
  }
  return {
    connections: options.connections ?? 8,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    verify: tls.verify,
    ca,
  };
}

async function createEngine(options: TransportOptions, settings: EngineSettings, proxies: ProxyEnvironment): Promise<Engine> {
  const proxied = proxies.http !== undefined || proxies.https !== undefined;
  if (options.light && !proxied && options.dispatcher === undefined) return (await import('./light-transport.js')).lightEngine(settings);
  const { undiciEngine } = await import('./undici-engine.js');
  const urls = proxied ? { http: proxies.http?.url, https: proxies.https?.url, noProxy: proxies.noProxy } : undefined;
  return undiciEngine(settings, urls, options.dispatcher);
}

interface ProxySetting {
  url: string;
  variable: string;
}

/** The proxies an environment names, read as undici's EnvHttpProxyAgent reads them. */
interface ProxyEnvironment {
  http: ProxySetting | undefined;
  https: ProxySetting | undefined;
  noProxy: string;
}

function proxyEnvironment(env: NodeJS.ProcessEnv): ProxyEnvironment {
  // The lower-case name wins when both are set, even when empty, as in undici.
  const pick = (lower: string, upper: string): ProxySetting | undefined => {
    const variable = env[lower] !== undefined ? lower : upper;
    const url = env[variable];
    return url ? { url, variable } : undefined;
  };
  return { http: pick('http_proxy', 'HTTP_PROXY'), https: pick('https_proxy', 'HTTPS_PROXY'), noProxy: env.no_proxy ?? env.NO_PROXY ?? '' };
}

/** The proxy a request to `url` goes through, if any: the choice EnvHttpProxyAgent makes. */
function proxyFor(url: string, proxies: ProxyEnvironment): ProxyInfo | undefined {
  const target = new URL(url);
  const setting = target.protocol === 'https:' ? (proxies.https ?? proxies.http) : proxies.http;
  if (!setting) return undefined;
  const hostname = target.hostname.toLowerCase();
  const port = Number(target.port) || DEFAULT_PORTS[target.protocol] || 0;
  if (proxies.noProxy.trim() === '*') return undefined;
  for (const entry of proxies.noProxy.split(/[,\s]/)) {
    if (!entry) continue;
    const m = /^(.+):(\d+)$/.exec(entry);
    const host = (m ? m[1]! : entry).replace(/^\*?\./, '').toLowerCase();
    if (m && Number(m[2]) !== port) continue;
    if (hostname === host || hostname.endsWith(`.${host}`)) return undefined;
  }
  let host = setting.url;
  try {
    const p = new URL(setting.url);
    host = `${p.hostname}:${p.port || DEFAULT_PORTS[p.protocol] || ''}`;
  } catch {
    // undici refuses it too; name it as it was given, which holds no credentials we could strip
    host = setting.url.replace(/^[^@/]*@/, '');
  }
  return { host, variable: setting.variable };
}

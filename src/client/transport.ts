// The HTTP transport: one keep-alive pool per run, credentials applied in one
// place, retries by a single policy, and every failure turned into a typed
// error that names the request without its credentials.
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import Agent from 'undici/lib/dispatcher/agent.js';
import apiRequest from 'undici/lib/api/api-request.js';
import { ChacraError, ConfigError, HttpError, InterruptedError, NetworkError, type NetworkFailure, type ProxyInfo } from '../errors.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { DEFAULT_RETRY_POLICY, formatDelay, withRetry, type RetryPolicy } from './retry.js';

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
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_NOT_YET_VALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

export class Transport {
  readonly baseUrl: string;
  readonly logger: Logger;
  readonly retryPolicy: RetryPolicy;
  private readonly authorization: string | undefined;
  private readonly dispatcher: Dispatcher | Promise<Dispatcher>;
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
    this.dispatcher = options.dispatcher ?? createDispatcher(options, this.proxies);
  }

  /** The URL of a path, for messages: it never holds credentials. */
  urlOf(path: string): string {
    return this.baseUrl + path;
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await (await this.dispatcher).close();
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
    const target = new URL(url);
    const res = await apiRequest
      .call(await this.dispatcher, {
        origin: target.origin,
        path: target.pathname + target.search,
        method: spec.method,
        headers,
        body: bodyOf(spec.body?.()),
        signal: spec.signal,
      })
      .catch((err: unknown) => {
        if (spec.signal?.aborted) throw new InterruptedError();
        throw err;
      });
    this.logger.debug(`${spec.method} ${url} -> ${res.statusCode} (${Math.round(performance.now() - started)} ms)`);
    return { status: res.statusCode, headers: res.headers, body: res.body as RawResponse['body'], url };
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

function bodyOf(body: string | Buffer | AsyncIterable<Uint8Array> | undefined): string | Buffer | Readable | null {
  if (body === undefined) return null;
  if (typeof body === 'string' || Buffer.isBuffer(body)) return body;
  return Readable.from(body, { objectMode: false });
}

function createDispatcher(options: TransportOptions, proxies: ProxyEnvironment): Dispatcher | Promise<Dispatcher> {
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
  const connect = {
    timeout: options.connectTimeoutMs ?? 10_000,
    rejectUnauthorized: tls.verify,
    ...(ca ? { ca } : {}),
  };
  const common = {
    connections: options.connections ?? 8,
    keepAliveTimeout: 30_000,
    // Both are silence timeouts (undici re-arms them as bytes move): the
    // headers timeout also runs while the body is sent, and fires only when
    // the server has stopped reading it for that long.
    headersTimeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    bodyTimeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    connect,
  };
  if (!proxies.http && !proxies.https) return new Agent(common);
  // The proxy agents need undici whole (its index adds connect() to every dispatcher).
  return import('undici').then(
    ({ EnvHttpProxyAgent }) =>
      new EnvHttpProxyAgent({
        ...common,
        requestTls: connect,
        // '' rather than undefined: undici would read process.env in its place.
        httpProxy: proxies.http?.url ?? '',
        httpsProxy: proxies.https?.url ?? '',
        noProxy: proxies.noProxy,
      }),
  );
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

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

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

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The server's own words: the JSON `message`, or the title of an HTML page. */
export async function readServerMessage(res: RawResponse): Promise<string | undefined> {
  const text = await res.body.text();
  return serverMessageOf(text, headerValue(res.headers['content-type']));
}

export function serverMessageOf(text: string, contentType: string | undefined): string | undefined {
  if (text.trim() === '') return undefined;
  if (contentType?.includes('json') || /^\s*[{[]/.test(text)) {
    try {
      const parsed = JSON.parse(text) as { message?: unknown };
      if (parsed && typeof parsed.message === 'string') return parsed.message;
    } catch {
      // not JSON after all: fall through to HTML and text
    }
  }
  // webob answers a client that asks for no HTML in plain text: "404 Not Found", the explanation, the detail.
  const plainPage = /^(\d{3} [^\n]+)\n\n[^\n]*(?:\n\n\s*([^\n]*\S))?/.exec(text);
  if (plainPage && !text.includes('<')) return plainPage[2] ? `${plainPage[1]}: ${plainPage[2].trim()}` : plainPage[1];
  const title = /<title>([^<]*)<\/title>/i.exec(text);
  // webob's error pages (chacra's and shaman's) put the application's words after two line breaks.
  const detail = /<br \/><br \/>([^<]*)<\/body>/i.exec(text)?.[1]?.trim();
  if (title?.[1]) return detail ? `${title[1].trim()}: ${detail}` : title[1].trim();
  const plain = text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return plain.length > 200 ? plain.slice(0, 200) + '…' : plain || undefined;
}

export async function httpErrorOf(res: RawResponse, method: string, hint?: string): Promise<HttpError> {
  const serverMessage = method === 'HEAD' ? undefined : await readServerMessage(res).catch(() => undefined);
  if (method === 'HEAD') await res.body.dump().catch(() => undefined);
  return new HttpError({ method, url: res.url, status: res.status, serverMessage, hint });
}

/**
 * A failure as a NetworkError that says what went wrong. `proxy` is the proxy
 * the request went through: failures to reach it, or to open a tunnel through
 * it, are then put on the proxy, not on the server. `timeoutMs`: the silence
 * timeout, for the message.
 */
export function toNetworkError(err: unknown, method: string, url: string, proxy?: ProxyInfo, timeoutMs?: number): NetworkError {
  if (err instanceof NetworkError) return err;
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = e?.code && e.code !== 'UND_ERR_SOCKET' ? e.code : (e?.cause?.code ?? e?.code);
  const target = new URL(url);
  const origin = target.host;
  const failure = (kind: NetworkFailure, reason: string, hint?: string) => new NetworkError({ method, url, code, kind, reason, hint, cause: err });
  if (proxy) {
    const blame = (kind: NetworkFailure, reason: string, hint: string) => new NetworkError({ method, url, code, kind, reason, hint, cause: err, proxy });
    const tunnel = /Proxy response \((\d+)\) !== 200/.exec(e?.message ?? '');
    if (tunnel) {
      const status = Number(tunnel[1]);
      const to = `${target.hostname}:${target.port || DEFAULT_PORTS[target.protocol]}`;
      if (status === 407)
        return blame('other', `the proxy ${proxy.host} wants credentials (answered 407 to CONNECT ${to})`, "give the proxy's user and password in its URL");
      return blame(
        'refused',
        `the proxy ${proxy.host} could not open a tunnel to ${to} (answered ${status} to CONNECT)`,
        'the proxy could not reach the server: check the url, or whether this host should bypass the proxy',
      );
    }
    switch (code) {
      case 'ECONNREFUSED':
        return blame('refused', `connection refused by the proxy ${proxy.host}`, "is the proxy running, and is the proxy's address right?");
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return blame('dns', `cannot resolve the host of the proxy ${proxy.host}`, "check the proxy's address and your DNS");
      case 'UND_ERR_CONNECT_TIMEOUT':
      case 'EHOSTUNREACH':
      case 'ENETUNREACH':
        return blame('connect-timeout', `cannot connect to the proxy ${proxy.host} (${code})`, "check the proxy's address and the network to it");
    }
  }
  switch (code) {
    case 'ECONNREFUSED':
      return failure('refused', `connection refused by ${origin}`, 'is the server running, and is the url right?');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return failure('dns', `cannot resolve the host ${new URL(url).hostname}`, 'check the url and your DNS');
    case 'UND_ERR_CONNECT_TIMEOUT':
      return failure('connect-timeout', `timed out connecting to ${origin}`, 'check the url and the network between here and the server');
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return failure(
        'timeout',
        `the server stopped answering: nothing came${timeoutMs === undefined ? '' : ` for ${formatDelay(timeoutMs)}`} (timeout)`,
        'the server may be slow: allow it a longer timeout',
      );
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'EPIPE':
      return failure('closed', 'the connection was closed by the server');
    default:
      if (code && TLS_CODES.has(code))
        return failure('tls', `TLS certificate check failed (${code})`, "give the CA bundle that signed the server's certificate");
      return failure('other', e?.message ?? String(err));
  }
}

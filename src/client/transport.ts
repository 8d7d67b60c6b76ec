// The HTTP transport: one keep-alive pool per run, credentials applied in one
// place, retries by a single policy, and every failure turned into a typed
// error that names the request without its credentials. What it is given is
// in transport-options.ts, when it retries in retry-rules.ts, which proxy a
// request goes through in proxy-env.ts.
import { readFileSync } from 'node:fs';
import { ChacraError, ConfigError, HttpError, InterruptedError, NetworkError } from '../errors.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { headerValue, httpErrorOf, readServerMessage, toNetworkError } from './http-errors.js';
import { type ProxyEnvironment, proxyEnvironment, proxyFor } from './proxy-env.js';
import { DEFAULT_RETRY_POLICY, formatDelay, type RetryPolicy, withRetry } from './retry.js';
import { retriesFailure, retriesStatus, retryModeOf } from './retry-rules.js';
import { DEFAULT_TIMEOUT_MS, type RawResponse, type RequestSpec, type TransportOptions } from './transport-options.js';
import { type Engine, type EngineSettings, streamedOverNodeHttp } from './wire.js';

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
    const mode = retryModeOf(spec.method, spec.retry);
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
        retryError: (err) => (err instanceof NetworkError && retriesFailure(mode, err) ? { reason: err.reason } : undefined),
        retryResult: async (response) => {
          if (!retriesStatus(mode, response.status)) return undefined;
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
    baselineWasm: options.baselineWasm === true,
  };
}

async function createEngine(options: TransportOptions, settings: EngineSettings, proxies: ProxyEnvironment): Promise<Engine> {
  const proxied = proxies.http !== undefined || proxies.https !== undefined;
  if (options.light && !proxied && options.dispatcher === undefined) return (await import('./light-transport.js')).lightEngine(settings);
  const { undiciEngine } = await import('./undici-engine.js');
  const urls = proxied ? { http: proxies.http?.url, https: proxies.https?.url, noProxy: proxies.noProxy } : undefined;
  const pool = undiciEngine(settings, urls, options.dispatcher);
  // Through a proxy, or a dispatcher of the caller's, a streamed file stays with undici, a fresh buffer per chunk.
  return proxied || options.dispatcher !== undefined ? pool : streamedOverNodeHttp(pool, settings);
}

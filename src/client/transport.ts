// The HTTP transport: one engine and one connection budget per client,
// credentials applied in one place, retries by a single policy, and the whole
// exchange (connect, send, headers, the body to its end) one try, so that
// every failure becomes a typed error that names the request without its
// credentials. What it is given is in transport-options.ts, when it retries
// in retry-rules.ts, which proxy a request goes through in proxy-env.ts,
// how a streamed answer fails in streamed-answer.ts.
import { readFileSync } from 'node:fs';
import { ChacraError, ConfigError, HttpError, InterruptedError, NetworkError, UnexpectedAnswerError } from '../errors.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { headerValue, httpErrorOf, readServerMessage, toNetworkError } from './http-errors.js';
import { type ProxyEnvironment, proxyEnvironment, proxyFor } from './proxy-env.js';
import { DEFAULT_RETRY_POLICY, formatDelay, type RetryPolicy, withRetry } from './retry.js';
import { retriesFailure, retriesStatus, retryModeOf } from './retry-rules.js';
import { guardedBody } from './streamed-answer.js';
import {
  type Answer,
  DEFAULT_MAX_ANSWER_BYTES,
  DEFAULT_TIMEOUT_MS,
  formatBytes,
  type InternalTransportOptions,
  type RequestSpec,
  type StreamedAnswer,
  type TransportOptions,
} from './transport-options.js';
import { speaksTls } from './port-probe.js';
import { type Engine, EngineError, type EngineSettings, type WireResponse } from './wire.js';

export class Transport {
  readonly baseUrl: string;
  readonly logger: Logger;
  readonly retryPolicy: RetryPolicy;
  private readonly authorization: string | undefined;
  private readonly engine: Promise<Engine>;
  private readonly ownsDispatcher: boolean;
  private readonly proxies: ProxyEnvironment;
  private readonly timeoutMs: number;
  private readonly maxAnswerBytes: number;
  /** Requests sent, tries included: the figure the benchmarks and tests count. */
  requestCount = 0;

  constructor(options: TransportOptions) {
    const url = clientUrl(options.url);
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
    this.maxAnswerBytes = options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;
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

  /**
   * Sends a request and reads its answer to the end (at most maxAnswerBytes),
   * retrying as its mode allows; any status comes back to the caller.
   */
  send(spec: RequestSpec): Promise<Answer> {
    return this.exchange(spec, undefined) as Promise<Answer>;
  }

  /**
   * Sends a GET whose answer, when its status is one of `ok`, is streamed to
   * the caller, who must read or destroy it: its failures (a cut, a stall, a
   * length that is not its Content-Length) come as a NetworkError on the
   * stream's 'error'. Any other status is read, retried as a send would be,
   * and thrown as an HttpError.
   */
  async stream(spec: RequestSpec, ok: readonly number[] = [200]): Promise<StreamedAnswer> {
    const res = await this.exchange(spec, ok);
    if (!('stream' in res)) throw await httpErrorOf(res, spec.method);
    return res;
  }

  /** Sends, then parses a JSON answer when the status is one of `ok`; other statuses throw HttpError. */
  async json<T>(spec: RequestSpec, ok: readonly number[] = [200]): Promise<{ status: number; data: T }> {
    const res = await this.send(spec);
    if (!ok.includes(res.status)) throw await httpErrorOf(res, spec.method);
    return { status: res.status, data: parseJson<T>(res, spec.method) };
  }

  /** Sends a GET; undefined on 404, the JSON body on 200, HttpError otherwise. */
  async jsonOrMissing<T>(spec: RequestSpec): Promise<T | undefined> {
    const res = await this.send(spec);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw await httpErrorOf(res, spec.method);
    return parseJson<T>(res, spec.method);
  }

  /** The text of an answer whose status is one of `ok`; undefined on 404; HttpError otherwise. */
  async text(spec: RequestSpec, ok: readonly number[] = [200]): Promise<string | undefined> {
    const res = await this.send(spec);
    if (res.status === 404) return undefined;
    if (!ok.includes(res.status)) throw await httpErrorOf(res, spec.method);
    return res.body.bytes.toString('utf8');
  }

  /** The retry loop around one exchange; `streamOk`: the statuses whose body is streamed rather than read. */
  private async exchange(spec: RequestSpec, streamOk: readonly number[] | undefined): Promise<Answer | StreamedAnswer> {
    const url = this.urlOf(spec.path);
    const mode = retryModeOf(spec.method, spec.retry);
    return withRetry(() => this.exchangeOnce(spec, url, streamOk), {
      policy: this.retryPolicy,
      signal: spec.signal,
      retryError: (err) => (err instanceof NetworkError && retriesFailure(mode, err) ? { reason: err.reason } : undefined),
      retryResult: (res) => {
        if ('stream' in res || !retriesStatus(mode, res.status)) return undefined;
        const message = readServerMessage(res);
        return { reason: `answered ${res.status}${message ? ` (${message})` : ''}`, retryAfter: headerValue(res.headers['retry-after']) };
      },
      onRetry: ({ attempt, tries, delayMs, reason }) =>
        this.logger.info(`retrying ${spec.method} ${url} in ${formatDelay(delayMs)} (try ${attempt + 1} of ${tries}): ${reason}`),
    });
  }

  private async exchangeOnce(spec: RequestSpec, url: string, streamOk: readonly number[] | undefined): Promise<Answer | StreamedAnswer> {
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...spec.headers };
    if (spec.auth && this.authorization) headers.authorization = this.authorization;
    const started = performance.now();
    this.requestCount++;
    let engine: Engine | undefined;
    const networkError = (err: unknown): NetworkError =>
      toNetworkError(
        engine ? engine.failureOf(err) : err,
        spec.method,
        url,
        this.ownsDispatcher ? proxyFor(url, this.proxies) : undefined,
        this.ownsDispatcher ? this.timeoutMs : undefined,
      );
    try {
      engine = await this.engine;
      const res = await engine.send({ url: new URL(url), method: spec.method, headers, body: spec.body?.(), signal: spec.signal });
      this.logger.debug(`${spec.method} ${url} -> ${res.status} (${Math.round(performance.now() - started)} ms)`);
      if (streamOk?.includes(res.status)) return { status: res.status, headers: res.headers, url, stream: guardedBody(res, networkError, spec.signal) };
      const bytes = await this.readAnswer(res, spec.method, url);
      if (res.status === 400 && (await answeredOnTlsPort(url, spec.method, bytes)))
        throw new EngineError('tls-port', 'the front server answered that the port speaks TLS');
      return { status: res.status, headers: res.headers, url, body: bufferedBody(bytes) };
    } catch (err) {
      if (spec.signal?.aborted) throw new InterruptedError();
      // A local failure (a file changed under the upload, an answer too large) is not the network's.
      if (err instanceof ChacraError && !(err instanceof NetworkError)) throw err;
      throw networkError(err);
    }
  }

  /** The whole body, or an UnexpectedAnswerError past maxAnswerBytes (the connection is then dropped). */
  private async readAnswer(res: WireResponse, method: string, url: string): Promise<Buffer> {
    const declared = Number(headerValue(res.headers['content-length']));
    const tooLarge = () => {
      res.body.destroy();
      return new UnexpectedAnswerError(
        { method, url, status: res.status, kind: 'too-large' },
        `${method} ${url} answered ${res.status} with more than ${formatBytes(this.maxAnswerBytes)}, the most an answer may hold here (maxAnswerBytes)`,
      );
    };
    if (method !== 'HEAD' && declared > this.maxAnswerBytes) throw tooLarge();
    // A declared length is read into one buffer of that size: chunks and their concatenation are never held together (#23).
    if (method !== 'HEAD' && declared > 0) return readDeclared(res.body, declared);
    const chunks: Buffer[] = [];
    let length = 0;
    for await (const chunk of res.body) {
      length += (chunk as Buffer).length;
      if (length > this.maxAnswerBytes) throw tooLarge();
      chunks.push(chunk as Buffer);
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
  }
}

/**
 * A body of a declared length, read into one buffer; what comes past the
 * declared length is dropped here, as the engines report a body longer or
 * shorter than its Content-Length as a failure of the stream.
 */
async function readDeclared(body: AsyncIterable<unknown>, declared: number): Promise<Buffer> {
  const bytes = Buffer.allocUnsafe(declared);
  let length = 0;
  for await (const chunk of body) {
    const c = chunk as Buffer;
    length += c.copy(bytes, length);
  }
  return length === declared ? bytes : bytes.subarray(0, length);
}

function bufferedBody(bytes: Buffer): Answer['body'] {
  return {
    bytes,
    text: async () => bytes.toString('utf8'),
    dump: async () => undefined,
  };
}

/** The JSON of an answer; an empty body or one that is not JSON is an UnexpectedAnswerError. */
export function parseJson<T>(res: Answer, method: string): T {
  const text = res.body.bytes.toString('utf8');
  if (text.trim() === '')
    throw new UnexpectedAnswerError(
      { method, url: res.url, status: res.status, kind: 'empty' },
      `${method} ${res.url} answered ${res.status} with an empty body where JSON was due`,
    );
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new UnexpectedAnswerError(
      { method, url: res.url, status: res.status, kind: 'not-json' },
      `${method} ${res.url} answered ${res.status} with a body that is not JSON: ${JSON.stringify(text.slice(0, 80))}`,
    );
  }
}

/**
 * nginx's answer to plain HTTP on its TLS port (chacra's deployment): a 400
 * page, not a TLS record, so only its words tell that the scheme is wrong.
 */
const TLS_PORT_PAGE = /The plain HTTP request was sent to HTTPS port/i;

/** Whether a 400 to an http:// URL is nginx saying its port speaks TLS: by its page, or, to a HEAD (no page), by a handshake. */
async function answeredOnTlsPort(url: string, method: string, page: Buffer): Promise<boolean> {
  if (!url.startsWith('http:')) return false;
  if (TLS_PORT_PAGE.test(page.toString('latin1', 0, 4096))) return true;
  if (method !== 'HEAD' || page.length > 0) return false;
  const { hostname, port } = new URL(url);
  const host = hostname.replace(/^\[|\]$/g, '');
  return speaksTls(host, Number(port || 80), host);
}

const USER_AGENT = 'chacractl (node)';

/** The server's URL: an http(s) URL with a host, or a ConfigError that never repeats it (it may hold credentials). */
function clientUrl(text: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    // said below
  }
  if (url && (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '') return url;
  throw new ConfigError(url ? `the server url is not an http(s) URL with a host (${url.protocol})` : 'the server url is not a URL', {
    setting: 'url',
    hint: 'give the url as https://HOST/ or http://HOST:PORT/',
  });
}

/** The engine's settings; a CA bundle that cannot be read is a ConfigError at once, not at the first request. */
function engineSettings(options: InternalTransportOptions): EngineSettings {
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

/**
 * One engine per client. node:http for direct connections: it starts at
 * once, writes a streamed file from reused buffers, and closes cleanly when
 * the server closes after its answer (undici 7 crashes there: #20,
 * nodejs/undici#5360). undici behind a proxy, which node:http cannot use,
 * and over a dispatcher a caller gives.
 */
async function createEngine(options: InternalTransportOptions, settings: EngineSettings, proxies: ProxyEnvironment): Promise<Engine> {
  const proxied = proxies.http !== undefined || proxies.https !== undefined;
  if (!proxied && options.dispatcher === undefined && options.engine !== 'undici') return (await import('./light-transport.js')).nodeHttpEngine(settings);
  const { undiciEngine } = await import('./undici-engine.js');
  const urls = proxied ? { http: proxies.http?.url, https: proxies.https?.url, noProxy: proxies.noProxy } : undefined;
  try {
    return undiciEngine(settings, urls, options.dispatcher);
  } catch (err) {
    // A proxy URL undici cannot use fails every request alike: the setting's fault, not the network's, and no retry mends it.
    if (!proxied || options.dispatcher !== undefined) throw err;
    throw unusableProxy(proxies, err);
  }
}

/** The variable whose proxy URL is no http(s) URL, named without its value: the URL may hold credentials. */
function unusableProxy(proxies: ProxyEnvironment, err: unknown): ConfigError {
  const usable = (url: string) => {
    try {
      return ['http:', 'https:'].includes(new URL(url).protocol);
    } catch {
      return false;
    }
  };
  const bad = [proxies.http, proxies.https].filter((p) => p !== undefined && !usable(p.url)).map((p) => p!.variable);
  const named = bad.length ? bad.join(' and ') : [proxies.http?.variable, proxies.https?.variable].filter(Boolean).join(' and ');
  return new ConfigError(`the proxy in ${named} is not a usable URL (${(err as Error)?.message ?? String(err)})`, {
    setting: bad[0] ?? proxies.http?.variable ?? proxies.https?.variable,
    hint: `give ${named} as http://HOST:PORT/, or unset it`,
    cause: err,
  });
}

export { HttpError };

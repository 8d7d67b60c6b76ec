// The engine behind an HTTP(S) proxy (EnvHttpProxyAgent, which node:http has
// no match for), or over a dispatcher a library caller gives. Loaded only by
// the runs that use it: undici's start-up (its WebAssembly HTTP parser) costs
// more than a command of a handful of requests takes in all. Its errors are
// translated into the engines' shared vocabulary (wire.ts).
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { Agent, type Dispatcher, EnvHttpProxyAgent, request } from 'undici';
import { type Engine, EngineError, type EngineSettings } from './wire.js';

export interface ProxyUrls {
  http: string | undefined;
  https: string | undefined;
  noProxy: string;
}

export function undiciEngine(settings: EngineSettings, proxies: ProxyUrls | undefined, given?: Dispatcher): Engine {
  const dispatcher = given ?? createDispatcher(settings, proxies);
  if (settings.baselineWasm) keepWasmOnBaselineCode();
  return {
    async send({ url, method, headers, body, signal }) {
      const res = await request(url, {
        dispatcher,
        method: method as Dispatcher.HttpMethod,
        headers,
        body: body === undefined || typeof body === 'string' || Buffer.isBuffer(body) ? (body ?? null) : Readable.from(body, { objectMode: false }),
        signal,
      });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    },
    failureOf: undiciFailureOf,
    // A caller's own dispatcher is the caller's to close.
    close: () => (given ? Promise.resolve() : dispatcher.close()),
  };
}

/** undici's own errors in the shared words; the OS's and TLS's pass as they are. */
export function undiciFailureOf(err: unknown): unknown {
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException; data?: string };
  switch (e?.code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new EngineError('connect-timeout', 'connect timeout');
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new EngineError('headers-timeout', 'the answer did not come in time');
    case 'UND_ERR_BODY_TIMEOUT':
      return new EngineError('silence', 'the server stayed silent');
    case 'UND_ERR_SOCKET':
      // The OS's reason when there is one (ECONNRESET), else the other side closed.
      return typeof e.cause?.code === 'string' ? e.cause : new EngineError('closed', 'the connection was closed before the end of the answer');
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return new EngineError('protocol', "the answer's length is not its Content-Length");
    case 'UND_ERR_ABORTED': {
      const tunnel = /Proxy response \((\d+)\) !== 200/.exec(e.message);
      return tunnel ? new EngineError('tunnel', e.message, Number(tunnel[1])) : err;
    }
  }
  if ((typeof e?.code === 'string' && e.code.startsWith('HPE_')) || (e as Error | undefined)?.name === 'HTTPParserError') {
    if (typeof e.data === 'string' && /^[\x15\x16]\x03/.test(e.data)) return new EngineError('tls-port', 'the server answered in TLS');
    const why = typeof e.code === 'string' ? e.code.slice(4).toLowerCase().replace(/_/g, ' ') : (/\(([^)]*)\)$/.exec(e.message)?.[1] ?? e.message);
    return new EngineError('protocol', `the answer is not valid HTTP (${why.toLowerCase()})`);
  }
  return err;
}

/**
 * #13: V8 moves undici's WebAssembly parser to its optimizing compiler after
 * one request, and that compile alone lifts a run's peak memory by about
 * 35 MiB (one GET: 99 MiB, 64 without it; 300 uploads: 103, 82 without),
 * a third of all a 1 GiB upload needs. chacra's answers are small: the
 * baseline code parses them in no measurable time. Both flags, as either
 * alone still tiers up; for the whole process, as V8 reads them whenever a
 * function is compiled: hence only when the process is ours.
 */
function keepWasmOnBaselineCode(): void {
  if (baselineSet || process.execArgv.some((arg) => /wasm[-_](tier[-_]up|dynamic[-_]tiering)/.test(arg))) return;
  baselineSet = true;
  setFlagsFromString('--no-wasm-tier-up');
  setFlagsFromString('--no-wasm-dynamic-tiering');
}
let baselineSet = false;

function createDispatcher(settings: EngineSettings, proxies: ProxyUrls | undefined): Dispatcher {
  const connect = {
    timeout: Math.min(settings.connectTimeoutMs, settings.timeoutMs),
    rejectUnauthorized: settings.verify,
    ...(settings.ca ? { ca: settings.ca } : {}),
  };
  const common = {
    connections: settings.connections,
    keepAliveTimeout: 30_000,
    // The headers timeout counts from the request's last byte to the
    // headers' last (re-armed only while the body is sent); the body timeout
    // is a silence timeout, re-armed as bytes come.
    headersTimeout: settings.timeoutMs,
    bodyTimeout: settings.timeoutMs,
    connect,
  };
  if (!proxies) return new Agent(common);
  return new EnvHttpProxyAgent({
    ...common,
    requestTls: connect,
    // '' rather than undefined: undici would read process.env in its place.
    httpProxy: proxies.http ?? '',
    httpsProxy: proxies.https ?? '',
    noProxy: proxies.noProxy,
  });
}

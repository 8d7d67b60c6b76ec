// The keep-alive undici pool: connections reused across a run's many
// requests, and the engine for proxies (EnvHttpProxyAgent). Loaded only by the
// runs that use it: undici's start-up (its WebAssembly HTTP parser) costs
// more than a command of a handful of requests takes in all.
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { Agent, type Dispatcher, EnvHttpProxyAgent, request } from 'undici';
import type { Engine, EngineSettings, WireBody } from './wire.js';

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
      return { status: res.statusCode, headers: res.headers, body: res.body as unknown as WireBody };
    },
    // A caller's own dispatcher is the caller's to close.
    close: () => (given ? Promise.resolve() : dispatcher.close()),
  };
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
  const connect = { timeout: settings.connectTimeoutMs, rejectUnauthorized: settings.verify, ...(settings.ca ? { ca: settings.ca } : {}) };
  const common = {
    connections: settings.connections,
    keepAliveTimeout: 30_000,
    // Both are silence timeouts (undici re-arms them as bytes move): the
    // headers timeout also runs while the body is sent, and fires only when
    // the server has stopped reading it for that long.
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

// The engine of direct connections, over node:http and node:https: nothing to
// load but what Node has loaded already, one keep-alive agent per scheme and
// client whose cap is the client's connection budget, and a streamed file
// written from a few reused buffers (#13). Its failures are translated into
// the engines' shared vocabulary (wire.ts): the time to the headers is
// bounded, a cut or malformed answer says so, and a URL of the wrong scheme
// is told apart from a server that hangs up (port-probe.ts).
import http from 'node:http';
import type * as Https from 'node:https';
import type { Socket } from 'node:net';
import { looksLikeTls, speaksPlainHttp, speaksTls } from './port-probe.js';
import { type Engine, EngineError, type EngineSettings, isStreamedBody, type StreamedBody, type WireRequest, type WireResponse } from './wire.js';

// The methods undici sends a zero length for when they carry no body; node:http would send them chunked.
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** A TLS handshake still unanswered after this long is a reason to ask whether the port speaks plain HTTP. */
const HANDSHAKE_PROBE_MS = 500;

// node:https brings node:tls and crypto: a few ms that an http:// run need not pay.
const https = (): typeof Https => process.getBuiltinModule('node:https');

export function nodeHttpEngine(settings: EngineSettings): Engine {
  let plain: http.Agent | undefined;
  let secure: Https.Agent | undefined;
  const common = { keepAlive: true, maxSockets: settings.connections, maxTotalSockets: settings.connections };
  const agentFor = (url: URL): http.Agent => {
    if (url.protocol !== 'https:') {
      plain ??= new http.Agent(common);
      return plain;
    }
    secure ??= new (https().Agent)({ ...common, rejectUnauthorized: settings.verify, ...(settings.ca ? { ca: settings.ca } : {}) });
    return secure;
  };
  return {
    send: (request) => sendOne(request, agentFor(request.url), settings),
    failureOf,
    async close() {
      plain?.destroy();
      secure?.destroy();
    },
  };
}

/** node:http's own errors in the shared words; the OS's and TLS's pass as they are. */
function failureOf(err: unknown): unknown {
  const e = err as NodeJS.ErrnoException & { rawPacket?: Buffer };
  if (typeof e?.code !== 'string') return err;
  if (e.code.startsWith('HPE_')) {
    if (looksLikeTls(e.rawPacket)) return new EngineError('tls-port', 'the server answered in TLS');
    return new EngineError('protocol', `the answer is not valid HTTP (${e.code.slice(4).toLowerCase().replace(/_/g, ' ')})`);
  }
  // A body cut short: the socket closed before the answer's declared end.
  if (e.code === 'ECONNRESET' && e.message === 'aborted') return new EngineError('closed', 'the connection was closed before the end of the answer');
  return err;
}

function sendOne({ url, method, headers, body, signal }: WireRequest, agent: http.Agent, settings: EngineSettings): Promise<WireResponse> {
  const outgoing = { ...headers };
  const fixed = typeof body === 'string' || Buffer.isBuffer(body);
  if (fixed && outgoing['content-length'] === undefined) outgoing['content-length'] = String(Buffer.byteLength(body));
  if (body === undefined && BODY_METHODS.has(method) && outgoing['content-length'] === undefined) outgoing['content-length'] = '0';
  const secure = url.protocol === 'https:';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port) || (secure ? 443 : 80);
  return new Promise((resolve, reject) => {
    const lib = secure ? https() : http;
    let response: http.IncomingMessage | undefined;
    let fresh = false;
    // Until the connection is up (and its TLS handshake done), then until the headers have come.
    const connecting = new Set<NodeJS.Timeout>();
    let headersTimer: NodeJS.Timeout | undefined;
    const connected = () => {
      for (const t of connecting) clearTimeout(t);
      connecting.clear();
    };
    const clear = () => {
      connected();
      clearTimeout(headersTimer);
    };
    const connectBudget = Math.min(settings.connectTimeoutMs, settings.timeoutMs);
    // The socket's idle timer is the silence timeout: re-armed by every byte either way.
    const req = lib.request(url, { method, headers: outgoing, agent, signal, timeout: settings.timeoutMs });
    req.on('timeout', () => {
      const err = new EngineError('silence', 'the server stayed silent');
      if (response) response.destroy(err);
      else req.destroy(err);
    });
    // Silence alone lets a server that sends a byte a second hold a request forever: the headers get one timeout in all.
    req.on('finish', () => {
      if (!response) headersTimer = setTimeout(() => req.destroy(new EngineError('headers-timeout', 'the answer did not come in time')), settings.timeoutMs);
    });
    req.on('socket', (socket: Socket) => {
      if (!socket.connecting) return;
      fresh = true;
      let shaken = false;
      connecting.add(setTimeout(() => req.destroy(new EngineError('connect-timeout', 'connect timeout')), connectBudget));
      socket.once('connect', () => {
        connected();
        if (!secure) return;
        connecting.add(setTimeout(() => req.destroy(new EngineError('connect-timeout', 'no TLS handshake')), connectBudget));
        connecting.add(
          setTimeout(() => {
            void speaksPlainHttp(host, port).then((plain) => {
              if (plain && !shaken && !response) req.destroy(new EngineError('plain-port', 'the server waits for a plain HTTP request'));
            });
          }, HANDSHAKE_PROBE_MS),
        );
      });
      if (secure)
        socket.once('secureConnect', () => {
          shaken = true;
          connected();
        });
    });
    req.on('close', clear);
    req.on('error', (err: NodeJS.ErrnoException) => {
      clear();
      // A malformed body (a broken chunk) fails the request after its answer began: the answer says why, not just that it was cut.
      if (response && !response.complete) response.destroy(err);
      // A new connection hung up without a word: a TLS port does so to a plain request.
      if (!secure && fresh && !response && err.code === 'ECONNRESET' && !signal?.aborted)
        void speaksTls(host, port, host).then((tls) => reject(tls ? new EngineError('tls-port', 'the server hung up on a plain HTTP request') : err));
      else reject(err);
    });
    req.on('response', (res) => {
      clear();
      response = res;
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res });
    });
    if (body === undefined) req.end();
    else if (fixed) req.end(body);
    else if (isStreamedBody(body)) writeStreamed(body, req);
    else writeIterated(body, req);
  });
}

/**
 * A body of a chunk or a few (a small file's whole multipart body), written as
 * it comes: the first chunk goes out with the headers, and the source moves on
 * once the socket has taken it. A failing source destroys the request with its
 * own error: a local failure stays local.
 */
function writeIterated(body: AsyncIterable<Uint8Array>, req: http.ClientRequest): void {
  void (async () => {
    for await (const chunk of body) {
      if (req.destroyed) return;
      if (!req.write(chunk)) await new Promise((resolve) => req.once('drain', resolve).once('close', resolve));
    }
    req.end();
  })().catch((err: unknown) => req.destroy(err as Error));
}

/**
 * A chunk's buffer is read into again once node:http calls back for it, that
 * is once the socket has taken its bytes; a request that ends early stops the
 * body, which closes its file.
 */
function writeStreamed(body: StreamedBody, req: http.ClientRequest): void {
  const closed = new AbortController();
  req.once('close', () => closed.abort(new Error('the request ended before its body was sent')));
  body
    .writeTo((chunk, written) => req.write(chunk, written), closed.signal)
    .then(
      () => req.end(),
      (err: unknown) => req.destroy(err as Error),
    );
}

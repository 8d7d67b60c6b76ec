// An engine over node:http and node:https for runs of a handful of requests:
// nothing to load but what Node has loaded already, so a command such as
// `exists` is done before undici would have started. It keeps connections
// alive, honours the same TLS settings and timeouts as the undici pool, and
// fails with the error codes toNetworkError knows.
import http from 'node:http';
import type * as Https from 'node:https';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { type Engine, type EngineSettings, isStreamedBody, type StreamedBody, type WireBody, type WireRequest, type WireResponse } from './wire.js';

// The methods undici sends a zero length for when they carry no body; node:http would send them chunked.
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

// node:https brings node:tls and crypto: a few ms that an http:// run need not pay.
const https = (): typeof Https => process.getBuiltinModule('node:https');

export function lightEngine(settings: EngineSettings): Engine {
  let plain: http.Agent | undefined;
  let secure: Https.Agent | undefined;
  const agentFor = (url: URL): http.Agent => {
    if (url.protocol !== 'https:') {
      plain ??= new http.Agent({ keepAlive: true, maxSockets: settings.connections });
      return plain;
    }
    secure ??= new (https().Agent)({
      keepAlive: true,
      maxSockets: settings.connections,
      rejectUnauthorized: settings.verify,
      ...(settings.ca ? { ca: settings.ca } : {}),
    });
    return secure;
  };
  return {
    send: (request) => sendOne(request, agentFor(request.url), settings),
    async close() {
      plain?.destroy();
      secure?.destroy();
    },
  };
}

function coded(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

function sendOne({ url, method, headers, body, signal }: WireRequest, agent: http.Agent, settings: EngineSettings): Promise<WireResponse> {
  const outgoing = { ...headers };
  const fixed = typeof body === 'string' || Buffer.isBuffer(body);
  if (fixed && outgoing['content-length'] === undefined) outgoing['content-length'] = String(Buffer.byteLength(body));
  if (body === undefined && BODY_METHODS.has(method) && outgoing['content-length'] === undefined) outgoing['content-length'] = '0';
  return new Promise((resolve, reject) => {
    const lib = url.protocol === 'https:' ? https() : http;
    let response: http.IncomingMessage | undefined;
    // The socket's idle timer is the silence timeout: re-armed by every byte either way.
    const req = lib.request(url, { method, headers: outgoing, agent, signal, timeout: settings.timeoutMs });
    req.on('timeout', () => {
      const err = coded(response ? 'UND_ERR_BODY_TIMEOUT' : 'UND_ERR_HEADERS_TIMEOUT', 'the server stayed silent');
      if (response) response.destroy(err);
      else req.destroy(err);
    });
    req.on('socket', (socket: Socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(() => req.destroy(coded('UND_ERR_CONNECT_TIMEOUT', 'connect timeout')), settings.connectTimeoutMs);
      socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    });
    req.on('error', reject);
    req.on('response', (res) => {
      response = res;
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: withReaders(res) });
    });
    if (body === undefined) req.end();
    else if (fixed) req.end(body);
    else if (isStreamedBody(body)) writeStreamed(body, req);
    // A failing source destroys the request with its own error: a local failure stays local.
    else pipeline(Readable.from(body, { objectMode: false }), req).catch((err: unknown) => req.destroy(err as Error));
  });
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

/** The two readers the transport's callers use, as undici's body has them. */
function withReaders(res: http.IncomingMessage): WireBody {
  return Object.assign(res, {
    async text(): Promise<string> {
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    async dump(): Promise<void> {
      // The socket goes back to the pool only once the answer has ended, even an empty one.
      if (res.readableEnded) return;
      res.resume();
      await finished(res);
    },
  });
}

// A server that fails on purpose, at every moment of an exchange, for tests of
// the transport (test/integration/misbehaving-transport.test.ts) and of the
// CLI's verdicts: give it what to do with each request, point a client at
// `url`, and close it after. It speaks raw bytes over node:net (or node:tls),
// so that it can send what no HTTP server library would.
import { createServer as createPlainServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, TLSSocket } from 'node:tls';

export type Misbehaviour =
  /** 200 with the JSON `{"ok":true}`: a well-behaved answer, to compare. */
  | 'ok'
  /** Reads the request and answers nothing, for ever (until the client gives up). */
  | 'silent'
  /** Reads the request, then closes the connection without a byte. */
  | 'close-before-headers'
  /** The status line and headers one byte every `dripMs`, for ever. */
  | 'slow-headers'
  /** Headers that promise 100 bytes, then nothing. */
  | 'stall-after-headers'
  /** Headers that promise 100 bytes, 40 of them, then a reset. */
  | 'cut-body'
  /** Headers that promise 100 bytes, 40 of them, then a clean close. */
  | 'short-body'
  /** Headers that promise 11 bytes (`{"ok":true}`), and 30 more after them. */
  | 'long-body'
  /** A chunked body whose second chunk's size is not hexadecimal. */
  | 'broken-chunk'
  /** `Connection: close`, the whole body, then the close, as gunicorn's sync workers do. */
  | 'close-after-body'
  /** 200 with an HTML page. */
  | 'html'
  /** 200 with an empty body. */
  | 'empty'
  /** 200 with a JSON body of `hugeBytes`, sent chunked. */
  | 'huge'
  /** 302 to another host. */
  | 'redirect'
  /** 503 with Retry-After: 0. */
  | 'unavailable'
  /** A well-behaved answer of this status (200 by default) and JSON body; `close`: then `Connection: close` and the close. */
  | { status?: number; json: unknown; close?: boolean };

export interface MisbehavingServerOptions {
  /** What to do with each request (by its 0-based number): one for all, or a function. */
  behaviour: Misbehaviour | ((request: { method: string; path: string; index: number }) => Misbehaviour);
  /** Speak TLS with this certificate: an http:// client then meets a TLS port. */
  tls?: { cert: Buffer; key: Buffer } | undefined;
  /**
   * A plain server that a TLS handshake reaches: 'wait' for a request line as
   * gunicorn does (the default), or 'answer-400' as Node's and nginx's do.
   */
  onTlsHello?: 'wait' | 'answer-400';
  /**
   * With `tls`: what a plain HTTP request to the TLS port gets: no word (the
   * default, as OpenSSL's servers), or nginx's 400 page "The plain HTTP
   * request was sent to HTTPS port" (its headers alone to a HEAD), as chacra's
   * nginx front answers.
   */
  onPlainRequest?: 'close' | 'nginx-400';
  dripMs?: number;
  hugeBytes?: number;
}

export interface MisbehavingServer {
  readonly url: string;
  readonly port: number;
  /** Requests received, in order (a port probe's included). */
  readonly requests: { method: string; path: string }[];
  /** Connections accepted. */
  connections(): number;
  /** TLS handshakes that failed (a client that refused the certificate, say). */
  handshakeFailures(): number;
  /** From now on, new TLS connections get this certificate. */
  setCertificate(tls: { cert: Buffer; key: Buffer }): void;
  close(): Promise<void>;
}

const JSON_BODY = '{"ok":true}';

export async function startMisbehavingServer(options: MisbehavingServerOptions): Promise<MisbehavingServer> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const requests: { method: string; path: string }[] = [];
  let connections = 0;
  let handshakeFailures = 0;
  const drip = options.dripMs ?? 50;
  const behaviourOf = (method: string, path: string, index: number): Misbehaviour =>
    typeof options.behaviour === 'function' ? options.behaviour({ method, path, index }) : options.behaviour;

  const answer = (socket: Socket, what: Misbehaviour, method: string) => {
    const head = (status: string, headers: string[]) => `HTTP/1.1 ${status}\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`;
    const json = (status: string, body: string, extra: string[] = []) =>
      socket.write(head(status, ['Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`, ...extra]) + (method === 'HEAD' ? '' : body));
    if (typeof what === 'object') {
      json(`${what.status ?? 200} Answer`, JSON.stringify(what.json), what.close ? ['Connection: close'] : []);
      return what.close ? socket.end() : undefined;
    }
    switch (what) {
      case 'ok':
        return json('200 OK', JSON_BODY);
      case 'silent':
        return;
      case 'close-before-headers':
        return socket.end();
      case 'slow-headers': {
        const bytes = head('200 OK', ['Content-Type: application/json', `Content-Length: ${JSON_BODY.length}`, 'X-Padding: ' + 'x'.repeat(200)]);
        let i = 0;
        const timer = setInterval(() => {
          if (i >= bytes.length || socket.destroyed) return clearInterval(timer);
          socket.write(bytes[i++]!);
        }, drip);
        timers.add(timer);
        return;
      }
      case 'stall-after-headers':
        return socket.write(head('200 OK', ['Content-Type: application/json', 'Content-Length: 100']) + '{"ok":');
      case 'cut-body':
        socket.write(head('200 OK', ['Content-Type: application/json', 'Content-Length: 100']) + '{"ok":true, "padding": "xxxxxxxxxxxxxxxxx');
        return void setImmediate(() => socket.resetAndDestroy());
      case 'short-body':
        return socket.end(head('200 OK', ['Content-Type: application/json', 'Content-Length: 100']) + '{"ok":true, "padding": "xxxxxxxxxxxxxxxxx');
      case 'long-body':
        return socket.write(
          head('200 OK', ['Content-Type: application/json', `Content-Length: ${JSON_BODY.length}`]) + JSON_BODY + 'and thirty bytes more after it',
        );
      case 'broken-chunk':
        return socket.write(head('200 OK', ['Content-Type: application/json', 'Transfer-Encoding: chunked']) + '5\r\n{"ok"\r\nzz\r\n:true}\r\n0\r\n\r\n');
      case 'close-after-body':
        return socket.end(
          head('200 OK', ['Content-Type: application/json', `Content-Length: ${JSON_BODY.length}`, 'Connection: close']) + (method === 'HEAD' ? '' : JSON_BODY),
        );
      case 'html': {
        const page = '<html><head><title>Welcome</title></head><body>a portal</body></html>';
        return socket.write(head('200 OK', ['Content-Type: text/html', `Content-Length: ${page.length}`]) + (method === 'HEAD' ? '' : page));
      }
      case 'empty':
        return socket.write(head('200 OK', ['Content-Type: application/json', 'Content-Length: 0']));
      case 'huge': {
        socket.write(head('200 OK', ['Content-Type: application/json', 'Transfer-Encoding: chunked']));
        if (method === 'HEAD') return;
        let left = options.hugeBytes ?? 4 * 1024 * 1024;
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        const more = () => {
          while (left > 0 && !socket.destroyed) {
            const n = Math.min(left, chunk.length);
            left -= n;
            if (!socket.write(`${n.toString(16)}\r\n${chunk.subarray(0, n).toString('latin1')}\r\n`)) return void socket.once('drain', more);
          }
          if (!socket.destroyed) socket.write('0\r\n\r\n');
        };
        return more();
      }
      case 'redirect':
        return socket.write(head('302 Found', ['Location: http://elsewhere.invalid/', 'Content-Length: 0']));
      case 'unavailable':
        return json('503 Service Unavailable', '{"message":"busy"}', ['Retry-After: 0']);
    }
  };

  const onConnection = (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let pending = Buffer.alloc(0);
    socket.on('data', (data: Buffer) => {
      pending = Buffer.concat([pending, data]);
      if (!options.tls && pending[0] === 0x16 && options.onTlsHello === 'answer-400') {
        socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
        return;
      }
      // One request at a time; a body, when there is one, is read and ignored.
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const [method = '', path = ''] = pending.subarray(0, end).toString('latin1').split(' ');
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(pending.subarray(0, end).toString('latin1'))?.[1] ?? 0);
        if (pending.length < end + 4 + length) return;
        pending = pending.subarray(end + 4 + length);
        requests.push({ method, path });
        answer(socket, behaviourOf(method, path, requests.length - 1), method);
      }
    });
  };

  // nginx's TLS port: a connection whose first byte opens a TLS record is TLS, any other is answered a 400 page.
  const nginxTls = (tls: { cert: Buffer; key: Buffer }) =>
    createPlainServer((raw) => {
      sockets.add(raw);
      raw.on('close', () => sockets.delete(raw));
      raw.on('error', () => {});
      raw.once('data', (first: Buffer) => {
        raw.pause();
        raw.unshift(first);
        if (first[0] === 0x16) return onConnection(new TLSSocket(raw, { isServer: true, cert: tls.cert, key: tls.key }));
        connections++;
        const method = first.toString('latin1').split(' ')[0] ?? '';
        requests.push({ method, path: first.toString('latin1').split(' ')[1] ?? '' });
        const page = '<html>\r\n<head><title>400 The plain HTTP request was sent to HTTPS port</title></head>\r\n<body></body>\r\n</html>\r\n';
        const headers = `HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: ${page.length}\r\nConnection: close\r\n\r\n`;
        raw.end(method === 'HEAD' ? headers : headers + page);
      });
    });
  const server: Server = options.tls
    ? options.onPlainRequest === 'nginx-400'
      ? nginxTls(options.tls)
      : createTlsServer({ cert: options.tls.cert, key: options.tls.key }, onConnection)
    : createPlainServer(onConnection);
  // A plain request to the TLS port: the handshake fails, and the socket closes with no word, as OpenSSL's servers do.
  server.on('tlsClientError', (_err: Error, socket: Socket) => {
    handshakeFailures++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}/`,
    port,
    requests,
    connections: () => connections,
    handshakeFailures: () => handshakeFailures,
    setCertificate(tls) {
      if (!options.tls || options.onPlainRequest === 'nginx-400') throw new Error('not a node:tls server');
      (server as TlsServer).setSecureContext({ cert: tls.cert, key: tls.key });
    },
    async close() {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A port on which nothing listens: a connection to it is refused. */
export async function refusingPort(): Promise<number> {
  const server = createPlainServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

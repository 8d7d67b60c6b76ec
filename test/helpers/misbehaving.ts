// A server that gives every request the same wrong answer, on purpose: each
// kind of answer a proxy, a portal, a failing or stalled chacra can give. The
// exit-status table runs every command against each.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export const ANSWERS = ['404', '400', '401', '403', '3xx', '5xx', 'html', 'shape', 'empty', 'cut', 'stall', 'stall-body', 'refused'] as const;
export type Answer = (typeof ANSWERS)[number];

export interface Misbehaving {
  url: string;
  /** Requests seen so far. */
  requests: number;
  close(): Promise<void>;
}

const page = (title: string, detail = '') => `<html><head><title>${title}</title></head><body><h1>${title}</h1>${detail}</body></html>`;

function answer(kind: Answer, req: IncomingMessage, res: ServerResponse): void {
  const send = (status: number, type: string, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers });
    res.end(body);
  };
  switch (kind) {
    case '404':
      return send(404, 'text/html', page('404 Not Found', 'The resource could not be found.'));
    case '400':
      return send(400, 'application/json', JSON.stringify({ message: 'injected: bad request' }));
    case '401':
      return send(401, 'text/html', page('401 Unauthorized'), { 'www-authenticate': 'Basic realm="Chacra :: Binary API"' });
    case '403':
      return send(403, 'text/html', page('403 Forbidden'));
    case '3xx':
      return send(302, 'text/html', '', { location: 'http://127.0.0.1:9/elsewhere/' });
    case '5xx':
      return send(502, 'text/html', page('502 Bad Gateway', '<center>nginx</center>'));
    case 'html':
      return send(200, 'text/html', page('Sign in to the network', 'portal'));
    case 'shape':
      // JSON, but of no shape chacra or shaman sends: objects where names are due, numbers where lists of names are.
      return send(200, 'application/json', JSON.stringify({ ceph: { main: 1 }, numbers: [1, 2, 3], [String.fromCharCode(27) + '[31mred']: [] }));
    case 'empty':
      return send(200, 'application/json', '');
    case 'cut': {
      // Headers promise 400 bytes; a third of a listing comes, then the connection is gone.
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '400' });
      if (req.method === 'HEAD') return void res.end();
      res.write('{"ceph": ["ma');
      setImmediate(() => res.socket?.destroy());
      return;
    }
    case 'stall':
      // Never a byte back: the client's --timeout must end it.
      return;
    case 'stall-body':
      // The headers, then silence where the body should be.
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '400' });
      if (req.method === 'HEAD') return void res.end();
      res.flushHeaders();
      return;
    case 'refused':
      throw new Error('a refused connection has no server');
  }
}

export async function misbehaving(kind: Answer): Promise<Misbehaving> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    state.requests++;
    // Read the request to its end first: an upload must not be cut by the answer.
    req.resume();
    req.on('end', () => answer(kind, req, res));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  if (kind === 'refused') await close();
  const state: Misbehaving = { url: `http://127.0.0.1:${port}`, requests: 0, close: kind === 'refused' ? async () => {} : close };
  return state;
}

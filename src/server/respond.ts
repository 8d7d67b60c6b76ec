// Answers in the forms chacra uses: JSON for application errors, webob's HTML
// pages for abort()s (404, 401), gunicorn's bare page for crashes (500).
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** Decoded path segments below the API root, without the trailing empty one. */
  segments: string[];
  trailingSlash: boolean;
  query: URLSearchParams;
  rawPath: string;
}

export function sendJson(x: Exchange, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  x.res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
  x.res.end(x.method === 'HEAD' ? undefined : text);
}

export function sendText(x: Exchange, status: number, text: string, contentType = 'text/plain; charset=UTF-8'): void {
  x.res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  x.res.end(x.method === 'HEAD' ? undefined : text);
}

export function sendEmpty(x: Exchange, status: number): void {
  x.res.writeHead(status);
  x.res.end();
}

function webobPage(status: string, explanation: string): string {
  return `<html>\n <head>\n  <title>${status}</title>\n </head>\n <body>\n  <h1>${status}</h1>\n  ${explanation}<br /><br />\n\n\n </body>\n</html>`;
}

export function notFound(x: Exchange): void {
  sendText(x, 404, webobPage('404 Not Found', 'The resource could not be found.'), 'text/html; charset=UTF-8');
}

export function unauthorized(x: Exchange): void {
  x.res.setHeader('www-authenticate', 'Basic realm="Chacra :: Binary API"');
  sendText(
    x,
    401,
    webobPage(
      '401 Unauthorized',
      'This server could not verify that you are authorized to access the document you requested.  Either you supplied the wrong credentials (e.g., bad password), or your browser does not understand how to supply the credentials required.',
    ),
    'text/html; charset=UTF-8',
  );
}

/** What gunicorn sends when the application raised (#20, #68, #70). */
export function crash(x: Exchange, status = 500): void {
  sendText(
    x,
    status,
    '<html>\n  <head>\n    <title>Internal Server Error</title>\n  </head>\n  <body>\n    <h1><p>Internal Server Error</p></h1>\n    \n  </body>\n</html>\n',
    'text/html',
  );
}

export function unhealthy(x: Exchange): void {
  sendText(
    x,
    500,
    webobPage('500 Internal Server Error', 'The server has either erred or is incapable of performing the requested operation.'),
    'text/html; charset=UTF-8',
  );
}

export function methodNotAllowed(x: Exchange, message: string): void {
  sendJson(x, 405, { message });
}

export function badRequest(x: Exchange, message: string): void {
  sendJson(x, 400, { message });
}

/** Levels of a tree listed as {key: [children]}, from a set of paths. */
export function groupBy<T>(items: Iterable<T>, key: (t: T) => string, child: (t: T) => string): Record<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const item of items) {
    const k = key(item);
    if (!out.has(k)) out.set(k, new Set());
    out.get(k)!.add(child(item));
  }
  return Object.fromEntries([...out].map(([k, v]) => [k, [...v].sort()]));
}

/** The most a JSON request body may hold: chacra's are a few fields (a repo's extra, its type). */
export const JSON_BODY_LIMIT = 1024 * 1024;

/** A request body past JSON_BODY_LIMIT: answered 413, never read on. */
export class BodyTooLarge extends Error {}

/**
 * A request's body as JSON; undefined when it is not JSON. A body over `limit`
 * (said by its Content-Length, or found as it streams) throws BodyTooLarge
 * before more of it is held: it never reaches memory or the state file whole.
 */
export async function readJson(req: IncomingMessage, limit = JSON_BODY_LIMIT): Promise<unknown> {
  if (Number(req.headers['content-length'] ?? 0) > limit) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

/** 413, and the connection closed: the rest of the body is not read. */
export function tooLarge(x: Exchange): void {
  x.res.setHeader('connection', 'close');
  sendJson(x, 413, { message: `the body is larger than ${JSON_BODY_LIMIT} bytes` });
}

// Answers in shaman's forms: Pecan's JSON, webob's HTML error pages (a title
// and, sometimes, a detail line), gunicorn's bare 500 page, and Python's
// str(datetime) timestamps.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { crash, type Exchange } from './respond.js';

/** chacra's exchange, and the root the client reached shaman at. */
export interface ShamanExchange extends Exchange {
  /** This server's root as the client reached it, for absolute redirects (Pecan's are absolute). */
  base: string;
}

export function parseExchange(req: IncomingMessage, res: ServerResponse, base: string): ShamanExchange {
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const rawPath = q < 0 ? raw : raw.slice(0, q);
  const segments = rawPath.split('/').slice(1).map(decodeSegment);
  const trailingSlash = segments.at(-1) === '';
  if (trailingSlash) segments.pop();
  return { req, res, method: req.method ?? 'GET', segments, trailingSlash, query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)), rawPath, base };
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function sendJson(x: ShamanExchange, status: number, body: unknown): void {
  const text = pythonJson(body);
  x.res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  x.res.end(x.method === 'HEAD' ? undefined : text);
}

export function sendText(x: ShamanExchange, status: number, text: string, type = 'text/plain; charset=UTF-8', headers: Record<string, string> = {}): void {
  x.res.writeHead(status, { ...headers, 'content-type': type, 'content-length': Buffer.byteLength(text) });
  x.res.end(x.method === 'HEAD' ? undefined : text);
}

/** JSON as Python's json.dumps writes it, as Pecan renders: ", " and ": " between items, non-ASCII escaped. */
export function pythonJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => pythonJson(v ?? null)).join(', ')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${pythonJson(k)}: ${pythonJson(v)}`)
      .join(', ')}}`;
  return (JSON.stringify(value) ?? 'null').replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const EXPLANATIONS: Record<number, string> = {
  400: 'The server could not comply with the request since it is either malformed or otherwise incorrect.',
  401: 'This server could not verify that you are authorized to access the document you requested. Either you supplied the wrong credentials (e.g., bad password), or your browser does not understand how to supply the credentials required.',
  404: 'The resource could not be found.',
  500: 'The server has either erred or is incapable of performing the requested operation.',
  504: 'The gateway has timed out.',
};
const TITLES: Record<number, string> = {
  400: '400 Bad Request',
  401: '401 Unauthorized',
  404: '404 Not Found',
  500: '500 Internal Server Error',
  504: '504 Gateway Timeout',
};

function page(title: string, body: string): string {
  return `<html>\n <head>\n  <title>${title}</title>\n </head>\n <body>\n  <h1>${title}</h1>\n  ${body}\n </body>\n</html>`;
}

/** Pecan's abort(status, detail): webob's page, byte for byte. */
export function abort(x: ShamanExchange, status: 400 | 401 | 404 | 500 | 504, detail = ''): void {
  x.req.resume();
  // #7, #15: shaman sets WWW-Authenticate and then aborts with a new response, which has none.
  sendText(x, status, page(TITLES[status]!, `${EXPLANATIONS[status]}<br /><br />\n${detail}\n\n`), 'text/html; charset=UTF-8');
}

/** #18: a method the resource's generic controller has no handler for; Allow lists those it has. */
export function methodNotAllowed(x: ShamanExchange, allow: string[]): void {
  x.req.resume();
  const body = `The method ${x.method} is not allowed for this resource. <br /><br />\n`;
  sendText(x, 405, page('405 Method Not Allowed', body), 'text/html; charset=UTF-8', { allow: allow.join(', ') });
}

/** Pecan's redirect(): a 302 with webob's page and an absolute Location. */
export function redirect(x: ShamanExchange, location: string): void {
  x.req.resume();
  const body = `The resource was found at <a href="${location}">${location}</a>;\nyou should be redirected automatically.\n\n`;
  sendText(x, 302, page('302 Found', body), 'text/html; charset=UTF-8', { location });
}

/** What gunicorn answers when the application raised: #17 (a POST Pecan will not redirect), a malformed callback. */
export function fail(x: ShamanExchange): void {
  x.req.resume();
  crash(x);
}

let lastMicros = 0;

/** Microseconds since the epoch, strictly increasing: newest-first orders never tie. */
export function nowMicros(): number {
  lastMicros = Math.max(lastMicros + 1, Math.floor((performance.timeOrigin + performance.now()) * 1000));
  return lastMicros;
}

/**
 * Python's str(datetime) in UTC: "2026-11-24 20:55:46.514765", no fraction
 * when it is zero ("1970-01-01 00:00:00"), "+00:00" for an aware one (repos' modified).
 */
export function pythonTimestamp(micros: number, aware = false): string {
  const iso = new Date(Math.floor(micros / 1000)).toISOString();
  const fraction = micros % 1_000_000;
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction ? `.${String(fraction).padStart(6, '0')}` : ''}${aware ? '+00:00' : ''}`;
}

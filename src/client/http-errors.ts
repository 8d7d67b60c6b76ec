// Failures as typed errors that say what went wrong, and the server's own
// words from its error pages: shared by the transport's engines and callers.
import { HttpError, NetworkError, type NetworkFailure, type ProxyInfo } from '../errors.js';
import { EngineError } from './wire.js';
import { formatDelay } from './retry.js';
import type { RawResponse } from './transport-options.js';

export const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

export const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_NOT_YET_VALID',
]);

const PLAIN_ANSWER_CODES = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST']);

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The server's own words: the JSON `message`, or the title of an HTML page. */
/** The server's own words: the JSON `message`, or the title of an HTML page. */
export function readServerMessage(res: RawResponse): string | undefined {
  return serverMessageOf(res.body.bytes.toString('utf8'), headerValue(res.headers['content-type']));
}

export function serverMessageOf(text: string, contentType: string | undefined): string | undefined {
  if (text.trim() === '') return undefined;
  if (contentType?.includes('json') || /^\s*[{[]/.test(text)) {
    try {
      const parsed = JSON.parse(text) as { message?: unknown };
      if (parsed && typeof parsed.message === 'string') return parsed.message;
    } catch {
      // not JSON after all: fall through to HTML and text
    }
  }
  // webob answers a client that asks for no HTML in plain text: "404 Not Found", the explanation, the detail.
  const plainPage = /^(\d{3} [^\n]+)\n\n[^\n]*(?:\n\n\s*([^\n]*\S))?/.exec(text);
  if (plainPage && !text.includes('<')) return plainPage[2] ? `${plainPage[1]}: ${plainPage[2].trim()}` : plainPage[1];
  const title = /<title>([^<]*)<\/title>/i.exec(text);
  // webob's error pages (chacra's and shaman's) put the application's words after two line breaks.
  const detail = /<br \/><br \/>([^<]*)<\/body>/i.exec(text)?.[1]?.trim();
  if (title?.[1]) return detail ? `${title[1].trim()}: ${detail}` : title[1].trim();
  const plain = text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return plain.length > 200 ? plain.slice(0, 200) + '…' : plain || undefined;
}

/** The HttpError of an answer whose status the operation cannot accept, with the server's words. */
export async function httpErrorOf(res: RawResponse, method: string, hint?: string): Promise<HttpError> {
  const serverMessage = method === 'HEAD' ? undefined : readServerMessage(res);
  return new HttpError({ method, url: res.url, status: res.status, serverMessage, hint, retryAfter: headerValue(res.headers['retry-after']) });
}

/**
 * A failure as a NetworkError that says what went wrong, in the same words
 * whatever the engine (its own errors come translated: wire.ts). `proxy` is
 * the proxy the request went through: failures to reach it, or to open a
 * tunnel through it, are then put on the proxy, not on the server.
 * `timeoutMs`: the timeout, for the message.
 */
export function toNetworkError(err: unknown, method: string, url: string, proxy?: ProxyInfo, timeoutMs?: number): NetworkError {
  if (err instanceof NetworkError) return err;
  const target = new URL(url);
  const origin = target.host;
  const engine = err instanceof EngineError ? err : undefined;
  const e = err as NodeJS.ErrnoException | undefined;
  const raw = engine ? engine.failure : typeof e?.code === 'string' ? e.code : undefined;
  // OpenSSL's words for a handshake answered in plain HTTP, whatever the engine.
  const plainAnswer =
    (raw !== undefined && PLAIN_ANSWER_CODES.has(raw)) ||
    (raw === 'EPROTO' && /wrong version number|packet length too long|http request/i.test(e?.message ?? ''));
  const code = plainAnswer ? 'plain-port' : raw;
  const failure = (kind: NetworkFailure, reason: string, hint?: string) => new NetworkError({ method, url, code, kind, reason, hint, cause: err });
  if (proxy) {
    const blame = (kind: NetworkFailure, reason: string, hint: string) => new NetworkError({ method, url, code, kind, reason, hint, cause: err, proxy });
    if (engine?.failure === 'tunnel') {
      const to = `${target.hostname}:${target.port || DEFAULT_PORTS[target.protocol]}`;
      if (engine.status === 407)
        return blame('other', `the proxy ${proxy.host} wants credentials (answered 407 to CONNECT ${to})`, "give the proxy's user and password in its URL");
      return blame(
        'refused',
        `the proxy ${proxy.host} could not open a tunnel to ${to} (answered ${engine.status} to CONNECT)`,
        'the proxy could not reach the server: check the url, or whether this host should bypass the proxy',
      );
    }
    switch (code) {
      case 'ECONNREFUSED':
        return blame('refused', `connection refused by the proxy ${proxy.host}`, "is the proxy running, and is the proxy's address right?");
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return blame('dns', `cannot resolve the host of the proxy ${proxy.host}`, "check the proxy's address and your DNS");
      case 'connect-timeout':
      case 'EHOSTUNREACH':
      case 'ENETUNREACH':
        return blame('connect-timeout', `cannot connect to the proxy ${proxy.host} (${code})`, "check the proxy's address and the network to it");
    }
  }
  const waited = timeoutMs === undefined ? '' : ` for ${formatDelay(timeoutMs)}`;
  switch (code) {
    case 'ECONNREFUSED':
      return failure('refused', `connection refused by ${origin}`, 'is the server running, and is the url right?');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return failure('dns', `cannot resolve the host ${target.hostname}`, 'check the url and your DNS');
    case 'connect-timeout':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return failure('connect-timeout', `timed out connecting to ${origin}`, 'check the url and the network between here and the server');
    case 'silence':
      return failure('timeout', `the server stopped answering: nothing came${waited} (timeout)`, 'the server may be slow: allow it a longer timeout');
    case 'headers-timeout':
      return failure(
        'timeout',
        `the server did not finish its answer's headers${timeoutMs === undefined ? ' in time' : ` within ${formatDelay(timeoutMs)}`} (timeout)`,
        'the server may be slow: allow it a longer timeout',
      );
    case 'closed':
    case 'ECONNRESET':
    case 'EPIPE':
      return failure('closed', engine ? engine.message : 'the connection was closed by the server');
    case 'protocol':
      return failure(
        'protocol',
        engine?.message ?? 'the answer is not valid HTTP',
        'is the url that of a chacra server, and is no proxy answering in its place?',
      );
    case 'plain-port':
      return failure('tls', `${origin} speaks plain HTTP, not TLS`, `the port speaks plain HTTP: use http://${origin}/`);
    case 'tls-port':
      return failure('protocol', `${origin} speaks TLS, not plain HTTP`, `the port speaks TLS: use https://${origin}/`);
    default:
      if (code && TLS_CODES.has(code))
        return failure('tls', `TLS certificate check failed (${code})`, "give the CA bundle that signed the server's certificate");
      if (code?.startsWith('ERR_SSL_') || code?.startsWith('ERR_TLS_'))
        return failure('tls', `the TLS handshake failed (${code})`, 'check that the url is that of an https:// server');
      return failure('other', e?.message ?? String(err));
  }
}

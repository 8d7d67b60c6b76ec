// Failures as typed errors that say what went wrong, and the server's own
// words from its error pages: shared by the transport's engines and callers.
import { HttpError, NetworkError, type NetworkFailure, type ProxyInfo } from '../errors.js';
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
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The server's own words: the JSON `message`, or the title of an HTML page. */
export async function readServerMessage(res: RawResponse): Promise<string | undefined> {
  const text = await res.body.text();
  return serverMessageOf(text, headerValue(res.headers['content-type']));
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

export async function httpErrorOf(res: RawResponse, method: string, hint?: string): Promise<HttpError> {
  const serverMessage = method === 'HEAD' ? undefined : await readServerMessage(res).catch(() => undefined);
  if (method === 'HEAD') await res.body.dump().catch(() => undefined);
  return new HttpError({ method, url: res.url, status: res.status, serverMessage, hint });
}

/**
 * A failure as a NetworkError that says what went wrong. `proxy` is the proxy
 * the request went through: failures to reach it, or to open a tunnel through
 * it, are then put on the proxy, not on the server. `timeoutMs`: the silence
 * timeout, for the message.
 */
export function toNetworkError(err: unknown, method: string, url: string, proxy?: ProxyInfo, timeoutMs?: number): NetworkError {
  if (err instanceof NetworkError) return err;
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = e?.code && e.code !== 'UND_ERR_SOCKET' ? e.code : (e?.cause?.code ?? e?.code);
  const target = new URL(url);
  const origin = target.host;
  const failure = (kind: NetworkFailure, reason: string, hint?: string) => new NetworkError({ method, url, code, kind, reason, hint, cause: err });
  if (proxy) {
    const blame = (kind: NetworkFailure, reason: string, hint: string) => new NetworkError({ method, url, code, kind, reason, hint, cause: err, proxy });
    const tunnel = /Proxy response \((\d+)\) !== 200/.exec(e?.message ?? '');
    if (tunnel) {
      const status = Number(tunnel[1]);
      const to = `${target.hostname}:${target.port || DEFAULT_PORTS[target.protocol]}`;
      if (status === 407)
        return blame('other', `the proxy ${proxy.host} wants credentials (answered 407 to CONNECT ${to})`, "give the proxy's user and password in its URL");
      return blame(
        'refused',
        `the proxy ${proxy.host} could not open a tunnel to ${to} (answered ${status} to CONNECT)`,
        'the proxy could not reach the server: check the url, or whether this host should bypass the proxy',
      );
    }
    switch (code) {
      case 'ECONNREFUSED':
        return blame('refused', `connection refused by the proxy ${proxy.host}`, "is the proxy running, and is the proxy's address right?");
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return blame('dns', `cannot resolve the host of the proxy ${proxy.host}`, "check the proxy's address and your DNS");
      case 'UND_ERR_CONNECT_TIMEOUT':
      case 'EHOSTUNREACH':
      case 'ENETUNREACH':
        return blame('connect-timeout', `cannot connect to the proxy ${proxy.host} (${code})`, "check the proxy's address and the network to it");
    }
  }
  switch (code) {
    case 'ECONNREFUSED':
      return failure('refused', `connection refused by ${origin}`, 'is the server running, and is the url right?');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return failure('dns', `cannot resolve the host ${new URL(url).hostname}`, 'check the url and your DNS');
    case 'UND_ERR_CONNECT_TIMEOUT':
      return failure('connect-timeout', `timed out connecting to ${origin}`, 'check the url and the network between here and the server');
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return failure(
        'timeout',
        `the server stopped answering: nothing came${timeoutMs === undefined ? '' : ` for ${formatDelay(timeoutMs)}`} (timeout)`,
        'the server may be slow: allow it a longer timeout',
      );
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'EPIPE':
      return failure('closed', 'the connection was closed by the server');
    default:
      if (code && TLS_CODES.has(code))
        return failure('tls', `TLS certificate check failed (${code})`, "give the CA bundle that signed the server's certificate");
      return failure('other', e?.message ?? String(err));
  }
}

// What the local servers share on the network side: listening, and the small
// requests one server makes to another (shaman's health checks of its nodes,
// a node's status callbacks to shaman).
import { request as httpRequest, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** Listens, or rejects with the listen error (EADDRINUSE, EACCES, ...). */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const failed = (err: Error) => {
      server.removeListener('listening', listening);
      reject(err);
    };
    const listening = () => {
      server.removeListener('error', failed);
      resolve();
    };
    server.prependOnceListener('error', failed);
    server.once('listening', listening);
    server.listen(port, host);
  });
}

export interface OutgoingRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** PEM CA to trust for an https URL, as shaman's chacra_verify_ssl or chacra's callback_verify_ssl. */
  ca?: string | Buffer | undefined;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * One request on a connection of its own, so that nothing is left open when
 * either server closes. Rejects on a network error or the timeout.
 */
export function send(url: string, options: OutgoingRequest = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const make = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = make(
      target,
      {
        method: options.method ?? 'GET',
        headers: { ...options.headers, ...(options.body !== undefined ? { 'content-length': String(Buffer.byteLength(options.body)) } : {}) },
        agent: false,
        ...(options.ca !== undefined ? { ca: options.ca } : {}),
        timeout: options.timeoutMs ?? 60_000,
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} in ${options.timeoutMs ?? 60_000} ms`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Basic credentials sent preemptively, as curl -u and python-requests do: shaman never asks for them (no WWW-Authenticate). */
export function basicAuth(user: string, key: string): string {
  return `Basic ${Buffer.from(`${user}:${key}`).toString('base64')}`;
}

/** Waits `ms`, or less when `signal` aborts: a closing server keeps no timer. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

// What the transport needs from an HTTP engine: one request out, its status,
// headers and body back, and its failures in one vocabulary. Two engines fit
// it: node:http for direct connections, undici's EnvHttpProxyAgent behind a
// proxy. Everything above the socket (timeouts to the headers, bounded
// bodies, error words, retries) is the transport's, the same for both.
import type { Readable } from 'node:stream';

export interface WireRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: string | Buffer | AsyncIterable<Uint8Array> | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * A body that writes itself, and reads each chunk into a buffer given back
 * once the connection says an earlier chunk is written: a file of any size
 * costs a few buffers (#13). An engine that cannot say when a chunk is
 * written iterates it instead, and then every chunk is a buffer of its own.
 */
export interface StreamedBody extends AsyncIterable<Uint8Array> {
  /** Hands every chunk to `write`, whose callback must come once the chunk is written or has failed; resolves once the last is handed. */
  writeTo(write: (chunk: Uint8Array, written: (err?: Error | null) => void) => void, signal: AbortSignal): Promise<void>;
}

export function isStreamedBody(body: WireRequest['body']): body is StreamedBody {
  return typeof (body as Partial<StreamedBody> | undefined)?.writeTo === 'function';
}

export interface WireResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Its 'error' is whatever the engine met; the transport passes it through Engine.failureOf. */
  body: Readable;
}

export interface Engine {
  send(request: WireRequest): Promise<WireResponse>;
  /** An engine's own failure in the shared vocabulary; anything else (an OS error, a TLS error) as it is. */
  failureOf(err: unknown): unknown;
  close(): Promise<void>;
}

/**
 * The ways an exchange fails that are not the operating system's (ECONNREFUSED,
 * ECONNRESET, ENOTFOUND...) nor TLS's (certificate codes): what each engine's
 * own errors are translated into, so that both fail in the same words.
 */
export type EngineFailure =
  /** No connection within the connect timeout. */
  | 'connect-timeout'
  /** The answer's headers did not all come within the timeout once the request was sent. */
  | 'headers-timeout'
  /** Nothing moved, either way, for the timeout. */
  | 'silence'
  /** The connection ended before the answer did. */
  | 'closed'
  /** The server's bytes are not HTTP/1.1 as it must be spoken. */
  | 'protocol'
  /** An https:// request met a port that speaks plain HTTP. */
  | 'plain-port'
  /** An http:// request met a port that speaks TLS. */
  | 'tls-port'
  /** The proxy would not open a tunnel: `status` is its answer to CONNECT. */
  | 'tunnel';

export class EngineError extends Error {
  constructor(
    readonly failure: EngineFailure,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** The settings both engines honour alike. */
export interface EngineSettings {
  /** Connections open to the server at most, whatever the requests. */
  connections: number;
  connectTimeoutMs: number;
  /** See TransportOptions.timeoutMs: silence, and the time to the headers once the request is sent. */
  timeoutMs: number;
  verify: boolean;
  ca?: Buffer | undefined;
  /** See InternalTransportOptions.baselineWasm. */
  baselineWasm: boolean;
}

// What the transport needs from an HTTP engine: one request out, its status,
// headers and body back. Two engines fit it: undici's keep-alive pool, which
// pays for itself on bulk transfers, and node:http, which starts at once.
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

export type WireBody = Readable & { text(): Promise<string>; dump(): Promise<void> };

export interface WireResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: WireBody;
}

export interface Engine {
  send(request: WireRequest): Promise<WireResponse>;
  close(): Promise<void>;
}

/** The settings both engines honour alike. */
export interface EngineSettings {
  connections: number;
  connectTimeoutMs: number;
  /** Silence timeout: see TransportOptions.timeoutMs. */
  timeoutMs: number;
  verify: boolean;
  ca?: Buffer | undefined;
  /** See TransportOptions.baselineWasm. */
  baselineWasm: boolean;
}

/**
 * The pool for everything but streamed bodies, which go over node:http: it
 * calls back once each chunk is written, undici does not, and only then can
 * a body read into the same buffers again (#13). Loaded at the first one.
 */
export function streamedOverNodeHttp(pool: Engine, settings: EngineSettings): Engine {
  let light: Promise<Engine> | undefined;
  return {
    async send(request) {
      if (!isStreamedBody(request.body)) return pool.send(request);
      light ??= import('./light-transport.js').then((m) => m.lightEngine(settings));
      return (await light).send(request);
    },
    async close() {
      await Promise.all([pool.close(), light?.then((engine) => engine.close())]);
    },
  };
}

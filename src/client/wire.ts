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
}

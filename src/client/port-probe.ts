// What a port speaks, asked on a connection of its own, when a request meets
// a silence or a hang-up that the wrong scheme would explain: a TLS
// handshake sent to a plain HTTP server that waits for a request line (as
// gunicorn does, for 30 s), or a plain request sent to a TLS port that
// hangs up without a word. A probe is one short exchange, and a port that
// answers it in neither way is taken to be what the URL said.
import { connect, isIP } from 'node:net';
import type * as Tls from 'node:tls';

/** How long a probe waits for the port to show what it speaks. */
const PROBE_MS = 1000;

/** Whether the port answers a plain HTTP request with an HTTP status line. */
export function speaksPlainHttp(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (plain: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(plain);
    };
    const timer = setTimeout(() => done(false), PROBE_MS);
    socket.on('error', () => done(false));
    socket.once('connect', () => socket.write(`HEAD / HTTP/1.0\r\nHost: ${host}\r\n\r\n`));
    socket.once('data', (chunk: Buffer) => done(chunk.subarray(0, 5).toString('latin1') === 'HTTP/'));
    socket.once('end', () => done(false));
  });
}

/** Whether the port answers a TLS ClientHello with a handshake, whatever its certificate. */
export function speaksTls(host: string, port: number, servername: string): Promise<boolean> {
  const tls = process.getBuiltinModule('node:tls') as typeof Tls;
  return new Promise((resolve) => {
    // Only the server's first bytes are looked at: nothing is sent beyond the hello, no certificate trusted.
    const socket = tls.connect({ host, port, rejectUnauthorized: false, ...(isIP(servername) ? {} : { servername }) });
    const done = (speaks: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(speaks);
    };
    const timer = setTimeout(() => done(false), PROBE_MS);
    socket.once('secureConnect', () => done(true));
    // A TLS alert still says TLS: OpenSSL names it "alert" or "handshake failure".
    socket.on('error', (err: NodeJS.ErrnoException) => done(/alert|handshake failure/i.test(err.message)));
    socket.once('end', () => done(false));
  });
}

/** A TLS record's first bytes (handshake or alert, version 3.x), as an HTTP parser meets them. */
export function looksLikeTls(bytes: Buffer | undefined): boolean {
  return bytes !== undefined && bytes.length >= 2 && (bytes[0] === 0x15 || bytes[0] === 0x16) && bytes[1] === 0x03;
}

// A streamed answer (a download) fails as a read answer does: whatever ends
// it early (a cut, a stall, a broken chunk, fewer or more bytes than its
// Content-Length) comes out of the stream as a NetworkError, never as an
// engine's own error, so that its reader can tell the network from its disk.
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { InterruptedError, type NetworkError } from '../errors.js';
import { headerValue } from './http-errors.js';
import { EngineError, type WireResponse } from './wire.js';

export function guardedBody(res: WireResponse, networkError: (err: unknown) => NetworkError, signal: AbortSignal | undefined): Readable {
  const declared = headerValue(res.headers['content-length']);
  const expected = declared !== undefined && /^\d+$/.test(declared) ? Number(declared) : undefined;
  let seen = 0;
  const source = res.body;
  const guarded = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (expected !== undefined && seen > expected)
        return done(networkError(new EngineError('protocol', `the answer went on past its Content-Length of ${expected} bytes`)));
      done(null, chunk);
    },
    flush(done) {
      if (expected !== undefined && seen < expected)
        return done(networkError(new EngineError('closed', `the answer ended after ${seen} of its ${expected} bytes`)));
      done();
    },
  });
  const fail = (err: unknown) => guarded.destroy(signal?.aborted ? new InterruptedError() : networkError(err));
  source.on('error', fail);
  // An answer may have failed before it was handed here (its 'error' then had no listener): its close still says so.
  const gone = () => {
    if (!source.readableEnded && !guarded.destroyed)
      fail(source.errored ?? new EngineError('closed', 'the connection was closed before the end of the answer'));
  };
  source.on('close', gone);
  if (source.destroyed) gone();
  // A reader that stops early lets go of the answer, and of its connection.
  guarded.on('close', () => {
    if (!source.readableEnded) source.destroy();
  });
  source.pipe(guarded);
  return guarded;
}

// The sha512 of a file, read in one streaming pass: what chacra stores as a
// binary's checksum. The operations hash local files to plan and verify
// transfers, and the local server hashes its data directory when it starts.
// The server may share nothing with the rest but leaf modules such as
// types.ts, so the one hasher lives here, beside it, depending on node: alone;
// each caller says in its own words what a failed read means.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** The file's sha512 in lowercase hex, and how many bytes it held. */
export async function fileSha512(path: string, signal?: AbortSignal): Promise<{ sha512: string; size: number }> {
  const hash = createHash('sha512');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024, signal }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha512: hash.digest('hex'), size };
}

// The sha512 of a file, read in one streaming pass: what chacra stores as a
// binary's checksum. The operations hash local files to plan and verify
// transfers, and the local server hashes its data directory when it starts.
// The server may share nothing with the rest but leaf modules such as
// types.ts, so the one hasher lives here, beside it, depending on node: alone;
// each caller says in its own words what a failed read means.
import { createHash } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';

// As the upload's chunks (client/file-chunks.ts): large reads, few calls.
const CHUNK_SIZE = 1024 * 1024;

/** The file's sha512 in lowercase hex, and how many bytes it held. */
export async function fileSha512(path: string, signal?: AbortSignal): Promise<{ sha512: string; size: number }> {
  const hash = createHash('sha512');
  let size = 0;
  let handle: FileHandle | undefined;
  let next: Promise<{ bytesRead: number }> | undefined;
  try {
    handle = await open(path, 'r');
    // Two buffers in turn: the next chunk is read while this one is hashed,
    // and memory stays flat in the file's size (#13: 256 KiB chunks, each a
    // new buffer, took a 1 GiB file's check to 134 MiB).
    let [current, other] = [Buffer.allocUnsafeSlow(CHUNK_SIZE), Buffer.allocUnsafeSlow(CHUNK_SIZE)];
    next = handle.read(current, 0, CHUNK_SIZE, 0);
    for (;;) {
      const { bytesRead } = await next;
      next = undefined;
      signal?.throwIfAborted();
      if (bytesRead === 0) break;
      size += bytesRead;
      next = handle.read(other, 0, CHUNK_SIZE, size);
      hash.update(current.subarray(0, bytesRead));
      [current, other] = [other, current];
    }
  } catch (err) {
    // A read left in flight settles unheard; the handle closes once it has.
    await next?.catch(() => undefined);
    throw err;
  } finally {
    await handle?.close();
  }
  return { sha512: hash.digest('hex'), size };
}

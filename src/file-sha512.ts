// chacra's checksum, sha512: the one hasher. The operations hash local files
// to plan and verify transfers and the bytes they send or receive; the local
// server hashes what it stores. The server may share nothing with the rest
// but leaf modules such as types.ts, so the hasher lives here, beside it,
// depending on node: alone; each caller says in its own words what a failed
// read means.
import type * as Crypto from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';

/**
 * A sha512 to feed with bytes as they come. node:crypto loads at the first
 * call: commands that hash nothing (exists, ls, repo show...) start without it.
 */
export function sha512Hash(): Crypto.Hash {
  return (process.getBuiltinModule('node:crypto') as typeof Crypto).createHash('sha512');
}

// As the upload's chunks (client/file-chunks.ts): large reads, few calls.
const CHUNK_SIZE = 1024 * 1024;

/** The file's sha512 in lowercase hex, and how many bytes it held. */
export async function fileSha512(path: string, signal?: AbortSignal): Promise<{ sha512: string; size: number }> {
  const hash = sha512Hash();
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

// chacra's checksum, sha512: the one hasher. The operations hash local files
// to plan and verify transfers and the bytes they send or receive; the local
// server hashes what it stores. The server may share nothing with the rest
// but leaf modules such as types.ts, so the hasher lives here, beside it,
// depending on node: alone; each caller says in its own words what a failed
// read means.
import type * as Crypto from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
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

/**
 * Files up to this size are read in one synchronous call by fileSha512Sync:
 * from the page cache that costs a few microseconds, where a round trip
 * through libuv's thread pool costs tens (#23: 20,000 small files took 0.3 s
 * read synchronously, 1.3-3 s through the pool).
 */
export const SMALL_FILE = 64 * 1024;

/**
 * 1 MiB buffers given back by finished hashes, taken by the next: a run of
 * many files allocates a few, not two per file (#23: two new 1 MiB buffers per
 * file kept the garbage collector busy for 2.5 s of a 20,000-file rerun).
 */
const spare: Buffer[] = [];
const SPARE_MAX = 8;

function takeChunk(): Buffer {
  return spare.pop() ?? Buffer.allocUnsafeSlow(CHUNK_SIZE);
}

function giveBack(buffer: Buffer): void {
  if (spare.length < SPARE_MAX) spare.push(buffer);
}

/** One buffer for every small file read synchronously: nothing else runs while it is in use. */
let smallScratch: Buffer | undefined;

/**
 * The sha512 and size of a file of at most SMALL_FILE bytes, read in one
 * synchronous call; undefined when it turns out larger (the caller then uses
 * fileSha512). Blocks the event loop for as long as one small read takes.
 */
export function fileSha512Sync(path: string): { sha512: string; size: number } | undefined {
  const fd = openSync(path, 'r');
  try {
    smallScratch ??= Buffer.allocUnsafeSlow(SMALL_FILE + 1);
    // One byte more than allowed: a read that fills it says the file is larger.
    let size = 0;
    for (;;) {
      const n = readSync(fd, smallScratch, size, smallScratch.length - size, size);
      if (n === 0) break;
      size += n;
      if (size > SMALL_FILE) return undefined;
    }
    return { sha512: sha512Hash().update(smallScratch.subarray(0, size)).digest('hex'), size };
  } finally {
    closeSync(fd);
  }
}

/** The file's sha512 in lowercase hex, and how many bytes it held. */
export async function fileSha512(path: string, signal?: AbortSignal): Promise<{ sha512: string; size: number }> {
  const hash = sha512Hash();
  let size = 0;
  let handle: FileHandle | undefined;
  let next: Promise<{ bytesRead: number }> | undefined;
  let current: Buffer | undefined;
  let other: Buffer | undefined;
  try {
    handle = await open(path, 'r');
    // Two buffers in turn: the next chunk is read while this one is hashed,
    // and memory stays flat in the file's size (#13: 256 KiB chunks, each a
    // new buffer, took a 1 GiB file's check to 134 MiB).
    current = takeChunk();
    next = handle.read(current, 0, CHUNK_SIZE, 0);
    for (;;) {
      const { bytesRead }: { bytesRead: number } = await next;
      next = undefined;
      signal?.throwIfAborted();
      if (bytesRead === 0) break;
      size += bytesRead;
      // A file that fits one chunk needs no second buffer: its next read finds the end.
      other ??= bytesRead < CHUNK_SIZE ? undefined : takeChunk();
      if (other === undefined) {
        hash.update(current.subarray(0, bytesRead));
        next = handle.read(current, 0, CHUNK_SIZE, size);
        continue;
      }
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
    // No read is in flight any more: the buffers are free for the next file.
    if (current) giveBack(current);
    if (other) giveBack(other);
  }
  return { sha512: hash.digest('hex'), size };
}

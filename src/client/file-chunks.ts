// Reading one file to upload: once, in order, in large chunks hashed on the
// way, into buffers that are handed back and read into again (#13: a fresh
// buffer per chunk left tens of MiB of garbage behind a 1 GiB upload, and
// its page faults cost more system time than the reads themselves).
import { open, stat } from 'node:fs/promises';
import { errnoWords } from '../errno-words.js';
import { FileError } from '../errors.js';
import { sha512Hash } from '../file-sha512.js';

export interface ListedFile {
  path: string;
  size: number;
  /** Modification time seen when the file was planned, to notice a file rewritten under us. */
  mtimeMs?: number | undefined;
}

/**
 * Bytes per read. Reads of 1 MiB take a quarter of the thread-pool round
 * trips of 256 KiB ones, for no measurable gain beyond (4 MiB measured the same).
 */
export const CHUNK_SIZE = 1024 * 1024;

/**
 * A few buffers of CHUNK_SIZE, lent for one read each and given back once
 * their bytes are written. With none free, a taker waits for one: the
 * connection's pace, not the disk's, sets how far reading runs ahead.
 */
export class BufferRing {
  private readonly free: ArrayBuffer[] = [];
  private made = 0;
  private waiter: { resolve: (b: Buffer) => void; reject: (err: unknown) => void } | undefined;
  private failure: unknown;

  constructor(private readonly count: number) {}

  take(signal?: AbortSignal): Promise<Buffer> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    let ready = this.free.pop();
    if (!ready && this.made < this.count) {
      this.made++;
      ready = new ArrayBuffer(CHUNK_SIZE);
    }
    if (ready) return Promise.resolve(Buffer.from(ready));
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiter = {
        resolve: (b) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(b);
        },
        reject,
      };
    });
  }

  /** Gives back the buffer a chunk was read into; a write that failed stops every taker. */
  give(chunk: Uint8Array, err?: Error | null): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    if (err) {
      this.failure ??= err;
      waiter?.reject(err);
      return;
    }
    if (waiter) waiter.resolve(Buffer.from(chunk.buffer as ArrayBuffer));
    else this.free.push(chunk.buffer as ArrayBuffer);
  }
}

/** A fresh buffer for every read: for consumers that cannot say when a chunk is written. */
export const freshBuffer = (): Promise<Buffer> => Promise.resolve(Buffer.allocUnsafeSlow(CHUNK_SIZE));

/**
 * The file's bytes, in order, each chunk in a buffer from `take`; its sha512
 * as the return value. A file that cannot be read throws a FileError that
 * says why; one that grows, shrinks or is rewritten while it is read throws
 * one that says it changed, so that it is not stored as good.
 */
export async function* hashedChunks(file: ListedFile, take: () => Promise<Buffer>): AsyncGenerator<Buffer, string> {
  const hash = sha512Hash();
  const handle = await open(file.path, 'r').catch((err: unknown) => {
    throw unreadable(file.path, err);
  });
  try {
    let position = 0;
    while (position < file.size) {
      const buffer = await take();
      let got: number;
      try {
        ({ bytesRead: got } = await handle.read(buffer, 0, Math.min(buffer.length, file.size - position), position));
      } catch (err) {
        throw unreadable(file.path, err);
      }
      if (got === 0) break;
      position += got;
      const chunk = buffer.subarray(0, got);
      hash.update(chunk);
      yield chunk;
    }
    const after = await stat(file.path).catch(() => undefined);
    if (position !== file.size || after?.size !== file.size || (file.mtimeMs !== undefined && after.mtimeMs !== file.mtimeMs)) throw changed(file.path);
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

export function changed(path: string): FileError {
  return new FileError(`${path} changed while it was being uploaded`, {
    hint: 'upload files once the build that writes them has finished',
  });
}

/** A file that cannot be read says why: only a file gone since it was listed changed under us. */
export function unreadable(path: string, err: unknown): FileError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new FileError(`${path} no longer exists: it was removed since it was listed`, { cause: err });
  const cause = errnoWords(err) ?? code ?? (err as Error).message;
  return new FileError(`cannot read ${path}: ${cause}`, {
    hint: code === 'EACCES' || code === 'EPERM' ? 'check the permissions of the file and of its directory' : undefined,
    cause: err,
  });
}

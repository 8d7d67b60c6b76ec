// A multipart/form-data body that streams one file from disk and hashes it on
// the way, so a file of any size is read once and never held in memory.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type * as Crypto from 'node:crypto';
import { BufferRing, changed, freshBuffer, hashedChunks, type ListedFile, unreadable } from './file-chunks.js';
import type { StreamedBody } from './wire.js';

export interface MultipartFile extends ListedFile {
  /** The name chacra stores: the multipart filename. */
  name: string;
  contentType: string;
}

export interface StreamedUpload {
  contentType: string;
  length: number;
  body: AsyncIterable<Uint8Array>;
  /** The sha512 of the bytes sent; set once the body has been read to its end. */
  readonly sha512: string | undefined;
  readonly bytesSent: number;
}

/** Files up to this size are read whole; larger ones stream in chunks of CHUNK_SIZE. */
export const SMALL_FILE = 1024 * 1024;

/**
 * Buffers a streamed file may have in flight: one being read while the
 * connection writes the others. More measured no faster against a real chacra.
 */
const RING = 4;

// WHATWG's multipart encoding of names: quotes and newlines are escaped, the rest is UTF-8.
function quoteName(name: string): string {
  return name.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22');
}

export function multipartUpload(file: MultipartFile, fields: Record<string, string> = {}, onBytes?: (n: number) => void, onSent?: () => void): StreamedUpload {
  // node:crypto loads at the first upload, not with the client: commands that
  // upload nothing (exists, ls, repo show...) start a few ms sooner without it.
  const { randomBytes } = process.getBuiltinModule('node:crypto') as typeof Crypto;
  const boundary = `----chacractl${randomBytes(12).toString('hex')}`;
  let head = '';
  for (const [name, value] of Object.entries(fields)) head += `--${boundary}\r\nContent-Disposition: form-data; name="${quoteName(name)}"\r\n\r\n${value}\r\n`;
  head += `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${quoteName(file.name)}"\r\n` + `Content-Type: ${file.contentType}\r\n\r\n`;
  const headBytes = Buffer.from(head, 'utf8');
  const tailBytes = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
  const contentType = `multipart/form-data; boundary=${boundary}`;

  // Small files, the bulk of a build, are read in one synchronous call: a few
  // microseconds from the page cache, where a stream costs several thread-pool
  // round trips per file between one upload and the next.
  if (file.size <= SMALL_FILE) return smallUpload(file, headBytes, tailBytes, contentType, onBytes, onSent);

  let sha512: string | undefined;
  let bytesSent = 0;
  // The file's chunks between the head and the tail; the tail goes only after the file was read whole and unchanged.
  async function* parts(take: () => Promise<Buffer>): AsyncGenerator<Uint8Array> {
    yield headBytes;
    const chunks = hashedChunks(file, take);
    for (;;) {
      const next = await chunks.next();
      if (next.done) {
        sha512 = next.value;
        break;
      }
      bytesSent += next.value.length;
      onBytes?.(next.value.length);
      yield next.value;
    }
    yield tailBytes;
  }

  const body: StreamedBody = {
    async writeTo(write, signal) {
      const ring = new BufferRing(RING);
      for await (const part of parts(() => ring.take(signal))) {
        // Head and tail are ours alone: only the file's chunks go back to the ring.
        const lent = part !== headBytes && part !== tailBytes;
        write(part, (err) => (lent || err ? ring.give(part, err) : undefined));
      }
      onSent?.();
    },
    async *[Symbol.asyncIterator]() {
      yield* parts(freshBuffer);
      // Resumed when the connection has taken the bytes.
      onSent?.();
    },
  };
  return {
    contentType,
    length: headBytes.length + file.size + tailBytes.length,
    body,
    get sha512() {
      return sha512;
    },
    get bytesSent() {
      return bytesSent;
    },
  };
}

/**
 * Bodies of small files written whole from a few reused buffers (#23): a new
 * buffer per file, some 4 KiB for each of 100,000 files, lived until a full
 * collection and held tens of MiB between them. A buffer goes back once the
 * connection has written it; one not given back (a request that failed before
 * its body went out) is left to the collector.
 */
const SCRATCH_SIZE = 64 * 1024;
const SCRATCH_MAX = 16;
const scratch: Buffer[] = [];

function takeScratch(length: number): Buffer {
  if (length > SCRATCH_SIZE) return Buffer.allocUnsafeSlow(length);
  return scratch.pop() ?? Buffer.allocUnsafeSlow(SCRATCH_SIZE);
}

function giveScratch(buffer: Buffer): void {
  if (buffer.length === SCRATCH_SIZE && scratch.length < SCRATCH_MAX) scratch.push(buffer);
}

function smallUpload(
  file: MultipartFile,
  headBytes: Buffer,
  tailBytes: Buffer,
  contentType: string,
  onBytes: ((n: number) => void) | undefined,
  onSent: (() => void) | undefined,
): StreamedUpload {
  const length = headBytes.length + file.size + tailBytes.length;
  // One byte more than the file for readSmall's check that it did not grow.
  const buffer = takeScratch(length + 1);
  headBytes.copy(buffer, 0);
  let whole: Buffer;
  try {
    const content = readSmall(file, buffer.subarray(headBytes.length, headBytes.length + file.size + 1));
    tailBytes.copy(buffer, headBytes.length + content.length);
    whole = buffer.subarray(0, length);
  } catch (err) {
    giveScratch(buffer);
    throw err;
  }
  // One call, no hash object per file.
  const { hash } = process.getBuiltinModule('node:crypto') as typeof Crypto;
  const sha512 = hash('sha512', whole.subarray(headBytes.length, headBytes.length + file.size), 'hex');
  onBytes?.(file.size);
  const body: StreamedBody = {
    async writeTo(write) {
      write(whole, (err) => (err ? undefined : giveScratch(buffer)));
      onSent?.();
    },
    // An engine that iterates keeps no promise of when the bytes are written: the buffer is not reused.
    async *[Symbol.asyncIterator]() {
      yield whole;
      // Resumed when the connection has taken the bytes.
      onSent?.();
    },
  };
  return { contentType, length, body, sha512, bytesSent: file.size };
}

/** A small file in one read into `into`, one byte longer than the file: a file that grew is caught by the count. */
function readSmall(file: ListedFile, into: Buffer): Buffer {
  let fd: number;
  try {
    fd = openSync(file.path, 'r');
  } catch (err) {
    throw unreadable(file.path, err);
  }
  try {
    let got = 0;
    while (got < into.length) {
      let n: number;
      try {
        n = readSync(fd, into, got, into.length - got, null);
      } catch (err) {
        throw unreadable(file.path, err);
      }
      if (n === 0) break;
      got += n;
    }
    const st = fstatSync(fd);
    if (got !== file.size || st.size !== file.size || (file.mtimeMs !== undefined && st.mtimeMs !== file.mtimeMs)) throw changed(file.path);
    return into.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** Content types by extension: the Python client sent text/plain for everything (defect 13). */
export function contentTypeOf(name: string): string {
  const ext = name.toLowerCase().split('.').pop() ?? '';
  return CONTENT_TYPES[ext] ?? 'application/octet-stream';
}

const CONTENT_TYPES: Record<string, string> = {
  rpm: 'application/x-rpm',
  deb: 'application/vnd.debian.binary-package',
  ddeb: 'application/vnd.debian.binary-package',
  udeb: 'application/vnd.debian.binary-package',
  dsc: 'text/plain',
  changes: 'text/plain',
  buildinfo: 'text/plain',
  gz: 'application/gzip',
  xz: 'application/x-xz',
  bz2: 'application/x-bzip2',
  zst: 'application/zstd',
  tar: 'application/x-tar',
  json: 'application/json',
  txt: 'text/plain',
};

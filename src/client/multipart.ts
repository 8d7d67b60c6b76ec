// A multipart/form-data body that streams one file from disk and hashes it on
// the way, so a file of any size is read once and never held in memory.
import type * as Crypto from 'node:crypto';
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { FileError } from '../errors.js';

export interface MultipartFile {
  path: string;
  /** The name chacra stores: the multipart filename. */
  name: string;
  size: number;
  /** Modification time seen when the file was planned, to notice a file rewritten under us. */
  mtimeMs?: number | undefined;
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

// node:crypto loads at the first upload, not with the client: commands that
// upload nothing (exists, ls, repo show...) start a few ms sooner without it.
const nodeCrypto = (): typeof Crypto => process.getBuiltinModule('node:crypto');

/** Files up to this size are read whole; larger ones stream in 256 KiB chunks. */
export const SMALL_FILE = 1024 * 1024;

// WHATWG's multipart encoding of names: quotes and newlines are escaped, the rest is UTF-8.
function quoteName(name: string): string {
  return name.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22');
}

export function multipartUpload(file: MultipartFile, fields: Record<string, string> = {}, onBytes?: (n: number) => void, onSent?: () => void): StreamedUpload {
  const boundary = '----chacractl' + nodeCrypto().randomBytes(12).toString('hex');
  let head = '';
  for (const [name, value] of Object.entries(fields)) head += `--${boundary}\r\nContent-Disposition: form-data; name="${quoteName(name)}"\r\n\r\n${value}\r\n`;
  head += `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${quoteName(file.name)}"\r\n` + `Content-Type: ${file.contentType}\r\n\r\n`;
  const headBytes = Buffer.from(head, 'utf8');
  const tailBytes = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
  let sha512: string | undefined;
  let bytesSent = 0;

  const changed = () =>
    new FileError(`${file.path} changed while it was being uploaded`, {
      hint: 'upload files once the build that writes them has finished',
    });

  // A file that cannot be read says why: only a file gone since it was listed changed under us.
  const unreadable = (err: unknown) => {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return new FileError(`${file.path} no longer exists: it was removed since it was listed`, { cause: err });
    const cause = code && code in READ_CAUSES ? `${READ_CAUSES[code]} (${code})` : (code ?? (err as Error).message);
    return new FileError(`cannot read ${file.path}: ${cause}`, {
      hint: code === 'EACCES' || code === 'EPERM' ? 'check the permissions of the file and of its directory' : undefined,
      cause: err,
    });
  };

  // Small files, the bulk of a build, are read in one synchronous call: a few
  // microseconds from the page cache, where a stream costs several thread-pool
  // round trips per file between one upload and the next.
  if (file.size <= SMALL_FILE) {
    let fd: number;
    try {
      fd = openSync(file.path, 'r');
    } catch (err) {
      throw unreadable(err);
    }
    let content: Buffer;
    try {
      content = Buffer.allocUnsafe(file.size + 1);
      let got = 0;
      // One byte more than the file should hold: a file that grew is caught by the count.
      while (got < content.length) {
        let n: number;
        try {
          n = readSync(fd, content, got, content.length - got, null);
        } catch (err) {
          throw unreadable(err);
        }
        if (n === 0) break;
        got += n;
      }
      const st = fstatSync(fd);
      if (got !== file.size || st.size !== file.size || (file.mtimeMs !== undefined && st.mtimeMs !== file.mtimeMs)) throw changed();
      content = content.subarray(0, got);
    } finally {
      closeSync(fd);
    }
    sha512 = nodeCrypto().createHash('sha512').update(content).digest('hex');
    bytesSent = content.length;
    onBytes?.(content.length);
    const whole = Buffer.concat([headBytes, content, tailBytes]);
    return {
      contentType: `multipart/form-data; boundary=${boundary}`,
      length: whole.length,
      body: (async function* () {
        yield whole;
        // Resumed when the connection has taken the bytes.
        onSent?.();
      })(),
      sha512,
      bytesSent,
    };
  }

  async function* body(): AsyncGenerator<Uint8Array> {
    const hash = nodeCrypto().createHash('sha512');
    yield headBytes;
    const stream = createReadStream(file.path, { highWaterMark: 256 * 1024 });
    const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    try {
      for (;;) {
        // Only the file's own read errors are the file's: an error the request hands back is not re-labelled.
        let next: IteratorResult<Buffer>;
        try {
          next = await chunks.next();
        } catch (err) {
          throw unreadable(err);
        }
        if (next.done) break;
        const chunk = next.value;
        bytesSent += chunk.length;
        if (bytesSent > file.size) break;
        hash.update(chunk);
        onBytes?.(chunk.length);
        yield chunk;
      }
    } finally {
      stream.destroy();
    }
    const after = await stat(file.path).catch(() => undefined);
    // A file that grows, shrinks or is rewritten while it streams must not be stored as good.
    if (bytesSent !== file.size || after?.size !== file.size || (file.mtimeMs !== undefined && after.mtimeMs !== file.mtimeMs)) throw changed();
    sha512 = hash.digest('hex');
    yield tailBytes;
    onSent?.();
  }

  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    length: headBytes.length + file.size + tailBytes.length,
    body: body(),
    get sha512() {
      return sha512;
    },
    get bytesSent() {
      return bytesSent;
    },
  };
}

/** The causes of a failed read, in words (multipart sits below the operations, whose files.ts has the full list). */
const READ_CAUSES: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  EIO: 'input/output error',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
};

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

// The local side of a download: what is at the destination before, the
// temporary file beside it, and taking the final name (or writing the output
// stream) only once the bytes are checked.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rmSync } from 'node:fs';
import { link, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { FileError } from '../errors.js';
import type { DownloadReport } from './download.js';
import { localFileError, sha512OfFile } from './files.js';

/** What a download checks its bytes and the file in place against. */
interface Listed {
  checksum: string;
}

/** The temporary file beside `path`: short enough wherever the final name fits. */
export function partName(path: string): string {
  const base = basename(path);
  return join(dirname(path), `.${base.length > 64 ? base.slice(0, 64) : base}.${randomBytes(6).toString('hex')}.part`);
}

/**
 * Temporary files being written: removed at exit whatever ends the process,
 * an uncaught exception included (#20: a crash in undici's parser left a
 * `.NAME.HEX.part` in the destination). Only SIGKILL leaves one behind.
 */
const inProgress = new Set<string>();
let exitHook = false;

/** Counts `path` as a temporary file to remove at exit until `done` is called. */
export function holdPart(path: string): () => void {
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const part of inProgress) {
        rmSync(part, { force: true, recursive: true });
      }
    });
  }
  inProgress.add(path);
  return () => inProgress.delete(path);
}

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * What is at the destination before a download: nothing, the right file
 * (unchanged), or something that must not be overwritten unasked.
 */
export async function checkDestination(report: DownloadReport, meta: Listed, force: boolean, signal: AbortSignal): Promise<'absent' | 'unchanged' | 'replace'> {
  const path = report.path;
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(path);
  } catch (err) {
    if (isMissing(err)) return 'absent';
    // Not a directory, a name too long, no permission: known before a byte is fetched.
    throw localFileError(err, path, 'write');
  }
  if (!st.isFile()) throw new FileError(`${path} is in the way: it is ${st.isDirectory() ? 'a directory' : 'not a regular file'}; not overwritten`);
  // The listed size is stale after a replacement (#94-#100): only the sha512 decides.
  if ((await sha512OfFile(path, signal)).sha512 === meta.checksum) return 'unchanged';
  if (force) return 'replace';
  report.replaceable = true;
  throw new FileError(`${path} exists with other contents; not overwritten`);
}

/**
 * Moves the checked file to its final name. Where nothing was there, the
 * name is taken with link(), which never replaces a file that appeared
 * meanwhile; rename() replaces, and is used only when asked to replace (or
 * where the file system has no hard links).
 */
export async function putInPlace(tmp: string, report: DownloadReport, meta: Listed, replace: boolean, signal: AbortSignal): Promise<void> {
  if (!replace) {
    try {
      await link(tmp, report.path);
      await unlink(tmp).catch(() => undefined);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        // Another process wrote the file while this one downloaded it.
        if ((await sha512OfFile(report.path, signal)).sha512 === meta.checksum) {
          report.outcome = 'unchanged';
          return;
        }
        report.replaceable = true;
        throw new FileError(`${report.path} appeared with other contents while it downloaded; not overwritten`);
      }
      if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK'].includes(code ?? '')) throw localFileError(err, report.path, 'write');
    }
  }
  await rename(tmp, report.path).catch((err: unknown) => Promise.reject(localFileError(err, report.path, 'write')));
}

/** Copies the checked file to the output stream, minding its back-pressure. */
export async function copyTo(path: string, to: Writable, destination: string): Promise<void> {
  let failure: unknown;
  const onError = (err: unknown) => (failure ??= err);
  to.on('error', onError);
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) {
      if (failure !== undefined) break;
      if (!to.write(chunk))
        await new Promise<void>((resolve) => {
          const done = () => {
            to.off('drain', done);
            to.off('error', done);
            to.off('close', done);
            resolve();
          };
          to.on('drain', done);
          to.on('error', done);
          to.on('close', done);
        });
    }
  } catch (err) {
    throw localFileError(err, path, 'read');
  } finally {
    to.off('error', onError);
  }
  if (failure !== undefined) throw new FileError(`cannot write to ${destination}: ${(failure as Error).message}`, { cause: failure });
}

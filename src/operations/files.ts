// Local files: what a path names, its sha512, and what a failed read or write means.
import { type Stats, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { errnoWords, isFileErrno } from '../errno-words.js';
import { FileError, InterruptedError } from '../errors.js';
import { fileSha512, fileSha512Sync, SMALL_FILE } from '../file-sha512.js';

export interface LocalFile {
  /** As the user gave it, for messages. */
  given: string;
  path: string;
  name: string;
  size: number;
  mtimeMs: number;
  /** Device and inode: two paths to one file are one file. */
  dev?: number;
  ino?: number;
}

export type LocalFileProblem = { given: string; path: string; name: string; problem: 'missing' | 'not-a-file' | 'unreadable'; reason: string };

/**
 * Looks a path up; a directory or other non-file is reported, not thrown.
 * Synchronous: a stat from the inode cache costs microseconds so, and ten
 * times more through libuv's thread pool, which is what a run of 100,000
 * files pays for each (#23). Callers run it in slices, yielding to the event
 * loop between them.
 */
export function inspectLocalFileSync(given: string, cwd = process.cwd()): LocalFile | LocalFileProblem {
  const path = resolve(cwd, given);
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    return problemOf(given, path, err);
  }
  return describeStat(given, path, st);
}

function describeStat(given: string, path: string, st: Stats): LocalFile | LocalFileProblem {
  const name = basename(path);
  if (!st.isFile()) return { given, path, name, problem: 'not-a-file', reason: st.isDirectory() ? 'is a directory' : 'is not a regular file' };
  return { given, path, name, size: st.size, mtimeMs: st.mtimeMs, dev: st.dev, ino: st.ino };
}

function problemOf(given: string, path: string, err: unknown): LocalFileProblem {
  const name = basename(path);
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return { given, path, name, problem: 'missing', reason: 'does not exist' };
  return { given, path, name, problem: 'unreadable', reason: `cannot be read: ${localCause(err)}` };
}

/** The sockets' own system calls: an error of theirs is the network's, whatever its code. */
const NETWORK_SYSCALLS = new Set(['connect', 'getaddrinfo', 'getnameinfo', 'bind', 'listen', 'accept']);

/**
 * An error of the local file system, not of the network: retrying it does not
 * help, and the user needs the path and the cause, not a retry.
 */
export function isLocalFileError(err: unknown): err is NodeJS.ErrnoException {
  const e = err as NodeJS.ErrnoException | undefined;
  return typeof e?.code === 'string' && isFileErrno(e.code) && !NETWORK_SYSCALLS.has(e.syscall ?? '');
}

/** "permission denied (EACCES)", or the error's own message. */
export function localCause(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return errnoWords(err) ?? code ?? (err instanceof Error ? err.message : String(err));
}

function hintFor(code: string | undefined): string | undefined {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'check the permissions of the file and of its directory';
    case 'ENOSPC':
    case 'EDQUOT':
      return 'free some space, or write somewhere else';
    case 'EROFS':
      return 'write somewhere else: that file system is mounted read-only';
    default:
      return undefined;
  }
}

/**
 * A local file system error as the user needs it: what could not be done to
 * which path, and why. `doing` is a verb phrase: "read", "write", "create the directory".
 */
export function localFileError(err: unknown, path: string, doing: string): FileError {
  if (err instanceof FileError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return new FileError(`cannot ${doing} ${path}: ${localCause(err)}`, { hint: hintFor(code), cause: err });
}

/**
 * The sha512 of a file of `size` bytes: read synchronously when it is small
 * (see fileSha512Sync), through the thread pool otherwise.
 */
export async function sha512OfLocal(path: string, size: number, signal?: AbortSignal): Promise<{ sha512: string; size: number }> {
  if (size <= SMALL_FILE) {
    try {
      const small = fileSha512Sync(path);
      if (small) return small;
    } catch (err) {
      throw localFileError(err, path, 'read');
    }
  }
  return sha512OfFile(path, signal);
}

/** The file's sha512; a read that fails is the file's problem, a FileError that names it. */
export async function sha512OfFile(path: string, signal?: AbortSignal): Promise<{ sha512: string; size: number }> {
  try {
    return await fileSha512(path, signal);
  } catch (err) {
    if (signal?.aborted) throw new InterruptedError();
    // Never the network's: not retried.
    throw localFileError(err, path, 'read');
  }
}

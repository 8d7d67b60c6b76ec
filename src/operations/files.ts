// Local files: what a path names, and its sha512, read in one streaming pass.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { InterruptedError } from '../errors.js';

export interface LocalFile {
  /** As the user gave it, for messages. */
  given: string;
  path: string;
  name: string;
  size: number;
  mtimeMs: number;
}

export type LocalFileProblem = { given: string; path: string; name: string; problem: 'missing' | 'not-a-file' | 'unreadable'; reason: string };

/** Looks a path up; a directory or other non-file is reported, not thrown. */
export async function inspectLocalFile(given: string, cwd = process.cwd()): Promise<LocalFile | LocalFileProblem> {
  const path = resolve(cwd, given);
  const name = basename(path);
  try {
    const st = await stat(path);
    if (!st.isFile()) return { given, path, name, problem: 'not-a-file', reason: st.isDirectory() ? 'is a directory' : 'is not a regular file' };
    return { given, path, name, size: st.size, mtimeMs: st.mtimeMs };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { given, path, name, problem: 'missing', reason: 'does not exist' };
    return { given, path, name, problem: 'unreadable', reason: `cannot be read (${code})` };
  }
}

export async function sha512OfFile(path: string, signal?: AbortSignal, onBytes?: (n: number) => void): Promise<{ sha512: string; size: number }> {
  const hash = createHash('sha512');
  let size = 0;
  const stream = createReadStream(path, { highWaterMark: 256 * 1024, signal });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
      onBytes?.(chunk.length);
    }
  } catch (err) {
    if (signal?.aborted) throw new InterruptedError();
    throw err;
  }
  return { sha512: hash.digest('hex'), size };
}

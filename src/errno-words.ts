// What a failed system call on a local file or directory means, in words: one
// table for every message about reading, writing or serving local files.
const WORDS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ENAMETOOLONG: 'the name is too long',
  ENOENT: 'no such file or directory',
  EEXIST: 'a file of that name exists',
  EFBIG: 'the file is too large',
  EIO: 'input/output error',
  ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  ETXTBSY: 'the file is busy',
};

/** Whether the code is one of a local file system's failures. */
export const isFileErrno = (code: string | undefined): boolean => code !== undefined && Object.hasOwn(WORDS, code);

/** "permission denied (EACCES)"; undefined for an error whose code is not in the table. */
export function errnoWords(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && isFileErrno(code) ? `${WORDS[code]} (${code})` : undefined;
}

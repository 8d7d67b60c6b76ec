// Local file errors (issue 11, item 7): told from network errors, named with
// the path and the cause. Tests run as root, for whom permission bits deny
// nothing, so EACCES and its kin are made here as fake errors: this covers the
// classification and the messages, not the kernel's refusal itself.
import assert from 'node:assert/strict';
import fs, { mkdtempSync, rmSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, mock, test } from 'node:test';
import { unreadable } from '../../src/client/file-chunks.js';
import { multipartUpload, SMALL_FILE } from '../../src/client/multipart.js';
import { errnoWords, isFileErrno } from '../../src/errno-words.js';
import { FileError } from '../../src/errors.js';
import { isLocalFileError, localFileError, sha512OfFile } from '../../src/operations/files.js';

const fake = (code: string, syscall: string, path = '/x/y.rpm') =>
  Object.assign(new Error(`${code}: fake, ${syscall} '${path}'`), { code, syscall, path, errno: -1 }) as NodeJS.ErrnoException;

const dir = mkdtempSync(join(tmpdir(), 'chacractl-local-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('local file system errors are told from network errors', () => {
  for (const [code, syscall] of [
    ['EACCES', 'open'],
    ['EPERM', 'open'],
    ['ENOSPC', 'write'],
    ['EDQUOT', 'write'],
    ['EROFS', 'open'],
    ['EISDIR', 'read'],
    ['ENOTDIR', 'mkdir'],
    ['ENAMETOOLONG', 'open'],
  ])
    assert.ok(isLocalFileError(fake(code!, syscall!)), code);
  for (const err of [fake('ECONNRESET', 'read'), fake('EPIPE', 'write'), fake('ETIMEDOUT', 'connect'), fake('EACCES', 'connect'), new Error('x'), undefined])
    assert.equal(isLocalFileError(err), false, String((err as NodeJS.ErrnoException | undefined)?.code));
});

test('a local error names the path, what could not be done, and why; with advice where there is some', () => {
  const denied = localFileError(fake('EACCES', 'open'), '/out/ceph.rpm', 'write');
  assert.ok(denied instanceof FileError);
  assert.equal(denied.message, 'cannot write /out/ceph.rpm: permission denied (EACCES)');
  assert.match(denied.hint ?? '', /permissions/);
  assert.equal(localFileError(fake('ENOSPC', 'write'), '/out/a.rpm', 'write').message, 'cannot write /out/a.rpm: no space left on the device (ENOSPC)');
  assert.equal(localFileError(fake('EROFS', 'open'), '/mnt/a.rpm', 'write').message, 'cannot write /mnt/a.rpm: read-only file system (EROFS)');
  assert.equal(localFileError(fake('EPERM', 'open'), '/a.rpm', 'read').message, 'cannot read /a.rpm: operation not permitted (EPERM)');
  // The library names no flag.
  assert.doesNotMatch(denied.message + denied.hint, /--/);
});

test('an upload of a file that cannot be opened (EACCES, as a non-root user meets it) says why, not "it changed"', () => {
  const real = fs.openSync;
  mock.method(fs, 'openSync', (path: fs.PathLike, ...rest: unknown[]) => {
    if (String(path).endsWith('locked.rpm')) throw fake('EACCES', 'open', String(path));
    return (real as (...a: unknown[]) => number)(path, ...rest);
  });
  syncBuiltinESMExports();
  try {
    assert.throws(
      () => multipartUpload({ path: '/build/locked.rpm', name: 'locked.rpm', size: 10, contentType: 'application/x-rpm' }),
      (err: unknown) =>
        err instanceof FileError &&
        err.message === 'cannot read /build/locked.rpm: permission denied (EACCES)' &&
        /permissions/.test(err.hint ?? '') &&
        !/changed/.test(err.message),
    );
  } finally {
    mock.restoreAll();
    syncBuiltinESMExports();
  }
});

test('a file removed since it was listed says so', () => {
  assert.throws(
    () => multipartUpload({ path: join(dir, 'gone.rpm'), name: 'gone.rpm', size: 10, contentType: 'application/x-rpm' }),
    (err: unknown) => err instanceof FileError && /gone\.rpm no longer exists: it was removed since it was listed/.test(err.message),
  );
});

test('a read that fails (a directory where the file was, EISDIR), small or streamed, names the path and the cause', async () => {
  assert.throws(
    () => multipartUpload({ path: dir, name: 'd.rpm', size: 10, contentType: 'application/x-rpm' }),
    (err: unknown) => err instanceof FileError && err.message === `cannot read ${dir}: is a directory (EISDIR)`,
  );
  const big = multipartUpload({ path: dir, name: 'd.rpm', size: SMALL_FILE + 1, contentType: 'application/x-rpm' });
  await assert.rejects(
    (async () => {
      for await (const _ of big.body);
    })(),
    (err: unknown) => err instanceof FileError && err.message === `cannot read ${dir}: is a directory (EISDIR)`,
  );
  await assert.rejects(sha512OfFile(dir), (err: unknown) => err instanceof FileError && err.message === `cannot read ${dir}: is a directory (EISDIR)`);
});

test('one table of errno words serves reads, writes and the local server', () => {
  const fake = (code: string) => Object.assign(new Error(code), { code });
  assert.equal(errnoWords(fake('ENOTDIR')), 'a part of the path is not a directory (ENOTDIR)');
  assert.equal(errnoWords(fake('ECONNREFUSED')), undefined);
  assert.equal(errnoWords(new Error('no code')), undefined);
  assert.equal(isFileErrno('EROFS'), true);
  // Not a table key inherited from Object.prototype.
  assert.equal(isFileErrno('toString'), false);
  assert.equal(unreadable('/b/x.rpm', fake('EIO')).message, 'cannot read /b/x.rpm: input/output error (EIO)');
});

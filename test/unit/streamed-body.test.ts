// A large file's multipart body (#13): the same bytes and sha512 whether it
// writes itself or is iterated, chunk boundaries included; a few buffers
// reused, each only once its bytes are written; failures stop it.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CHUNK_SIZE } from '../../src/client/file-chunks.js';
import { multipartUpload, type StreamedUpload } from '../../src/client/multipart.js';
import type { StreamedBody } from '../../src/client/wire.js';
import { FileError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'chacractl-streamed-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A file whose every byte depends on its offset, so that a chunk out of place or overwritten shows. */
function patterned(name: string, size: number): { path: string; bytes: Buffer } {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + (i >> 12)) % 251;
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return { path, bytes };
}

function upload(path: string, size: number, onBytes?: (n: number) => void): StreamedUpload {
  return multipartUpload({ path, name: 'big.rpm', size, contentType: 'application/x-rpm' }, { force: 'true' }, onBytes);
}

interface Written {
  copies: Buffer[];
  /** File chunks handed and not yet called back, at most. */
  mostOutstanding: number;
  /** Distinct buffers the file's chunks came in. */
  buffers: Set<ArrayBufferLike>;
}

/**
 * A connection that takes each chunk on the next turn of the event loop,
 * checking first that its bytes are still those it was handed: a buffer read
 * into again too early would fail it.
 */
async function writeAll(body: StreamedBody, signal = new AbortController().signal): Promise<Written> {
  const result: Written = { copies: [], mostOutstanding: 0, buffers: new Set() };
  let outstanding = 0;
  await body.writeTo((chunk, written) => {
    const copy = Buffer.from(chunk);
    result.copies.push(copy);
    // The file's chunks come in buffers of CHUNK_SIZE; the head and the tail do not.
    const lent = chunk.buffer.byteLength === CHUNK_SIZE;
    if (lent) {
      result.buffers.add(chunk.buffer);
      result.mostOutstanding = Math.max(result.mostOutstanding, ++outstanding);
    }
    setImmediate(() => {
      assert.ok(Buffer.from(chunk).equals(copy), 'a chunk changed before it was written');
      if (lent) outstanding--;
      written();
    });
  }, signal);
  return result;
}

const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('hex');

test('a streamed file gives the same body and sha512 written or iterated, across chunk boundaries', async () => {
  const size = 3 * CHUNK_SIZE + 12_345;
  const { path, bytes } = patterned('boundaries.rpm', size);
  let counted = 0;
  const pushed = upload(path, size, (n) => (counted += n));
  const written = await writeAll(pushed.body as StreamedBody);
  const whole = Buffer.concat(written.copies);
  assert.equal(whole.length, pushed.length);
  assert.equal(pushed.sha512, sha512(bytes));
  assert.equal(pushed.bytesSent, size);
  assert.equal(counted, size);

  const pulled = upload(path, size);
  const parts: Buffer[] = [];
  for await (const part of pulled.body) parts.push(Buffer.from(part));
  assert.equal(pulled.sha512, sha512(bytes));
  // Only the boundary differs between the two bodies.
  const boundaryOf = (u: StreamedUpload) => u.contentType.split('boundary=')[1]!;
  assert.equal(Buffer.concat(parts).toString('latin1').replaceAll(boundaryOf(pulled), 'B'), whole.toString('latin1').replaceAll(boundaryOf(pushed), 'B'));
  const text = whole.toString('latin1');
  assert.match(text, /^------chacractl[0-9a-f]{24}\r\nContent-Disposition: form-data; name="force"\r\n\r\ntrue\r\n/);
  assert.match(text, /Content-Disposition: form-data; name="file"; filename="big\.rpm"\r\nContent-Type: application\/x-rpm\r\n\r\n/);
  assert.ok(text.endsWith(`\r\n--${boundaryOf(pushed)}--\r\n`));
  const start = whole.indexOf('\r\n\r\n', text.indexOf('name="file"')) + 4;
  assert.ok(whole.subarray(start, start + size).equals(bytes), 'the file between head and tail, byte for byte');
});

test('a streamed file of any size is read into the same few buffers, none again before it is written', async () => {
  const size = 12 * CHUNK_SIZE + 1;
  const { path } = patterned('many-chunks.rpm', size);
  const written = await writeAll(upload(path, size).body as StreamedBody);
  assert.ok(written.buffers.size <= 4, `${written.buffers.size} buffers for ${size} bytes`);
  assert.ok(written.mostOutstanding <= 4, `${written.mostOutstanding} chunks unwritten at once`);
  assert.ok(written.copies.length >= 13, 'chunks of at most CHUNK_SIZE');
});

test('a write that fails stops the body with its error', async () => {
  const size = 6 * CHUNK_SIZE;
  const { path } = patterned('fails.rpm', size);
  const refused = new Error('connection reset');
  let handed = 0;
  const body = upload(path, size).body as StreamedBody;
  await assert.rejects(
    body.writeTo((_chunk, written) => {
      handed++;
      setImmediate(() => written(handed === 2 ? refused : null));
    }, new AbortController().signal),
    refused,
  );
  assert.ok(handed < 7, `${handed} chunks handed after the failure`);
});

test('a request that ends early stops the body once no buffer is free', async () => {
  const size = 8 * CHUNK_SIZE;
  const { path } = patterned('aborted.rpm', size);
  const ended = new AbortController();
  let handed = 0;
  const body = upload(path, size).body as StreamedBody;
  // Nothing is ever written: the ring runs dry, and the end of the request is what frees the body.
  const writing = body.writeTo(() => {
    if (++handed === 5) setImmediate(() => ended.abort(new Error('the request ended')));
  }, ended.signal);
  await assert.rejects(writing, /the request ended/);
  assert.equal(handed, 5, 'the head and one chunk per buffer');
});

test('a streamed file that grows while it is sent is not sent as good', async () => {
  const size = 2 * CHUNK_SIZE + 10;
  const { path } = patterned('grows.rpm', size);
  const body = upload(path, size).body as StreamedBody;
  let grown = false;
  await assert.rejects(
    body.writeTo((_chunk, written) => {
      if (!grown) appendFileSync(path, 'more');
      grown = true;
      setImmediate(written);
    }, new AbortController().signal),
    (err: unknown) => err instanceof FileError && /grows\.rpm changed while it was being uploaded/.test(err.message),
  );
});

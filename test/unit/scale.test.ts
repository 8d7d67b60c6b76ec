// The pieces that keep a run's memory flat in the number of files (#23): a
// listing read member by member, standard input read record by record, files
// hashed with buffers sized to them and reused, and the plan pulling paths
// only as it gets to them.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { records } from '../../src/cli/io.js';
import { failureKind } from '../../src/cli/upload-view.js';
import type { ChacraClient } from '../../src/client/client.js';
import { NotAnObject, ObjectMembers } from '../../src/client/json-members.js';
import { parseBinaryTarget } from '../../src/client/paths.js';
import { fileSha512, fileSha512Sync, SMALL_FILE } from '../../src/file-sha512.js';
import { DigestsByName } from '../../src/operations/digests.js';
import { uploadBinaries } from '../../src/operations/upload.js';

function members(text: string, cut: number[]): [string, unknown][] {
  const out: [string, unknown][] = [];
  const parser = new ObjectMembers((k, v) => out.push([k, v]));
  const bytes = Buffer.from(text);
  let from = 0;
  for (const at of [...cut, bytes.length]) {
    parser.push(bytes.subarray(from, at));
    from = at;
  }
  parser.end();
  return out;
}

test('a JSON object is read member by member, however its bytes are cut', () => {
  const doc = {
    'a.rpm': { checksum: 'x"y\\z', size: 3, nested: { list: [1, { b: '}' }], s: ']' } },
    'é ünïcode': 'text with "quotes" and \\',
    n: -12.5e3,
    t: true,
    z: null,
    arr: [],
    o: {},
  };
  const text = ` \n${JSON.stringify(doc, null, 1)}\n `;
  const whole = Object.entries(doc);
  assert.deepEqual(members(text, []), whole);
  // Every place a chunk can end, including inside keys, strings, escapes and scalars.
  for (let at = 1; at < Buffer.byteLength(text); at++) assert.deepEqual(members(text, [at]), whole, `cut at ${at}`);
  assert.deepEqual(members('{}', [1]), []);
});

test('anything but one whole JSON object is refused', () => {
  for (const bad of ['', '[1,2]', '"s"', '{"a":1', '{"a" 1}', '{"a":1 "b":2}', '{"a":tru}', '{"a":1}x', '<html>', '{1:2}', '{"a\\x":1}', '{"a\nb":1}'])
    assert.throws(() => members(bad, []), NotAnObject, JSON.stringify(bad));
});

test('standard input is split into records as it comes, across chunks', async () => {
  const chunks = ['a', 'b\nc', 'd\n\ne', '\nf'].map((s) => Buffer.from(s));
  const got: string[] = [];
  for await (const r of records(Readable.from(chunks), 0x0a)) got.push(r.toString());
  assert.deepEqual(got, ['ab', 'cd', '', 'e', 'f']);
  const nul: string[] = [];
  for await (const r of records(Readable.from([Buffer.from('x\0y'), Buffer.from('\0')]), 0)) nul.push(r.toString());
  assert.deepEqual(nul, ['x', 'y']);
});

test('files are hashed with buffers sized to them, reused from file to file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'chacractl-hash-'));
  try {
    const sizes = [0, 1, SMALL_FILE, SMALL_FILE + 1, 1024 * 1024 - 1, 1024 * 1024, 2 * 1024 * 1024 + 3, 17];
    for (const [i, size] of sizes.entries()) {
      const bytes = Buffer.alloc(size, i + 1);
      if (size > 0) bytes[size - 1] = 7;
      const path = join(dir, `f${i}`);
      writeFileSync(path, bytes);
      const expected = createHash('sha512').update(bytes).digest('hex');
      // The same file through the shared buffers, after files of other sizes used them.
      assert.deepEqual(await fileSha512(path), { sha512: expected, size }, `async, ${size} bytes`);
      const small = fileSha512Sync(path);
      if (size <= SMALL_FILE) assert.deepEqual(small, { sha512: expected, size }, `sync, ${size} bytes`);
      else assert.equal(small, undefined, `a file of ${size} bytes is not read whole synchronously`);
    }
    // A failed read gives its buffers back whole: the next file hashes right.
    await assert.rejects(fileSha512(dir));
    assert.equal((await fileSha512(join(dir, 'f7'))).size, 17);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('what a failure says without the file names is its kind: a flood of one kind is one line', () => {
  assert.equal(failureKind('dir/a.rpm does not exist', ['dir/a.rpm', '/abs/dir/a.rpm', 'a.rpm']), 'does not exist');
  assert.equal(failureKind('dir/b.rpm does not exist', ['dir/b.rpm', '/abs/dir/b.rpm', 'b.rpm']), 'does not exist');
  assert.equal(failureKind('/x/c.rpm: permission denied (EACCES)', ['/x/c.rpm', 'c.rpm']), 'permission denied (EACCES)');
  assert.equal(failureKind('a.rpm', ['a.rpm']), 'failed');
});

test('paths from a stream are looked at in slices as they come, never read far ahead', async () => {
  const total = 3000;
  let pulled = 0;
  let settled = 0;
  let furthestAhead = 0;
  async function* paths(): AsyncGenerator<string> {
    for (let i = 0; i < total; i++) {
      furthestAhead = Math.max(furthestAhead, pulled - settled);
      pulled++;
      yield `/nonexistent-${process.pid}/missing-${i}.rpm`;
    }
  }
  let listings = 0;
  // A client that holds nothing: only the listing is asked for, and it is empty.
  const client = {
    requestCount: 0,
    retryPolicy: { tries: 1, baseDelayMs: 1, maxDelayMs: 1 },
    async scanChecksums() {
      listings++;
      return false;
    },
  } as unknown as ChacraClient;
  const summary = await uploadBinaries(client, [{ target: parseBinaryTarget('p/r/s/centos/9/x86_64'), files: paths(), lenient: true }], {
    keepFiles: false,
    onEvent: (e) => {
      if (e.type === 'settled') settled++;
    },
  });
  assert.equal(summary.counts.missing, total);
  assert.equal(summary.given, total);
  assert.equal(summary.files.length, 0, 'without keepFiles the summary holds counts alone');
  assert.equal(settled, total, 'each file is told once');
  assert.equal(listings, 1);
  // A slice (256) and the one being pulled: never the whole list.
  assert.ok(furthestAhead <= 257, `read ${furthestAhead} paths ahead of those settled`);
});

test('a file sent is let go: when its target is verified, the run holds none of the reports of the files it sent', async () => {
  // The collector, asked for once the uploads are over: what it leaves is what the run holds.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const dir = mkdtempSync(join(tmpdir(), 'chacractl-held-'));
  try {
    const total = 2000;
    const paths: string[] = [];
    for (let i = 0; i < total; i++) {
      const path = join(dir, `held-${i}.rpm`);
      writeFileSync(path, `file ${i}`);
      paths.push(path);
    }
    const stored = new Map<string, string>();
    const sent: WeakRef<object>[] = [];
    let held = -1;
    let listings = 0;
    const client = {
      requestCount: 0,
      retryPolicy: { tries: 1, baseDelayMs: 1, maxDelayMs: 1 },
      async scanChecksums(_target: unknown, visit: (entry: { name: string; checksum: string; size: number }) => void) {
        // The plan's listing: the target is new.
        if (listings++ === 0) return false;
        // Verification, after the last upload: a turn of the event loop lets the weak references go.
        await new Promise((resolve) => setImmediate(resolve));
        gc();
        held = sent.filter((ref) => ref.deref() !== undefined).length;
        for (const [name, checksum] of stored) visit({ name, checksum, size: 0 });
        return true;
      },
      async uploadBinary(_target: unknown, file: { name: string; size: number }, options: { onSent?: () => void }) {
        const sha512 = createHash('sha512').update(file.name).digest('hex');
        stored.set(file.name, sha512);
        options.onSent?.();
        return { outcome: 'created', sha512, bytesSent: file.size };
      },
    } as unknown as ChacraClient;
    const summary = await uploadBinaries(client, [{ target: parseBinaryTarget('p/r/s/centos/9/x86_64'), files: paths }], {
      keepFiles: false,
      onEvent: (e) => {
        if (e.type === 'done') sent.push(new WeakRef(e.file));
      },
    });
    assert.equal(summary.counts.uploaded, total);
    assert.equal(listings, 2, 'one listing to plan, one to verify');
    assert.equal(sent.length, total);
    assert.equal(held, 0, `${held} of ${total} reports of files sent were still held when their target was verified`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sha512s by name are held as bytes and come back as they came; a checksum of another form is kept as it came', () => {
  const digests = new DigestsByName();
  const lower = createHash('sha512').update('a').digest('hex');
  const other = createHash('sha512').update('b').digest('hex');
  const slot = digests.set('a.rpm', lower);
  assert.equal(digests.get('a.rpm'), lower);
  assert.ok(digests.matches(slot, lower));
  assert.ok(!digests.matches(slot, other));
  assert.ok(!digests.matches(slot, lower.toUpperCase()), 'compared as it came, not case-folded');
  // Capitals, too short, not hex: kept and compared as they came.
  for (const odd of [lower.toUpperCase(), lower.slice(2), `${lower.slice(0, 126)}zz`, '']) {
    const at = digests.set('odd.rpm', odd);
    assert.equal(digests.at(at), odd);
    assert.ok(digests.matches(at, odd));
    assert.ok(!digests.matches(at, lower));
  }
  // A name set again takes its place, and its new checksum.
  assert.equal(digests.set('a.rpm', other), slot);
  assert.equal(digests.get('a.rpm'), other);
  assert.equal(digests.size, 2);
  assert.equal(digests.get('missing.rpm'), undefined);
  // Past one buffer of slots, each still its own.
  const many = new DigestsByName();
  const sums = Array.from({ length: 2500 }, (_, i) => createHash('sha512').update(String(i)).digest('hex'));
  for (const [i, sum] of sums.entries()) many.set(`f${i}`, sum);
  for (const [i, sum] of sums.entries()) assert.equal(many.get(`f${i}`), sum);
});

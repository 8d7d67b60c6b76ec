import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Faults } from './faults.js';
import { upload, type UploadStats } from './upload.js';
import { badRequest, crash, groupBy, methodNotAllowed, notFound, sendJson, type Exchange } from './respond.js';
import { type BinaryKey, preview, relativeBinaryPath, unusableName } from './layout.js';
import { repoKeyOf, type Store, type StoredBinary } from './store.js';

const LEVELS = ['project', 'ref', 'sha1', 'distro', 'version', 'arch'] as const;

export async function handleBinaries(x: Exchange, store: Store, faults: Faults, stats: UploadStats): Promise<void> {
  const s = x.segments;
  if (s.length === 0) {
    if (x.method !== 'GET' && x.method !== 'HEAD') return methodNotAllowed(x, 'POST requests to this url are not allowed');
    const index: Record<string, string[]> = {};
    for (const p of [...store.projects].sort()) index[p] = [...new Set(store.binariesWhere({ project: p }).map((b) => b.ref))].sort();
    return sendJson(x, 200, index);
  }
  if (s.length === 1 && x.method === 'POST') {
    x.req.resume();
    const unusable = unusableName(s[0]!);
    if (unusable) return badRequest(x, `project ${preview(s[0]!)} ${unusable}`);
    store.createProject(s[0]!);
    return sendJson(x, 200, {});
  }
  if (s.length <= 5) {
    if (x.method !== 'GET' && x.method !== 'HEAD') return methodNotAllowed(x, 'POST requests to this url are not allowed');
    const filter: Partial<StoredBinary> = {};
    for (const [i, v] of s.entries()) filter[LEVELS[i]!] = v;
    const found = store.binariesWhere(filter);
    if (found.length === 0) {
      // An empty project exists (#54) and lists as {}.
      if (s.length === 1 && store.projects.has(s[0]!)) return sendJson(x, 200, {});
      return notFound(x);
    }
    const level = LEVELS[s.length]!;
    const below = s.length === 5 ? (b: StoredBinary) => b.name : (b: StoredBinary) => b[LEVELS[s.length + 1]!];
    return sendJson(
      x,
      200,
      groupBy(found, (b) => b[level], below),
    );
  }
  const base: Omit<BinaryKey, 'flavor'> = { project: s[0]!, ref: s[1]!, sha1: s[2]!, distro: s[3]!, version: s[4]!, arch: s[5]! };
  const rest = s.slice(6);
  if (rest.length === 0) return targetLevel(x, store, faults, stats, { ...base, flavor: undefined });
  if (rest[0] === 'flavors') {
    if (rest.length === 1) {
      if (x.method !== 'GET' && x.method !== 'HEAD') return methodNotAllowed(x, 'POST requests to this url are not allowed');
      const found = store.binariesWhere(base);
      if (found.length === 0) return notFound(x);
      return sendJson(
        x,
        200,
        groupBy(
          found,
          (b) => b.flavor,
          (b) => b.name,
        ),
      );
    }
    if (rest.length === 2) return targetLevel(x, store, faults, stats, { ...base, flavor: rest[1]! });
    if (rest.length === 3) return binary(x, store, faults, stats, { ...base, flavor: rest[1]!, name: rest[2]! });
    return notFound(x);
  }
  if (rest.length === 1) return binary(x, store, faults, stats, { ...base, flavor: 'default', name: rest[0]! });
  return notFound(x);
}

/** An arch level (flavor undefined: every flavor mixed, #40) or a flavor level. */
async function targetLevel(
  x: Exchange,
  store: Store,
  faults: Faults,
  stats: UploadStats,
  t: Omit<BinaryKey, 'flavor'> & { flavor: string | undefined },
): Promise<void> {
  if (x.method === 'POST') return upload(x, store, faults, stats, { ...t, flavor: t.flavor ?? 'default' });
  if (x.method !== 'GET' && x.method !== 'HEAD') return methodNotAllowed(x, `${x.method} requests to this url are not allowed`);
  const filter: Partial<StoredBinary> = { ...t };
  if (t.flavor === undefined) delete filter.flavor;
  const found = store.binariesWhere(filter).sort((a, b) => a.created - b.created);
  if (found.length === 0) return notFound(x);
  const now = Date.now();
  const listing: Record<string, unknown> = {};
  // Keyed by name: at the arch level one flavor's binary hides another's of the same name (#40).
  for (const b of found) listing[b.name] = store.binaryMetadata(b, now);
  return sendJson(x, 200, listing);
}

async function binary(x: Exchange, store: Store, faults: Faults, stats: UploadStats, key: BinaryKey & { name: string }): Promise<void> {
  const rel = relativeBinaryPath(key);
  const stored = store.get(rel);
  switch (x.method) {
    case 'GET':
    case 'HEAD': {
      if (!stored) return notFound(x);
      x.res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': stored.size,
        'content-disposition': `attachment; filename=${encodeHeader(stored.name)}`,
      });
      if (x.method === 'HEAD') return void x.res.end();
      const source = createReadStream(join(store.publicRoot, rel));
      await pipeline(source, faults.alterDownload(x, stored.size), x.res).catch(() => x.res.destroy());
      return;
    }
    case 'PUT':
      // #20: chacra crashes on a PUT to a binary that does not exist.
      if (!stored) {
        x.req.resume();
        return crash(x);
      }
      return upload(x, store, faults, stats, key, key.name);
    case 'DELETE': {
      if (!stored) return notFound(x);
      // chacra removes a repo with its last binary, deciding in the DELETE's own
      // transaction: deletes of one repo that overlap each still count the
      // others' binaries, and the repo stays behind with none (seen on a real chacra).
      const overlapping = store.deleting.get(repoKeyOf(stored)) ?? new Set<{ overlapped: boolean }>();
      store.deleting.set(repoKeyOf(stored), overlapping);
      const self = { overlapped: overlapping.size > 0 };
      for (const other of overlapping) other.overlapped = true;
      overlapping.add(self);
      try {
        await new Promise((resolve) => setTimeout(resolve, 2)); // the transaction's time
        store.remove(rel, { racing: self.overlapped });
      } finally {
        overlapping.delete(self);
        if (overlapping.size === 0) store.deleting.delete(repoKeyOf(stored));
      }
      x.res.writeHead(204);
      return void x.res.end();
    }
    default:
      return methodNotAllowed(x, `${x.method} requests to this url are not allowed`);
  }
}

// Node refuses header values outside latin1; chacra sends the name as it is (#44).
// Control characters, which no header may hold, become "_".
function encodeHeader(name: string): string {
  return Buffer.from(name, 'utf8')
    .toString('latin1')
    .replace(/[^\t\x20-\x7e\x80-\xff]/g, '_');
}

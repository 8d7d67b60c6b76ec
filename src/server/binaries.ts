// /binaries/...: listings at every level, uploads, downloads, deletes.
import busboy from 'busboy';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Faults } from './faults.js';
import { badRequest, crash, groupBy, methodNotAllowed, notFound, sendJson, type Exchange } from './respond.js';
import { relativeBinaryPath, repoKeyOf, type BinaryKey, type Store, type StoredBinary } from './store.js';

const LEVELS = ['project', 'ref', 'sha1', 'distro', 'version', 'arch'] as const;

/** What the handlers record for tests: the content type each uploaded file was sent with. */
export interface UploadStats {
  uploadTypes: Record<string, number>;
  duplicateRepos: number;
}

export async function handleBinaries(x: Exchange, store: Store, faults: Faults, stats: UploadStats): Promise<void> {
  const s = x.segments;
  if (s.length === 0) {
    if (x.method !== 'GET' && x.method !== 'HEAD') return methodNotAllowed(x, 'POST requests to this url are not allowed');
    const index: Record<string, string[]> = {};
    for (const p of [...store.projects].sort()) index[p] = [...new Set(store.binariesWhere({ project: p }).map((b) => b.ref))].sort();
    return sendJson(x, 200, index);
  }
  if (s.length === 1 && x.method === 'POST') {
    store.createProject(s[0]!);
    return sendJson(x, 200, {});
  }
  if (s.length <= 5) {
    if (x.method !== 'GET' && x.method !== 'HEAD') return methodNotAllowed(x, 'POST requests to this url are not allowed');
    const filter: Partial<StoredBinary> = {};
    s.forEach((v, i) => (filter[LEVELS[i]!] = v));
    const found = store.binariesWhere(filter);
    if (found.length === 0) {
      // An empty project exists (#54) and lists as {}.
      if (s.length === 1 && store.projects.has(s[0]!)) return sendJson(x, 200, {});
      return notFound(x);
    }
    const level = LEVELS[s.length]!;
    const below = s.length === 5 ? (b: StoredBinary) => b.name : (b: StoredBinary) => b[LEVELS[s.length + 1]!];
    return sendJson(x, 200, groupBy(found, (b) => b[level], below));
  }
  const base: Omit<BinaryKey, 'flavor'> = { project: s[0]!, ref: s[1]!, sha1: s[2]!, distro: s[3]!, version: s[4]!, arch: s[5]! };
  const rest = s.slice(6);
  if (rest.length === 0) return targetLevel(x, store, faults, stats, { ...base, flavor: undefined });
  if (rest[0] === 'flavors') {
    if (rest.length === 1) {
      if (x.method !== 'GET' && x.method !== 'HEAD') return methodNotAllowed(x, 'POST requests to this url are not allowed');
      const found = store.binariesWhere(base);
      if (found.length === 0) return notFound(x);
      return sendJson(x, 200, groupBy(found, (b) => b.flavor, (b) => b.name));
    }
    if (rest.length === 2) return targetLevel(x, store, faults, stats, { ...base, flavor: rest[1]! });
    if (rest.length === 3) return binary(x, store, faults, stats, { ...base, flavor: rest[1]!, name: rest[2]! });
    return notFound(x);
  }
  if (rest.length === 1) return binary(x, store, faults, stats, { ...base, flavor: 'default', name: rest[0]! });
  return notFound(x);
}

/** An arch level (flavor undefined: every flavor mixed, #40) or a flavor level. */
async function targetLevel(x: Exchange, store: Store, faults: Faults, stats: UploadStats, t: Omit<BinaryKey, 'flavor'> & { flavor: string | undefined }): Promise<void> {
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
function encodeHeader(name: string): string {
  return Buffer.from(name, 'utf8').toString('latin1');
}

function enter(map: Map<string, number>, name: string): () => void {
  map.set(name, (map.get(name) ?? 0) + 1);
  return () => {
    const left = (map.get(name) ?? 1) - 1;
    if (left === 0) map.delete(name);
    else map.set(name, left);
  };
}

/**
 * As on a real chacra, a first upload into a new project that overlaps
 * another one fails with a 500 (a unique-key violation on the project's name),
 * and one into a new repo makes a duplicate repo record, counted in
 * `stats.duplicateRepos` since this store keeps one record per repo.
 */
async function upload(x: Exchange, store: Store, faults: Faults, stats: UploadStats, key: BinaryKey, putName?: string): Promise<void> {
  const leave: (() => void)[] = [];
  let projectRace = false;
  if (putName === undefined && !store.projects.has(key.project)) {
    projectRace = store.creating.projects.has(key.project);
    leave.push(enter(store.creating.projects, key.project));
  }
  const repoKey = repoKeyOf(key);
  if (putName === undefined && !store.repos.has(repoKey)) {
    if (store.creating.repos.has(repoKey) && !projectRace) stats.duplicateRepos++;
    leave.push(enter(store.creating.repos, repoKey));
  }
  try {
    await receive(x, store, faults, stats, key, putName, projectRace);
  } finally {
    for (const l of leave) l();
  }
}

/** Receives a multipart upload into a temporary file and moves it into place only once whole. */
function receive(x: Exchange, store: Store, faults: Faults, stats: UploadStats, key: BinaryKey, putName: string | undefined, projectRace: boolean): Promise<void> {
  return new Promise<void>((resolve) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: x.req.headers, defParamCharset: 'utf8' });
    } catch {
      badRequest(x, 'no file object found in "file" param in POST request');
      x.req.resume();
      return resolve();
    }
    const fields = new Map<string, string>();
    let received: { tmp: string; name: string; size: number; checksum: Promise<string> } | undefined;
    let failed = false;
    const writes: Promise<void>[] = [];
    parser.on('field', (name, value) => fields.set(name, value));
    parser.on('file', (field, stream, info) => {
      if (field !== 'file' || received) return void stream.resume();
      stats.uploadTypes[info.mimeType] = (stats.uploadTypes[info.mimeType] ?? 0) + 1;
      const tmp = join(store.tmpRoot, randomBytes(12).toString('hex'));
      const hash = createHash('sha512');
      let size = 0;
      // Hashed after any injected fault: the checksum is that of what is stored.
      const done = pipeline(stream, faults.alterUpload(x), async function* (source) {
        for await (const chunk of source) {
          hash.update(chunk as Buffer);
          size += (chunk as Buffer).length;
          yield chunk;
        }
      }, createWriteStream(tmp));
      const entry = { tmp, name: putName ?? info.filename ?? '', size: 0, checksum: done.then(() => hash.digest('hex')) };
      received = entry;
      writes.push(done.then(() => {
        entry.size = size;
      }));
    });
    const abandon = async () => {
      failed = true;
      if (received) await rm(received.tmp, { force: true });
      resolve();
    };
    // The client went away before the whole body came: nothing is stored.
    if (x.req.destroyed && !x.req.complete) return void abandon();
    x.req.on('close', () => {
      if (!x.req.complete) void abandon();
    });
    parser.on('error', async () => {
      await abandon();
      if (!x.res.headersSent) badRequest(x, 'malformed multipart body');
    });
    parser.on('close', async () => {
      try {
        await Promise.all(writes);
      } catch {
        return abandon();
      }
      if (failed) return;
      if (!received || !received.name) {
        badRequest(x, 'no file object found in "file" param in POST request');
        return resolve();
      }
      if (projectRace) {
        await rm(received.tmp, { force: true });
        crash(x);
        return resolve();
      }
      const rel = relativeBinaryPath({ ...key, name: received.name });
      const exists = store.get(rel) !== undefined;
      // #12, #13: any force field replaces, whatever its value.
      if (exists && putName === undefined && !fields.has('force')) {
        await rm(received.tmp, { force: true });
        badRequest(x, 'resource already exists and "force" key was not used');
        return resolve();
      }
      const checksum = await received.checksum;
      const final = join(store.publicRoot, rel);
      await mkdir(dirname(final), { recursive: true });
      await rename(received.tmp, final);
      const { created } = store.put({ ...key, name: received.name, size: received.size, checksum });
      const failure = faults.statusAfterStore(x);
      if (failure !== undefined) crash(x, failure);
      else sendJson(x, created && putName === undefined ? 201 : 200, {});
      resolve();
    });
    x.req.pipe(parser);
  });
}

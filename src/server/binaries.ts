// /binaries/...: listings at every level, uploads, downloads, deletes.
import busboy from 'busboy';
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Faults } from './faults.js';
import { badRequest, crash, groupBy, methodNotAllowed, notFound, sendJson, type Exchange } from './respond.js';
import { preview, relativeBinaryPath, repoKeyOf, unusableName, type BinaryKey, type Store, type StoredBinary } from './store.js';

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

/** Counts an upload under way under `name`; the function returned ends it, once however often it is called. */
function enter(map: Map<string, number>, name: string): () => void {
  map.set(name, (map.get(name) ?? 0) + 1);
  let left = false;
  return () => {
    if (left) return;
    left = true;
    const count = (map.get(name) ?? 1) - 1;
    if (count === 0) map.delete(name);
    else map.set(name, count);
  };
}

/**
 * As on a real chacra, a first upload into a new project that overlaps
 * another one fails with a 500 (a unique-key violation on the project's name),
 * and one into a new repo makes a duplicate repo record, counted in
 * `stats.duplicateRepos` since this store keeps one record per repo.
 */
async function upload(x: Exchange, store: Store, faults: Faults, stats: UploadStats, key: BinaryKey, putName?: string): Promise<void> {
  const unusable = unstorable(key);
  if (unusable) {
    x.req.resume();
    return badRequest(x, unusable);
  }
  // The client went away while its request waited (the delay, a busy worker): nothing to store.
  if (x.req.socket.destroyed) return;
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
  // Once the exchange is over, however it ended: a client gone while its request
  // waited for a worker leaves a body nobody reads, and its upload must not
  // count as under way for ever (chacra's transaction would be rolled back).
  const over = () => {
    for (const l of leave) l();
  };
  x.res.once('close', over);
  try {
    await Promise.race([receive(x, store, faults, stats, key, putName, projectRace), new Promise<void>((resolve) => x.res.once('close', resolve))]);
  } finally {
    over();
  }
}

/** Receives a multipart upload into a temporary file and moves it into place only once whole. */
function receive(
  x: Exchange,
  store: Store,
  faults: Faults,
  stats: UploadStats,
  key: BinaryKey,
  putName: string | undefined,
  projectRace: boolean,
): Promise<void> {
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
    let received: { tmp: string; name: string; size: number; hash: Hash; stream: Readable; file: WriteStream } | undefined;
    let over = false;
    const writes: Promise<void>[] = [];
    /**
     * Ends the exchange, once, whichever way it went: the temporary file goes
     * (a stored one was renamed away already), and `answer` is sent while the
     * client still listens. Nothing here may throw: it runs in event handlers.
     */
    const end = async (answer?: () => void): Promise<void> => {
      if (over) return;
      over = true;
      try {
        if (received) {
          received.stream.destroy();
          await Promise.allSettled(writes);
          // A file stream destroyed while still opening creates its file afterwards: wait for it.
          if (!received.file.closed) await new Promise<void>((r) => received!.file.once('close', () => r()));
          await rm(received.tmp, { force: true });
        }
      } catch {
        // A temporary file left behind goes at the next start.
      }
      try {
        if (answer && !x.res.headersSent && !x.res.destroyed) answer();
      } catch {
        x.res.destroy();
      }
      resolve();
    };
    parser.on('field', (name, value) => fields.set(name, value));
    parser.on('file', (field, stream, info) => {
      if (field !== 'file' || received || over) return void stream.resume();
      stats.uploadTypes[info.mimeType] = (stats.uploadTypes[info.mimeType] ?? 0) + 1;
      const tmp = join(store.tmpRoot, randomBytes(12).toString('hex'));
      const hash = createHash('sha512');
      const file = createWriteStream(tmp);
      const entry = { tmp, name: putName ?? info.filename ?? '', size: 0, hash, stream, file };
      received = entry;
      // Hashed after any injected fault: the checksum is that of what is stored.
      const write = pipeline(
        stream,
        faults.alterUpload(x),
        async function* (source) {
          for await (const chunk of source) {
            hash.update(chunk as Buffer);
            entry.size += (chunk as Buffer).length;
            yield chunk;
          }
        },
        file,
      );
      // Awaited when the body is complete; a body that never completes must not leave it unhandled.
      write.catch(() => undefined);
      writes.push(write);
    });
    // The client went away before the whole body came: nothing is stored.
    if (x.req.destroyed && !x.req.complete) return void end();
    x.req.on('close', () => {
      if (!x.req.complete) void end();
    });
    // Such as a body cut short before its closing boundary.
    parser.on('error', () => void end(() => badRequest(x, 'malformed multipart body')));
    parser.on('close', () => {
      void storeUpload().catch((err: unknown) => end(() => storeFailed(x, err, received?.name)));
    });
    const storeUpload = async (): Promise<void> => {
      await Promise.all(writes);
      if (over) return;
      if (!received?.name) return end(() => badRequest(x, 'no file object found in "file" param in POST request'));
      if (projectRace) return end(() => crash(x));
      const name = received.name;
      const unusable = unusableName(name);
      if (unusable) return end(() => badRequest(x, `file name ${preview(name)} ${unusable}`));
      const rel = relativeBinaryPath({ ...key, name });
      const exists = store.get(rel) !== undefined;
      // #12, #13: any force field replaces, whatever its value.
      if (exists && putName === undefined && !fields.has('force')) return end(() => badRequest(x, 'resource already exists and "force" key was not used'));
      const checksum = received.hash.digest('hex');
      const final = join(store.publicRoot, rel);
      await mkdir(dirname(final), { recursive: true });
      await rename(received.tmp, final);
      const { created } = store.put({ ...key, name, size: received.size, checksum });
      const failure = faults.statusAfterStore(x);
      return end(() => (failure !== undefined ? crash(x, failure) : sendJson(x, created && putName === undefined ? 201 : 200, {})));
    };
    x.req.pipe(parser);
  });
}

/** The answer to an upload the filesystem refused: the server goes on serving. */
function storeFailed(x: Exchange, err: unknown, name: string | undefined): void {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const what = name ? preview(name) : 'the upload';
  if (code === 'ENAMETOOLONG') return badRequest(x, `cannot store ${what}: its path is too long for the filesystem`);
  sendJson(x, 500, { message: `cannot store ${what}: ${code ?? (err as Error | undefined)?.message ?? String(err)}` });
}

/** Why a binary cannot be stored at this key, as a 400 answer says it; undefined when it can. */
function unstorable(key: BinaryKey): string | undefined {
  const parts: [string, string][] = [
    ['project', key.project],
    ['ref', key.ref],
    ['sha1', key.sha1],
    ['distro', key.distro],
    ['distro version', key.version],
    ['arch', key.arch],
    ['flavor', key.flavor],
  ];
  for (const [what, value] of parts) {
    const reason = unusableName(value);
    if (reason) return `${what} ${preview(value)} ${reason}`;
  }
  return undefined;
}

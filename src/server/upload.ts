// Receiving an upload (POST to a target, PUT to a binary): multipart parsed
// as it streams to a temporary file, hashed, and moved into place only once
// whole, with chacra's races on new projects and repos.
import busboy from 'busboy';
import { randomBytes, type Hash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Faults } from './faults.js';
import { badRequest, crash, sendJson, type Exchange } from './respond.js';
import { sha512Hash } from '../file-sha512.js';
import { type BinaryKey, preview, relativeBinaryPath, unusableName } from './layout.js';
import { repoKeyOf, type Store } from './store.js';

/** What the handlers record for tests: the content type each uploaded file was sent with. */
export interface UploadStats {
  uploadTypes: Record<string, number>;
  duplicateRepos: number;
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
export async function upload(x: Exchange, store: Store, faults: Faults, stats: UploadStats, key: BinaryKey, putName?: string): Promise<void> {
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
      const hash = sha512Hash();
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

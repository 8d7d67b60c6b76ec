// The store on disk. The files under public/ are the truth; state.json keeps
// what they cannot say (the size listings show, chacra's times, who built a
// binary, the repos), trusted for a file only while its size and mtime are
// those it recorded: a file changed behind the server's back is hashed again.
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileSha512 } from '../file-sha512.js';
import { walkBinaries } from './layout.js';
import type { StoredBinary, StoredRepo } from './store.js';

interface StateFile {
  version: 1;
  projects: string[];
  binaries: Record<string, { checksum: string; size: number; listedSize?: number; mtimeMs: number; created: number; modified: number; builtBy: string | null }>;
  repos: StoredRepo[];
}

/** What state.json held, or undefined for none (a new data directory, or one whose state cannot be read). */
export function readStateFile(path: string): StateFile | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as StateFile;
  } catch {
    return undefined;
  }
}

/** Every binary under `publicRoot` with its path below it, from the files and what `state` recorded of them. */
export async function* scanBinaries(publicRoot: string, state: StateFile | undefined): AsyncGenerator<[string, StoredBinary]> {
  for (const file of walkBinaries(publicRoot)) {
    const st = statSync(join(publicRoot, file.rel));
    const cached = state?.binaries[file.rel];
    const fresh = cached && cached.size === st.size && cached.mtimeMs === st.mtimeMs;
    const checksum = fresh ? cached.checksum : (await fileSha512(join(publicRoot, file.rel))).sha512;
    yield [
      file.rel,
      {
        ...file.key,
        name: file.name,
        size: st.size,
        listedSize: cached?.listedSize ?? cached?.size ?? st.size,
        checksum,
        mtimeMs: st.mtimeMs,
        created: cached?.created ?? st.birthtimeMs,
        modified: fresh ? cached.modified : st.mtimeMs,
        builtBy: cached?.builtBy ?? null,
      },
    ];
  }
}

/** Writes state.json whole, through a rename, so that a crash leaves the old one or the new one. */
export function writeStateFile(
  path: string,
  store: { projects: Iterable<string>; binaries: ReadonlyMap<string, StoredBinary>; repos: ReadonlyMap<string, StoredRepo> },
): void {
  const state: StateFile = { version: 1, projects: [...store.projects], binaries: {}, repos: [...store.repos.values()] };
  for (const [rel, b] of store.binaries)
    state.binaries[rel] = {
      checksum: b.checksum,
      size: b.size,
      listedSize: b.listedSize,
      mtimeMs: b.mtimeMs,
      created: b.created,
      modified: b.modified,
      builtBy: b.builtBy,
    };
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state));
  renameSync(tmp, path);
}

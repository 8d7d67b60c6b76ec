// The local chacra's records: binaries, repos and projects in memory, the
// changes uploads and deletes make to them, and their documents as chacra
// answers them. Kept on disk by store-state.ts.
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BinaryMetadata, RepoDocument, RepoRef } from '../types.js';
import type { RepoStatus } from './callbacks.js';
import { ageText, type BinaryKey, chacraTimestamp, relativeBinaryPath } from './layout.js';
import { readStateFile, scanBinaries, writeStateFile } from './store-state.js';

export interface StoredBinary extends BinaryKey {
  name: string;
  /** The stored file's true size: HEAD and GET answer it as Content-Length. */
  size: number;
  /** What listings show as `size`: written at the first upload and never again, as chacra does (#94-#100). */
  listedSize: number;
  checksum: string;
  created: number;
  modified: number;
  mtimeMs: number;
  builtBy: string | null;
}

/** A repo's key in the store: its path, with the flavor always named. */
export interface RepoKey extends Omit<RepoRef, 'flavor'> {
  flavor: string;
}

export interface StoredRepo extends RepoKey {
  type: string;
  archs: string[];
  path: string | null;
  size: number;
  signed: boolean;
  needsUpdate: boolean;
  isQueued: boolean;
  isUpdating: boolean;
  modified: number;
  extra: Record<string, unknown>;
}

export function repoKeyOf(k: RepoKey): string {
  return [k.project, k.ref, k.sha1, k.distro, k.version, k.flavor].join('\u0000');
}

export function repoTypeOf(name: string): string {
  if (name.endsWith('.rpm')) return 'rpm';
  return 'deb';
}

export class Store {
  readonly publicRoot: string;
  readonly reposRoot: string;
  readonly tmpRoot: string;
  private readonly stateFile: string;
  readonly binaries = new Map<string, StoredBinary>();
  readonly repos = new Map<string, StoredRepo>();
  readonly projects = new Set<string>();
  /** Uploads under way that create a project or a repo, by name: chacra creates both without a lock. */
  readonly creating = { projects: new Map<string, number>(), repos: new Map<string, number>() };
  /** Binary deletes under way, by repo key. */
  readonly deleting = new Map<string, Set<{ overlapped: boolean }>>();
  private saveTimer: NodeJS.Timeout | undefined;
  /** How long the last write of the state took. */
  private lastSaveMs = 0;
  /** Told when a repo changes state as chacra posts it to shaman (set when the node has a callback URL). */
  onRepoStatus: ((status: RepoStatus, repo: StoredRepo) => void) | undefined;

  constructor(readonly dataDir: string) {
    this.publicRoot = join(dataDir, 'public');
    this.reposRoot = join(dataDir, 'repos');
    this.tmpRoot = join(dataDir, 'tmp');
    this.stateFile = join(dataDir, 'state.json');
    for (const dir of [this.publicRoot, this.reposRoot, this.tmpRoot]) mkdirSync(dir, { recursive: true });
  }

  /** Rebuilds the state from the data directory. */
  async load(): Promise<void> {
    const state = readStateFile(this.stateFile);
    // Uploads interrupted by a crash never reached their final names.
    rmSync(this.tmpRoot, { recursive: true, force: true });
    mkdirSync(this.tmpRoot, { recursive: true });
    for (const repo of state?.repos ?? []) this.repos.set(repoKeyOf(repo), repo);
    for (const project of readdirSync(this.publicRoot)) this.projects.add(project);
    for await (const [rel, binary] of scanBinaries(this.publicRoot, state)) this.binaries.set(rel, binary);
  }

  scheduleSave(): void {
    if (this.saveTimer) return;
    // The state is written whole: with 100,000 binaries that takes a while, so
    // saves are spaced to cost the server at most about a twentieth of its time.
    this.saveTimer = setTimeout(
      () => {
        this.saveTimer = undefined;
        this.saveNow();
      },
      Math.max(50, this.lastSaveMs * 20),
    );
    this.saveTimer.unref();
  }

  saveNow(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    const started = performance.now();
    writeStateFile(this.stateFile, this);
    this.lastSaveMs = performance.now() - started;
  }

  binariesWhere(filter: Partial<StoredBinary>): StoredBinary[] {
    const out: StoredBinary[] = [];
    const wanted = Object.entries(filter) as [keyof StoredBinary, unknown][];
    for (const b of this.binaries.values()) if (wanted.every(([k, v]) => b[k] === v)) out.push(b);
    return out;
  }

  get(rel: string): StoredBinary | undefined {
    return this.binaries.get(rel);
  }

  /** Records a binary whose file was just moved into place. */
  put(b: Omit<StoredBinary, 'created' | 'modified' | 'mtimeMs' | 'builtBy' | 'listedSize'>): { created: boolean } {
    const rel = relativeBinaryPath(b);
    const previous = this.binaries.get(rel);
    const now = Date.now();
    const st = statSync(join(this.publicRoot, rel));
    this.binaries.set(rel, {
      ...b,
      listedSize: previous?.listedSize ?? b.size,
      created: previous?.created ?? now,
      modified: now,
      mtimeMs: st.mtimeMs,
      builtBy: previous?.builtBy ?? null,
    });
    this.projects.add(b.project);
    this.touchRepo({ ...b, type: repoTypeOf(b.name) });
    this.scheduleSave();
    return { created: previous === undefined };
  }

  /** Every upload creates or marks its repo for a rebuild. */
  private touchRepo(b: RepoKey & { arch: string; type: string }): void {
    const key = repoKeyOf(b);
    let repo = this.repos.get(key);
    if (!repo) {
      repo = {
        project: b.project,
        ref: b.ref,
        sha1: b.sha1,
        distro: b.distro,
        version: b.version,
        flavor: b.flavor,
        type: b.type,
        archs: [],
        path: null,
        size: 0,
        signed: false,
        needsUpdate: true,
        isQueued: false,
        isUpdating: false,
        modified: Date.now(),
        extra: {},
      };
      this.repos.set(key, repo);
    }
    if (!repo.archs.includes(b.arch)) repo.archs.push(b.arch);
    repo.needsUpdate = true;
    repo.modified = Date.now();
  }

  /**
   * Deletes one binary; the last of a repo takes the repo record, the last of
   * a project the project, unless `racing`: a delete that overlapped another
   * still counted the other's binary, as chacra's transactions do.
   */
  remove(rel: string, options: { racing?: boolean } = {}): boolean {
    const b = this.binaries.get(rel);
    if (!b) return false;
    rmSync(join(this.publicRoot, rel), { force: true });
    this.binaries.delete(rel);
    // The repo is rebuilt without the binary, or goes with its last one; its built tree stays on disk, as chacra leaves it.
    const repoKey = repoKeyOf(b);
    const repo = this.repos.get(repoKey);
    const repoEmpty = this.binariesWhere({ project: b.project, ref: b.ref, sha1: b.sha1, distro: b.distro, version: b.version, flavor: b.flavor }).length === 0;
    if (!repoEmpty && repo) repo.needsUpdate = true;
    if (repoEmpty && !options.racing && repo) {
      this.onRepoStatus?.('deleted', repo);
      this.repos.delete(repoKey);
    }
    if (this.binariesWhere({ project: b.project }).length === 0 && !options.racing) {
      this.projects.delete(b.project);
      rmSync(join(this.publicRoot, b.project), { recursive: true, force: true });
    }
    this.scheduleSave();
    return true;
  }

  createProject(name: string): void {
    // The directory first: a name the filesystem refuses leaves no project behind.
    mkdirSync(join(this.publicRoot, name), { recursive: true });
    this.projects.add(name);
    this.scheduleSave();
  }

  repoPath(r: RepoKey): string {
    return join(this.reposRoot, r.project, r.ref, r.sha1, r.distro, r.version, 'flavors', r.flavor);
  }

  binaryMetadata(b: StoredBinary, now = Date.now()): BinaryMetadata {
    return {
      name: b.name,
      project: b.project,
      ref: b.ref,
      sha1: b.sha1,
      distro: b.distro,
      distro_version: b.version,
      arch: b.arch,
      flavor: b.flavor,
      size: b.listedSize,
      checksum: b.checksum,
      created: chacraTimestamp(b.created),
      modified: chacraTimestamp(b.modified),
      last_changed: ageText(now - b.modified),
      signed: false,
      built_by: b.builtBy,
      path: join(this.publicRoot, relativeBinaryPath(b)),
    };
  }

  repoDocument(r: StoredRepo): RepoDocument {
    return {
      archs: [...r.archs],
      distro: r.distro,
      distro_version: r.version,
      extra: r.extra,
      flavor: r.flavor,
      is_queued: r.isQueued,
      is_updating: r.isUpdating,
      modified: chacraTimestamp(r.modified),
      needs_update: r.needsUpdate,
      path: r.path,
      project_name: r.project,
      ref: r.ref,
      sha1: r.sha1,
      signed: r.signed,
      size: r.size,
      type: r.type,
    };
  }
}

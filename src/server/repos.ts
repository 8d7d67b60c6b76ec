// /repos/...: repo listings, repo documents and their actions, and the
// worker that walks repos through requested -> queued -> building -> ready.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { badRequest, crash, groupBy, methodNotAllowed, notFound, readJson, sendEmpty, sendJson, sendText, type Exchange } from './respond.js';
import { preview, unusableName } from './layout.js';
import { repoKeyOf, type Store, type StoredRepo } from './store.js';

const ACTIONS = new Set(['update', 'recreate', 'extra', 'repo']);
const FIELD_TYPES: Record<string, 'string' | 'boolean'> = {
  distro: 'string',
  distro_version: 'string',
  needs_update: 'boolean',
  ref: 'string',
  type: 'string',
};

export async function handleRepos(x: Exchange, store: Store, baseUrl: string): Promise<void> {
  const s = x.segments;
  const repos = [...store.repos.values()];
  if (s.length <= 4) {
    if (x.method !== 'GET' && x.method !== 'HEAD') return methodNotAllowed(x, 'POST requests to this url are not allowed');
    if (s.length === 0) {
      const index: Record<string, string[]> = {};
      const projects = new Set([...store.projects, ...repos.map((r) => r.project)]);
      for (const p of [...projects].sort()) index[p] = [...new Set(repos.filter((r) => r.project === p).map((r) => r.ref))].sort();
      return sendJson(x, 200, index);
    }
    const fields = ['project', 'ref', 'sha1', 'distro'] as const;
    const found = repos.filter((r) => s.every((v, i) => r[fields[i]!] === v));
    if (found.length === 0) return notFound(x);
    // #60: the distro level is a bare list of versions.
    if (s.length === 4) return sendJson(x, 200, [...new Set(found.map((r) => r.version))].sort());
    const child = ['ref', 'sha1', 'distro', 'version'] as const;
    return sendJson(
      x,
      200,
      groupBy(
        found,
        (r) => r[child[s.length - 1]!],
        (r) => r[child[s.length]!],
      ),
    );
  }
  const key = { project: s[0]!, ref: s[1]!, sha1: s[2]!, distro: s[3]!, version: s[4]! };
  let rest = s.slice(5);
  let flavor = 'default';
  if (rest[0] === 'flavors') {
    if (rest.length === 1) {
      if (x.method !== 'GET' && x.method !== 'HEAD') return methodNotAllowed(x, 'POST requests to this url are not allowed');
      const flavors = repos.filter((r) => Object.entries(key).every(([k, v]) => r[k as keyof typeof key] === v)).map((r) => r.flavor);
      if (flavors.length === 0) return notFound(x);
      return sendJson(x, 200, [...new Set(flavors)].sort());
    }
    flavor = rest[1]!;
    rest = rest.slice(2);
  }
  if (rest.length > 1 || (rest.length === 1 && !ACTIONS.has(rest[0]!))) return notFound(x);
  const action = rest[0];
  const repo = store.repos.get(repoKeyOf({ ...key, flavor }));

  if (action === undefined) return repoDocument(x, store, repo);
  if (x.method === 'HEAD') return sendJson(x, 200, {}); // #67: even for a repo that does not exist
  if (action === 'repo') {
    if (x.method !== 'GET') return methodNotAllowed(x, 'only GET request are accepted for this url');
    if (!repo) return notFound(x);
    return repoFile(x, repo, baseUrl);
  }
  if (x.method !== 'POST') return methodNotAllowed(x, 'only POST request are accepted for this url');
  if (!repo) {
    x.req.resume();
    return crash(x); // #68
  }
  if (action === 'update') {
    if (repo.type === 'raw') {
      // #76: raw repos are "built" at once; nothing is written for them.
      repo.path = store.repoPath(repo);
      repo.needsUpdate = false;
    } else {
      repo.needsUpdate = true;
    }
    store.onRepoStatus?.(repo.type === 'raw' ? 'ready' : 'requested', repo);
  } else if (action === 'recreate') {
    if (repo.path === null) return crash(x); // #70
    rmSync(repo.path, { recursive: true, force: true });
    repo.needsUpdate = true;
    store.onRepoStatus?.('requested', repo);
  } else {
    const body = await readJson(x.req);
    if (body === undefined || typeof body !== 'object' || body === null || Array.isArray(body)) return badRequest(x, 'extra must be a JSON object');
    repo.extra = body as Record<string, unknown>;
  }
  repo.modified = Date.now();
  store.scheduleSave();
  return sendJson(x, 200, store.repoDocument(repo));
}

async function repoDocument(x: Exchange, store: Store, repo: StoredRepo | undefined): Promise<void> {
  if (x.method === 'GET' || x.method === 'HEAD') return repo ? sendJson(x, 200, store.repoDocument(repo)) : notFound(x);
  if (x.method === 'POST') {
    const body = await readJson(x.req);
    if (!repo) return notFound(x);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return badRequest(x, 'the body must be a JSON object');
    for (const [k, v] of Object.entries(body)) {
      if (!(k in FIELD_TYPES)) return badRequest(x, 'key did not match {} (unexpected extra items)');
      if (typeof v !== FIELD_TYPES[k]) return badRequest(x, `${k} must be a ${FIELD_TYPES[k]}`);
      // These name directories of the built repo.
      const unusable = k === 'type' || typeof v !== 'string' ? undefined : unusableName(v);
      if (unusable) return badRequest(x, `${k} ${preview(v as string)} ${unusable}`);
    }
    const b = body as Record<string, string | boolean>;
    if (typeof b.type === 'string') repo.type = b.type;
    if (typeof b.needs_update === 'boolean') repo.needsUpdate = b.needs_update;
    if (typeof b.distro === 'string') repo.distro = b.distro;
    if (typeof b.distro_version === 'string') repo.version = b.distro_version;
    if (typeof b.ref === 'string') repo.ref = b.ref;
    repo.modified = Date.now();
    store.scheduleSave();
    return sendJson(x, 200, store.repoDocument(repo));
  }
  if (x.method === 'DELETE') {
    if (!repo) return notFound(x);
    // chacra removes the built tree first; a repo never built has no path to remove (#102, #105).
    if (repo.path === null) return crash(x);
    if (!existsSync(repo.path)) return sendJson(x, 500, { message: `could not remove repo path: ${repo.path}` });
    rmSync(repo.path, { recursive: true, force: true });
    // ...then it crashes on the first binary, leaving the repo document and every binary in place (#102-#104).
    // A repo goes away only with its last binary (#106-#108).
    return crash(x);
  }
  return methodNotAllowed(x, `${x.method} requests to this url are not allowed`);
}

function repoFile(x: Exchange, repo: StoredRepo, baseUrl: string): void {
  const where = `${repo.project}/${repo.ref}/${repo.sha1}/${repo.distro}/${repo.version}/flavors/${repo.flavor}`;
  if (repo.type === 'rpm') {
    const name = `${repo.project}`;
    const text = ['noarch', '$basearch', 'SRPMS']
      .map((arch, i) => {
        const suffix = ['-noarch', '', '-source'][i];
        return `[${name}${suffix}]\nname=${name}${suffix}\nbaseurl=${baseUrl}/r/${where}/${arch === '$basearch' ? '$basearch' : arch}\nenabled=1\ngpgcheck=0\ntype=rpm-md\n`;
      })
      .join('\n');
    return sendText(x, 200, text);
  }
  if (repo.type === 'deb') return sendText(x, 200, `deb [trusted=yes] ${baseUrl}/r/${where}/ ${repo.version} main\n`);
  return sendEmpty(x, 204); // #80: raw repos have no repo file
}

/**
 * chacra's celery worker: moves each repo one state on per step, requested ->
 * queued -> building -> ready. /health/ passes only while it runs, as chacra's
 * checks want a worker answering.
 */
export class RepoWorker {
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly store: Store) {}

  get running(): boolean {
    return this.timer !== undefined;
  }

  start(stepMs: number): void {
    this.stop();
    this.timer = setInterval(() => this.step(), stepMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Steps until every repo is built: what tests use instead of waiting on the clock. */
  drain(): void {
    while (this.step());
  }

  /** One step for every repo; false when nothing was left to do. */
  step(): boolean {
    let changed = false;
    for (const repo of this.store.repos.values()) {
      if (repo.type === 'raw') continue;
      if (repo.isUpdating) {
        const path = this.store.repoPath(repo);
        try {
          mkdirSync(path, { recursive: true });
          writeFileSync(join(path, 'BUILT'), `${repo.type} repo of ${repo.archs.join(' ')}\n`);
        } catch {
          // A repo the filesystem cannot hold stays "building"; the worker, and the server, go on.
          continue;
        }
        Object.assign(repo, { isUpdating: false, path, modified: Date.now() });
        this.store.onRepoStatus?.('ready', repo);
        changed = true;
      } else if (repo.isQueued) {
        Object.assign(repo, { isQueued: false, needsUpdate: false, isUpdating: true, modified: Date.now() });
        this.store.onRepoStatus?.('building', repo);
        changed = true;
      } else if (repo.needsUpdate) {
        Object.assign(repo, { isQueued: true, modified: Date.now() });
        this.store.onRepoStatus?.('queued', repo);
        changed = true;
      }
    }
    if (changed) this.store.scheduleSave();
    return changed;
  }
}

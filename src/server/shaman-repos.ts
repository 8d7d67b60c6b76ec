// shaman's record of repos, fed by the nodes' status callbacks, and the
// /api/repos/ tree (controllers/api/repos/*): project, ref, sha1 (or
// "latest"), distro, version, flavors, and the redirects to the node.
import { readJson } from './respond.js';
import { parseDistroRelease } from './shaman-search.js';
import { abort, fail, methodNotAllowed, nowMicros, pythonTimestamp, redirect, sendJson, type ShamanExchange } from './shaman-respond.js';

export interface RepoRecord {
  project: string;
  ref: string;
  sha1: string;
  flavor: string;
  distro: string;
  /** As the node sent it: a codename for debian and ubuntu ("jammy"). */
  distroVersion: string;
  /** The node's repo document: shaman's key for the repo. */
  chacraUrl: string;
  url: unknown;
  status: unknown;
  extra: unknown;
  archs: string[];
  /** Microseconds; set on creation and on every callback. */
  modified: number;
}

const KEYS = ['ref', 'sha1', 'flavor', 'distro', 'distro_version', 'chacra_url'] as const;

export class RepoBook {
  /** Projects are made by a project's first callback and never removed. */
  readonly projects = new Set<string>();
  /** In creation order, the database's. */
  repos: RepoRecord[] = [];
  /** Accepted callbacks, by status. */
  readonly callbacks: Record<string, number> = {};

  constructor(private readonly onChange: () => void) {}

  /** POST /api/repos/P/: false where shaman raises (a missing key, a body that is not JSON): a 500. */
  callback(project: string, body: unknown): boolean {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
    const b = body as Record<string, unknown>;
    if (typeof b.chacra_url !== 'string' || typeof b.status !== 'string') return false;
    this.projects.add(project);
    this.callbacks[b.status] = (this.callbacks[b.status] ?? 0) + 1;
    // Found by chacra_url alone, whichever project it was posted to.
    let repo = this.repos.find((r) => r.chacraUrl === b.chacra_url);
    if (!repo) {
      if (!KEYS.every((k) => typeof b[k] === 'string')) return false;
      repo = {
        project,
        ref: b.ref as string,
        sha1: b.sha1 as string,
        flavor: b.flavor as string,
        distro: b.distro as string,
        distroVersion: b.distro_version as string,
        chacraUrl: b.chacra_url,
        url: null,
        status: null,
        extra: null,
        archs: [],
        modified: nowMicros(),
      };
      this.repos.push(repo);
    }
    if (b.status === 'deleted') {
      this.repos = this.repos.filter((r) => r !== repo);
    } else {
      repo.status = b.status;
      repo.url = 'url' in b ? b.url : '';
      repo.extra = 'extra' in b ? b.extra : {};
      repo.modified = nowMicros();
      // Added, never removed (#70, #71).
      for (const arch of Array.isArray(b.archs) ? b.archs : []) if (typeof arch === 'string' && !repo.archs.includes(arch)) repo.archs.push(arch);
    }
    this.onChange();
    return true;
  }

  /** Repo.__json__: version and codename recomputed from what the node stored (#44, #45, #76). */
  json(r: RepoRecord): Record<string, unknown> {
    const [codename, version] = parseDistroRelease(r.distroVersion, r.distro);
    return {
      url: r.url,
      chacra_url: r.chacraUrl,
      ref: r.ref,
      sha1: r.sha1,
      distro: r.distro,
      distro_version: version,
      distro_codename: codename,
      modified: pythonTimestamp(r.modified, true),
      status: r.status,
      flavor: r.flavor,
      project: r.project,
      archs: [...r.archs],
      extra: r.extra,
    };
  }
}

/** Levels ending in an index need the trailing slash: a GET is redirected to it (#5), any other method fails (#17). */
export function atIndex(x: ShamanExchange, allow: string[]): boolean {
  if (!x.trailingSlash) {
    if (x.method === 'GET' || x.method === 'HEAD') {
      const query = x.query.toString();
      redirect(x, `${x.base}${x.rawPath}/${query ? `?${query}` : ''}`);
    } else fail(x);
    return false;
  }
  const method = x.method === 'HEAD' ? 'GET' : x.method;
  if (!allow.includes(method)) {
    methodNotAllowed(x, allow);
    return false;
  }
  return true;
}

const distinct = (values: string[]) => [...new Set(values)].sort();
const newestFirst = (repos: RepoRecord[]) => [...repos].sort((a, b) => b.modified - a.modified);

/**
 * /api/repos/...: `segments` below /api/repos/. `authorized` says whether
 * the request carries shaman's credentials, needed to POST a callback.
 */
export async function handleRepos(x: ShamanExchange, s: string[], book: RepoBook, authorized: boolean, unauthorized: () => void): Promise<void> {
  if (s.length === 0) {
    // A plain exposed index: any method.
    if (!atIndex(x, [x.method === 'HEAD' ? 'GET' : x.method])) return;
    const index: Record<string, { refs: string[]; sha1s: string[] }> = {};
    for (const p of book.projects) {
      const repos = book.repos.filter((r) => r.project === p);
      index[p] = { refs: distinct(repos.map((r) => r.ref)), sha1s: distinct(repos.map((r) => r.sha1)) };
    }
    return sendJson(x, 200, index);
  }
  const [project, ref, sha1, distro, version, ...rest] = s as [string, ...(string | undefined)[]];
  if (!book.projects.has(project) && x.method !== 'POST') return abort(x, 404); // #40, before any redirect
  if (ref === undefined) {
    if (!atIndex(x, ['GET', 'POST'])) return;
    if (x.method !== 'POST') return sendJson(x, 200, distinct(book.repos.filter((r) => r.project === project).map((r) => r.ref)));
    if (!authorized) return unauthorized(); // #69
    const body = await readJson(x.req);
    return book.callback(project, body) ? sendJson(x, 200, {}) : fail(x);
  }
  // Below a project it does not know, shaman fails looking it up.
  if (!book.projects.has(project)) return fail(x);
  const ofRef = book.repos.filter((r) => r.project === project && r.ref === ref);
  if (sha1 === undefined) return atIndex(x, ['GET']) ? sendJson(x, 200, distinct(ofRef.map((r) => r.sha1))) : undefined;
  let ofSha1: RepoRecord[];
  let sha1Level: RepoRecord[];
  if (sha1 === 'latest') {
    // Pecan's remainder keeps the empty segment of a trailing slash; shaman counts it.
    const args = [...s.slice(3), ...(x.trailingSlash ? [''] : [])];
    let pool = ofRef;
    if (args.length >= 2) {
      const flavor = args.includes('flavors') ? args[3] : 'default';
      if (flavor === undefined) return fail(x);
      pool = ofRef.filter((r) => r.distro === args[0] && r.distroVersion === args[1] && r.flavor === flavor);
    }
    const newest = newestFirst(pool.filter((r) => r.status === 'ready'))[0];
    if (!newest) return abort(x, 504, `no repository is ready for: ${project}/${ref}`); // #53
    ofSha1 = ofRef.filter((r) => r.sha1 === newest.sha1);
    sha1Level = [newest]; // #50: the distro of that one repo
  } else {
    ofSha1 = ofRef.filter((r) => r.sha1 === sha1);
    sha1Level = ofSha1;
  }
  if (distro === undefined) return atIndex(x, ['GET']) ? sendJson(x, 200, distinct(sha1Level.map((r) => r.distro))) : undefined;
  const ofDistro = ofSha1.filter((r) => r.distro === distro);
  if (version === undefined) return atIndex(x, ['GET']) ? sendJson(x, 200, distinct(ofDistro.map((r) => r.distroVersion))) : undefined; // #43
  const ofVersion = ofDistro.filter((r) => r.distroVersion === version);
  const flavorLevel = (flavor: string, below: (string | undefined)[]) => {
    const repos = newestFirst(ofVersion.filter((r) => r.flavor === flavor));
    if (below.length === 0)
      return atIndex(x, ['GET'])
        ? sendJson(
            x,
            200,
            repos.map((r) => book.json(r)),
          )
        : undefined; // #44, #47
    if (below[0] === 'repo' && below.length === 1) return toNode(x, repos, project, ref, x.query.get('arch'), undefined); // #48
    return toNode(x, repos, project, ref, below[0]!, below.slice(1) as string[]); // #49
  };
  if (rest[0] !== 'flavors') return flavorLevel('default', rest);
  if (rest.length === 1) return atIndex(x, ['GET']) ? sendJson(x, 200, ofVersion.map((r) => r.flavor).sort()) : undefined; // #46
  return flavorLevel(rest[1]!, rest.slice(2));
}

/**
 * util.get_repo_url: the newest ready repo (with the arch, when given) and a
 * 302 to its node: chacra_url + "repo" for the repo file, else url + PATH;
 * the arch itself is not part of the URL (#49).
 */
function toNode(x: ShamanExchange, repos: RepoRecord[], project: string, ref: string, arch: string | null, path: string[] | undefined): void {
  const repo = repos.find((r) => r.status === 'ready' && (!arch || r.archs.includes(arch)));
  if (!repo) return abort(x, 504, `no repository is ready for: ${project}/${ref}`); // #72
  if (path === undefined) return redirect(x, joinPath(repo.chacraUrl, ['repo']));
  return redirect(x, joinPath(String(repo.url), x.trailingSlash ? [...path, ''] : path));
}

/** Python's os.path.join of a URL and path parts. */
function joinPath(base: string, parts: string[]): string {
  let out = base;
  for (const p of parts) out = p.startsWith('/') ? p : out === '' || out.endsWith('/') ? out + p : `${out}/${p}`;
  return out;
}

// shaman's record of Jenkins builds and the /api/builds/ tree
// (controllers/api/builds/*, models/builds.py), quirks included: a queued
// build is taken over whatever its url (#90), a missing ref, sha1, url or
// status is a 500 (#93, #94), any status word is stored (#95).
import { readJson } from './respond.js';
import { parseDistroRelease } from './shaman-search.js';
import { atIndex } from './shaman-repos.js';
import { abort, fail, nowMicros, pythonTimestamp, sendJson, type ShamanExchange } from './shaman-respond.js';

export interface BuildRecord {
  project: string;
  url: unknown;
  logUrl: unknown;
  buildId: unknown;
  ref: unknown;
  sha1: unknown;
  flavor: unknown;
  status: unknown;
  extra: unknown;
  distro: unknown;
  distroVersion: unknown;
  distroArch: unknown;
  /** Microseconds: set when the record is made. */
  started: number;
  /** Set by each POST whose status is "completed", kept by later ones. */
  completed: number | undefined;
  /** Changed by every POST. */
  modified: number;
}

/** The fields a POST's record is found by, besides the url: one Jenkins run per platform is one record. */
const SAME_PLATFORM = ['distro', 'distroVersion', 'distroArch', 'flavor', 'ref', 'sha1'] as const;

export class BuildBook {
  /** In creation order, the database's. */
  builds: BuildRecord[] = [];

  /** `projects` is shaman's one table of projects, shared with the repos: a build's POST creates its project for both. */
  constructor(
    private readonly projects: Set<string>,
    private readonly onChange: () => void,
  ) {}

  /** POST /api/builds/P/: false where shaman raises (a body that is not an object, a missing ref, sha1, url or status): a 500. */
  report(project: string, body: unknown): boolean {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
    const b = body as Record<string, unknown>;
    // request.json["url"], ["ref"], ["sha1"], ["status"]: a KeyError before anything is stored.
    if (!('url' in b) || !('ref' in b) || !('sha1' in b) || !('status' in b)) return false;
    this.projects.add(project);
    const data = {
      url: b.url,
      logUrl: b.log_url ?? null,
      buildId: b.build_id ?? null,
      ref: b.ref,
      sha1: b.sha1,
      flavor: 'flavor' in b ? b.flavor : 'default',
      status: b.status,
      extra: 'extra' in b ? b.extra : {},
      distro: b.distro ?? null,
      distroVersion: b.distro_version ?? null,
      distroArch: b.distro_arch ?? null,
    };
    const samePlatform = (r: BuildRecord) => r.project === project && SAME_PLATFORM.every((k) => r[k] === data[k]);
    const build = this.builds.find((r) => samePlatform(r) && r.status === 'queued') ?? this.builds.find((r) => samePlatform(r) && r.url === data.url);
    const now = nowMicros();
    const completed = data.status === 'completed' ? now : undefined;
    if (build) Object.assign(build, data, { modified: now }, completed === undefined ? {} : { completed });
    else this.builds.push({ project, ...data, started: now, completed, modified: now });
    this.onChange();
    return true;
  }

  /** Project.build_refs: every ref with a build; [] for a project with repos only (#83). */
  refsOf(project: string): unknown[] {
    return distinct(this.builds.filter((r) => r.project === project).map((r) => r.ref));
  }

  /** Build.__json__: version and codename recomputed as for repos, where both distro and version are given (#91). */
  json(r: BuildRecord): Record<string, unknown> {
    let codename: string | null = null;
    let version = r.distroVersion;
    if (typeof r.distro === 'string' && r.distro && typeof r.distroVersion === 'string' && r.distroVersion)
      [codename, version] = parseDistroRelease(r.distroVersion, r.distro);
    const time = (micros: number | undefined) => (micros === undefined ? null : pythonTimestamp(micros, true));
    return {
      url: r.url,
      log_url: r.logUrl,
      ref: r.ref,
      sha1: r.sha1,
      flavor: r.flavor,
      status: r.status,
      extra: r.extra,
      modified: time(r.modified),
      started: time(r.started),
      completed: time(r.completed),
      project: r.project,
      distro_version: version,
      distro_codename: codename,
      distro: r.distro,
      distro_arch: r.distroArch,
    };
  }
}

/** set() of the values, in a stable order: shaman's order is the set's, which no client may rely on. */
function distinct(values: unknown[]): unknown[] {
  return [...new Set(values)].sort((a, b) => String(a).localeCompare(String(b)));
}

/**
 * /api/builds/...: `s` the segments below /api/builds/. `authorized` says
 * whether the request carries shaman's credentials, needed to POST.
 */
export async function handleBuilds(
  x: ShamanExchange,
  s: string[],
  book: BuildBook,
  projects: ReadonlySet<string>,
  authorized: boolean,
  unauthorized: () => void,
): Promise<void> {
  const [project, ref, sha1, ...rest] = s as [string | undefined, ...(string | undefined)[]];
  if (project === undefined) {
    // ProjectsAPIController.index: exposed for every method.
    if (!atIndex(x, [x.method === 'HEAD' ? 'GET' : x.method])) return;
    return sendJson(x, 200, Object.fromEntries([...projects].map((p) => [p, book.refsOf(p)]))); // #83
  }
  // ProjectAPIController.__init__: an unknown project is a 404 for all but a POST (#78).
  if (!projects.has(project) && x.method !== 'POST') return abort(x, 404);
  if (ref === undefined) {
    if (!atIndex(x, ['GET', 'POST'])) return;
    if (x.method !== 'POST') return sendJson(x, 200, book.refsOf(project)); // #82
    if (!authorized) return unauthorized(); // #79, #80
    return book.report(project, await readJson(x.req)) ? sendJson(x, 200, {}) : fail(x); // #81, #93, #94
  }
  // Below a project it does not know (a POST that went past the lookup), shaman fails looking it up.
  if (!projects.has(project)) return fail(x);
  const ofRef = book.builds.filter((r) => r.project === project && r.ref === ref);
  if (sha1 === undefined) return atIndex(x, ['GET']) ? sendJson(x, 200, distinct(ofRef.map((r) => r.sha1))) : undefined; // #84, #97
  // SHA1APIController has no _lookup: anything below a sha1 is not found (#98).
  if (rest.length > 0) return abort(x, 404);
  if (!atIndex(x, ['GET'])) return;
  const builds = ofRef.filter((r) => r.sha1 === sha1).sort((a, b) => b.modified - a.modified);
  return sendJson(
    x,
    200,
    builds.map((r) => book.json(r)),
  ); // #85, #91, #96
}

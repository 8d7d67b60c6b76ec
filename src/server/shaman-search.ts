// shaman's /api/search/ (controllers/search.py) and its distro parsing
// (util.parse_distro_release, parse_distro_query), quirks included.
import type { RepoBook, RepoRecord } from './shaman-repos.js';
import { abort, fail, sendJson, type ShamanExchange } from './shaman-respond.js';

// shaman's own maps, as they are: no ubuntu after 22.04; debian codenames up to bullseye, numbers only 7-9.
const VERSION_OF: Record<string, Record<string, string>> = {
  ubuntu: { jammy: '22.04', focal: '20.04', bionic: '18.04', xenial: '16.04', yakkety: '16.10', trusty: '14.04' },
  debian: { bullseye: '11', buster: '10', stretch: '9', jessie: '8', wheezy: '7' },
};
const CODENAME_OF: Record<string, Record<string, string>> = {
  ubuntu: { '22.04': 'jammy', '20.04': 'focal', '18.04': 'bionic', '16.04': 'xenial', '16.10': 'yakkety', '14.04': 'trusty' },
  debian: { '9': 'stretch', '8': 'jessie', '7': 'wheezy' },
};

const own = (map: Record<string, string> | undefined, key: string): string | undefined => (map && Object.hasOwn(map, key) ? map[key] : undefined);

/** [codename, version] of a release identifier: jammy and 22.04 give [jammy, 22.04]; 9 of centos [null, 9]; noble [noble, null]. */
export function parseDistroRelease(identifier: string, distro: string): [string | null, string | null] {
  if (!identifier) return [null, null];
  const versions = VERSION_OF[distro];
  let codename: string | undefined;
  let version: string | undefined;
  if (/^\p{L}+$/u.test(identifier)) {
    codename = identifier;
    version = own(versions, identifier);
  } else {
    codename = own(versions, identifier) !== undefined ? identifier : own(CODENAME_OF[distro], identifier);
    version = own(versions, identifier) ?? identifier;
  }
  if (!codename && !version) return /^\p{L}+$/u.test(identifier) ? [identifier, null] : [null, identifier];
  return [codename ?? null, version ?? null];
}

interface DistroQuery {
  distro: string;
  codename: string | null;
  version: string | null;
  arch: string | null;
}

/** DISTRO/VERSION[/ARCH],...; undefined where shaman raises (a part with more than one more slash): a 500. */
function parseDistroQuery(query: string): DistroQuery[] | undefined {
  const out: DistroQuery[] = [];
  for (const part of query.split(',')) {
    const slash = part.indexOf('/');
    const distro = slash < 0 ? part : part.slice(0, slash);
    let identifier = slash < 0 ? '' : part.slice(slash + 1);
    let arch: string | null = null;
    if (identifier.includes('/')) {
      const pieces = identifier.split('/');
      if (pieces.length !== 2) return undefined;
      [identifier, arch] = pieces as [string, string];
    }
    const [codename, version] = parseDistroRelease(identifier.trim(), distro);
    out.push({ distro, codename, version, arch });
  }
  return out;
}

const FILTERS = ['ref', 'sha1', 'flavor', 'status'] as const;

export function search(x: ShamanExchange, book: RepoBook): void {
  const params = new Map<string, string>();
  for (const [k, v] of x.query) if (!params.has(k)) params.set(k, v);
  let repos = book.repos;
  if (params.has('project')) repos = repos.filter((r) => r.project === params.get('project'));
  params.delete('project');
  let distros: DistroQuery[] = [];
  if (params.get('distros')) {
    const parsed = parseDistroQuery(params.get('distros')!);
    if (!parsed) return fail(x);
    distros = parsed;
    params.delete('distros');
    for (const d of distros) if (!(d.codename ?? d.version)) return abort(x, 400, `Invalid version or codename for distro: ${d.distro}`); // #66
    repos = repos.filter((r) =>
      distros.some((d) => r.distro === d.distro && r.distroVersion === (d.codename ?? d.version) && (!d.arch || r.archs.includes(d.arch))),
    );
  }
  // #67: anything else, an empty distros too, is a 400 without a word.
  for (const k of params.keys()) if (!(FILTERS as readonly string[]).includes(k)) return abort(x, 400);
  for (const k of FILTERS) {
    const want = params.get(k);
    if (want === undefined || (k === 'sha1' && want === 'latest')) continue;
    repos = repos.filter((r) => fieldOf(r, k) === want);
  }
  const newest = [...repos].sort((a, b) => b.modified - a.modified);
  const answer = params.get('sha1') === 'latest' ? latest(newest, distros) : newest;
  sendJson(
    x,
    200,
    answer.map((r) => book.json(r)),
  );
}

function fieldOf(r: RepoRecord, k: (typeof FILTERS)[number]): unknown {
  return k === 'status' ? r.status : r[k];
}

/**
 * The newest sha1 with a repo for every listed distro, one repo each (#57);
 * matched on the version alone, not the distro's name, as shaman does.
 * Without distros, every repo of the newest sha1 (#58).
 */
function latest(newest: RepoRecord[], distros: DistroQuery[]): RepoRecord[] {
  const seen = new Set<string>();
  for (const r of newest) {
    if (seen.has(r.sha1)) continue;
    seen.add(r.sha1);
    if (distros.length === 0) return newest.filter((o) => o.sha1 === r.sha1);
    const found: RepoRecord[] = [];
    for (const d of distros) {
      const one = newest.find((o) => o.sha1 === r.sha1 && o.distroVersion === (d.codename ?? d.version) && (!d.arch || o.archs.includes(d.arch)));
      if (!one) break;
      found.push(one);
    }
    if (found.length === distros.length) return found;
  }
  return [];
}

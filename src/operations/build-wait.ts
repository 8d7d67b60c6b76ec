// Waiting for a build on every platform, and resolving the repo to build
// against: what ceph-build's build_container loop (15 x sleep 60 over
// /api/search/ with jq), its `curl --fail -L .../repo; sleep 30` loops and
// wait_for_shaman_sha1.py did. Its known failures are the rules here: every
// record of a platform is looked at (shaman holds several per sha1, not one
// to read as .[0]); a record counts only when its repo answers on its node (a
// record outlives its repo on a rotated node); with sha1 "latest" the answer
// is one sha1 that every platform has, never a mix.
import type { ChacraClient } from '../client/client.js';
import { sleep } from '../client/retry.js';
import type { ShamanClient } from '../client/shaman.js';
import { ChacraError } from '../errors.js';
import type { ShamanRepo } from '../types.js';
import { Deadline, formatSeconds } from './deadline.js';
import type { NodeFailure } from './pool-reads.js';

export interface BuildWaitOptions {
  project: string;
  ref?: string | undefined;
  /** A sha1, or "latest": the newest sha1 with a counting repo on every platform. */
  sha1?: string | undefined;
  /** DISTRO/VERSION[/ARCH] each; none: any repo of the project counts. */
  distros?: readonly string[] | undefined;
  flavor?: string | undefined;
  /** Only repos in status ready count (else any status, "requested" included). */
  ready?: boolean | undefined;
  /** Only repos whose extra.build_url is this: the build that uploaded them. */
  buildUrl?: string | undefined;
  /** How long to wait; 0 looks once. */
  timeoutMs: number;
  intervalMs: number;
  signal?: AbortSignal | undefined;
  /** A client of a node's API root, to ask whether a record's repo is there. */
  clientFor: (node: string) => ChacraClient | Promise<ChacraClient>;
  /** After each look that found a platform missing. */
  onMissing?: (missing: MissingPlatform[]) => void;
}

export interface PlatformRepos {
  /** As given in distros, or "any platform" when none was. */
  platform: string;
  /** Every counting record of the platform (of the chosen sha1), newest first. */
  repos: ShamanRepo[];
}

export interface BuildWaitResult {
  /** The sha1 every platform has, when it is one ("latest" resolved). */
  sha1: string | undefined;
  platforms: PlatformRepos[];
  /** With "latest": the nodes of newer sha1s' records that could not be asked, passed over (a newer build may sit there). */
  passedOver?: NodeFailure[];
}

export interface MissingPlatform {
  platform: string;
  /** Why it does not count: no record, or records whose repo does not answer. */
  reason: string;
  /**
   * The nodes of its records that could not be asked (refused, TLS, a 5xx,
   * silent...), and why: while there is one, the platform was not seen
   * missing, and "not there" is no verdict.
   */
  unasked: NodeFailure[];
  /** Set when shaman and the nodes never answered before the deadline: nothing was seen at all. */
  unanswered?: true;
}

/** Whether every missing platform was seen missing: shaman answered, and every node of its records did. */
export function seenMissing(missing: readonly MissingPlatform[]): boolean {
  return missing.every((m) => m.unasked.length === 0 && m.unanswered !== true);
}

export class BuildWaitTimeout extends ChacraError {
  /** Every platform still missing was seen missing (see seenMissing); otherwise the timeout is no verdict. */
  readonly seen: boolean;
  constructor(
    readonly missing: MissingPlatform[],
    readonly timeoutMs: number,
    hint = "wait longer, or look at shaman's builds of the sha1: which platforms started, failed or never ran",
  ) {
    super(
      `${missing.length === 1 ? 'a platform is' : `${missing.length} platforms are`} still missing after ${formatSeconds(timeoutMs)}: ${missing
        .map((m) => `${m.platform} (${m.reason})`)
        .join('; ')}`,
      { hint },
    );
    this.seen = seenMissing(missing);
  }
}

// The one platform of a wait without --distros: any repo of the project counts.
const ANY = 'any platform';

/** Waits until every platform has a counting repo; BuildWaitTimeout naming those still missing at the deadline. */
export async function waitForBuilds(shaman: ShamanClient, options: BuildWaitOptions): Promise<BuildWaitResult> {
  // The deadline holds inside a look too: a node or shaman that stops answering does not stretch the wait. 0 is one look, never cut.
  const deadline = new Deadline(options.timeoutMs, options.signal);
  const signal = deadline.signal;
  let missing: MissingPlatform[] = (options.distros?.length ? options.distros : [ANY]).map((platform) => ({
    platform,
    reason: 'no answer before the deadline: shaman or a node stayed silent',
    unasked: [],
    unanswered: true,
  }));
  try {
    for (;;) {
      const look = await findBuilds(shaman, { ...options, signal });
      if (look.found) return look.found;
      missing = look.missing;
      options.onMissing?.(missing);
      const left = deadline.left();
      if (left <= 0) break;
      await sleep(Math.min(options.intervalMs, left), signal);
    }
  } catch (err) {
    // A look cut by the deadline: the last whole look says what is missing.
    if (!deadline.cut(err)) throw err;
  } finally {
    deadline.clear();
  }
  throw new BuildWaitTimeout(missing, options.timeoutMs);
}

/** One look: the counting repos of every platform, or which platforms are missing and why. */
export async function findBuilds(
  shaman: ShamanClient,
  options: Omit<BuildWaitOptions, 'timeoutMs' | 'intervalMs'>,
): Promise<{ found?: BuildWaitResult; missing: MissingPlatform[] }> {
  const platforms = options.distros?.length ? [...options.distros] : [ANY];
  const latest = options.sha1 === 'latest';
  const lists = await Promise.all(platforms.map((p) => recordsOf(shaman, p, latest ? undefined : options.sha1, options)));
  const probe = new RepoProbe(options.clientFor, options.signal);
  if (!latest) {
    const counted = await Promise.all(lists.map((list) => probe.filter(list)));
    const missing = platforms.flatMap((platform, i) => (counted[i]!.length ? [] : [probe.missing(platform, lists[i]!)]));
    if (missing.length) return { missing };
    const sha1s = new Set(counted.flat().map((r) => r.sha1));
    return {
      found: { sha1: sha1s.size === 1 ? [...sha1s][0] : undefined, platforms: platforms.map((platform, i) => ({ platform, repos: counted[i]! })) },
      missing: [],
    };
  }
  // shaman's own "latest": the sha1 whose repos changed status last, among those every platform has.
  const newestOf = new Map<string, string>();
  for (const r of lists.flat()) if ((newestOf.get(r.sha1) ?? '') < r.modified) newestOf.set(r.sha1, r.modified);
  const everywhere = [...newestOf.keys()].filter((sha1) => lists.every((list) => list.some((r) => r.sha1 === sha1)));
  everywhere.sort((a, b) => (newestOf.get(b)! < newestOf.get(a)! ? -1 : 1));
  for (const sha1 of everywhere) {
    const counted = await Promise.all(lists.map((list) => probe.filter(list.filter((r) => r.sha1 === sha1))));
    if (counted.every((c) => c.length > 0)) {
      const newer = new Set(everywhere.slice(0, everywhere.indexOf(sha1)));
      const passedOver = probe.unaskedOf(lists.flat().filter((r) => newer.has(r.sha1)));
      return { found: { sha1, platforms: platforms.map((platform, i) => ({ platform, repos: counted[i]! })), passedOver }, missing: [] };
    }
  }
  // Why not: a platform without a repo that answers (asked newest first, up to the first that does: a
  // ref's whole history is not probed), else each platform's newest sha1, none of them on every platform.
  const newest = await Promise.all(lists.map((list) => probe.first(list)));
  const missing = platforms.flatMap((platform, i) => (newest[i] ? [] : [probe.missing(platform, lists[i]!)]));
  if (missing.length) return { missing };
  return {
    // A sha1 that every platform has may sit on a node that could not be asked.
    missing: platforms.map((platform, i) => ({
      platform,
      reason: `no sha1 that every platform has; the newest here: ${newest[i]!.sha1}`,
      unasked: probe.unaskedOf(lists[i]!),
    })),
  };
}

/** The records of one platform that match every filter, newest first, checked field by field: search's answer is not trusted. */
async function recordsOf(
  shaman: ShamanClient,
  platform: string,
  sha1: string | undefined,
  o: Omit<BuildWaitOptions, 'timeoutMs' | 'intervalMs'>,
): Promise<ShamanRepo[]> {
  const found = await shaman.search(
    { project: o.project, ref: o.ref, sha1, flavor: o.flavor, status: o.ready ? 'ready' : undefined, distros: platform === ANY ? undefined : platform },
    o.signal,
  );
  const [distro, version, arch] = platform === ANY ? [] : platform.split('/');
  return found
    .filter(
      (r) =>
        r.project === o.project &&
        (o.ref === undefined || r.ref === o.ref) &&
        (sha1 === undefined || r.sha1 === sha1) &&
        (o.flavor === undefined || r.flavor === o.flavor) &&
        (!o.ready || r.status === 'ready') &&
        (distro === undefined || r.distro === distro) &&
        (version === undefined || r.distro_version === version || r.distro_codename === version) &&
        (arch === undefined || r.archs.includes(arch)) &&
        (o.buildUrl === undefined || r.extra?.build_url === o.buildUrl),
    )
    .sort((a, b) => (a.modified < b.modified ? 1 : a.modified > b.modified ? -1 : 0));
}

/**
 * Where a record's repo document is: its node's API root (what comes before
 * repos/ in chacra_url: chacra may be served below a path) and the segments
 * below repos/. undefined when chacra_url is not a chacra repo URL.
 */
export function repoLocation(r: Pick<ShamanRepo, 'chacra_url'>): { node: string; segments: string[] } | undefined {
  try {
    const url = new URL(r.chacra_url);
    const at = url.pathname.indexOf('/repos/');
    if (at < 0) return undefined;
    const segments = url.pathname
      .slice(at + '/repos/'.length)
      .split('/')
      .filter(Boolean)
      .map((s) => decodeURIComponent(s));
    return { node: `${url.origin}${url.pathname.slice(0, at)}/`, segments };
  } catch {
    return undefined;
  }
}

/** Whether a record's repo answers on its node (its chacra_url), asked once per look. */
class RepoProbe {
  private readonly answers = new Map<string, Promise<true | string>>();

  constructor(
    private readonly clientFor: BuildWaitOptions['clientFor'],
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** The first of `records` whose repo answers, asked one after another. */
  async first(records: ShamanRepo[]): Promise<ShamanRepo | undefined> {
    for (const r of records) if ((await this.ask(r)) === true) return r;
    return undefined;
  }

  async filter(records: ShamanRepo[]): Promise<ShamanRepo[]> {
    const answers = await Promise.all(records.map((r) => this.ask(r)));
    return records.filter((_, i) => answers[i] === true);
  }

  /** A platform none of whose `records` counts, once they were asked: why, and the nodes that could not be asked. */
  missing(platform: string, records: ShamanRepo[]): MissingPlatform {
    return { platform, reason: this.reasonFor(records), unasked: this.unaskedOf(records) };
  }

  /** The nodes of `records` that could not be asked, once each. */
  unaskedOf(records: ShamanRepo[]): NodeFailure[] {
    const byNode = new Map<string, NodeFailure>();
    for (const r of records) {
      const failure = this.failures.get(r.chacra_url);
      if (failure && !byNode.has(failure.node)) byNode.set(failure.node, failure);
    }
    return [...byNode.values()];
  }

  /** Why none of `records` counts, once they were asked. */
  private reasonFor(records: ShamanRepo[]): string {
    if (records.length === 0) return 'no matching repo';
    const first = records[0]!;
    const n = records.length;
    return `${n} record${n === 1 ? '' : 's'} whose repo does not answer, such as ${first.chacra_url}: ${this.last.get(first.chacra_url) ?? 'not asked'}`;
  }

  private readonly last = new Map<string, string>();
  /** By chacra_url: the record's node could not be asked, and why. */
  private readonly failures = new Map<string, NodeFailure>();

  private ask(r: ShamanRepo): Promise<true | string> {
    let answer = this.answers.get(r.chacra_url);
    if (!answer) {
      answer = this.check(r).then((a) => {
        if (a !== true) this.last.set(r.chacra_url, a);
        return a;
      });
      this.answers.set(r.chacra_url, answer);
    }
    return answer;
  }

  private async check(r: ShamanRepo): Promise<true | string> {
    const where = repoLocation(r);
    if (!where) return 'not a chacra repo URL';
    try {
      const client = await this.clientFor(where.node);
      return (await client.exists('repos', where.segments, this.signal)) ? true : 'its node has no such repo (404)';
    } catch (err) {
      if (this.signal?.aborted) throw err;
      if (err instanceof ChacraError) this.failures.set(r.chacra_url, { node: where.node, error: err });
      return (err as Error).message;
    }
  }
}

// A pool of chacra nodes behind shaman, used as one store. Writes of a build
// go to one node: the node that holds the build's repo already, else the one
// chosen for the build a moment ago (shaman hears of a repo only from its
// node's callbacks, seconds later), else shaman's next healthy node. Reads
// find the node that holds the path: shaman knows the repos, the nodes
// themselves know binaries not yet in a repo shaman has heard of.
import type { ChacraClient } from '../client/client.js';
import { formatRepo, type RepoRef } from '../client/paths.js';
import { nodeOfRepo, nodeUrl, type ShamanClient } from '../client/shaman.js';
import { HttpError, NetworkError } from '../errors.js';
import type { ShamanRepo } from '../types.js';
import type { UploadSummary } from './upload.js';

/**
 * What was chosen for a build, kept between runs by the caller (the CLI keeps
 * a small file): a second upload of the same build a second later must land on
 * the same node, before shaman knows the repo.
 */
export interface NodeMemory {
  get(build: string): string | undefined;
  set(build: string, node: string): void;
  forget(build: string): void;
}

export type WriteReason = 'holds the repo' | 'chosen for this build earlier' | 'next healthy node';

export interface NodeChoice {
  /** The node's API root, such as https://chacra2.example/. */
  node: string;
  reason: WriteReason;
}

/** The key of a build in the pool: one repo, P/REF/SHA1/DISTRO/VERSION and its flavor. */
export function buildKey(repo: RepoRef): string {
  return formatRepo({ ...repo, flavor: repo.flavor ?? 'default' });
}

/** The repos shaman knows for exactly this build, any status; the newest first. */
export async function reposOfBuild(shaman: ShamanClient, repo: RepoRef, signal?: AbortSignal): Promise<ShamanRepo[]> {
  const flavor = repo.flavor ?? 'default';
  const found = await shaman.search({ project: repo.project, ref: repo.ref, sha1: repo.sha1, distros: `${repo.distro}/${repo.version}`, flavor }, signal);
  // shaman maps some versions to codenames and back: match what chacra stored.
  return found.filter(
    (r) =>
      r.project === repo.project &&
      r.ref === repo.ref &&
      r.sha1 === repo.sha1 &&
      r.flavor === flavor &&
      r.distro === repo.distro &&
      (r.distro_version === repo.version || r.distro_codename === repo.version),
  );
}

export interface ChooseOptions {
  memory?: NodeMemory | undefined;
  /** Nodes that failed this run: never chosen again. */
  exclude?: ReadonlySet<string>;
  /** Why each excluded node failed, for the error when no node is left. */
  reasons?: ReadonlyMap<string, string>;
  signal?: AbortSignal | undefined;
}

/** The node a build's uploads and repo actions go to. */
export async function chooseWriteNode(shaman: ShamanClient, repo: RepoRef, options: ChooseOptions = {}): Promise<NodeChoice> {
  const { memory, signal } = options;
  const exclude = options.exclude ?? new Set<string>();
  const key = buildKey(repo);
  const holder = (await reposOfBuild(shaman, repo, signal)).map(nodeOfRepo).find((n) => !exclude.has(n));
  if (holder) {
    memory?.set(key, holder);
    return { node: holder, reason: 'holds the repo' };
  }
  const remembered = memory?.get(key);
  if (remembered && !exclude.has(remembered)) {
    // Only while shaman still counts it healthy: a node marked down since is not written to.
    const host = new URL(remembered).host;
    if ((await shaman.nodes(signal))[host]?.healthy) return { node: remembered, reason: 'chosen for this build earlier' };
  }
  const nodes = Object.values(await shaman.nodes(signal));
  // Each next costs shaman a health check (about 2 s): none is asked for when every healthy node failed already.
  const left = nodes.some((n) => n.healthy && !exclude.has(nodeUrl(n.host, shaman.nodeScheme)));
  for (let i = 0; left && i <= nodes.length; i++) {
    const next = await shaman.nextNode(signal);
    if (exclude.has(next)) continue;
    memory?.set(key, next);
    return { node: next, reason: 'next healthy node' };
  }
  throw new NetworkError({
    method: 'GET',
    url: `${shaman.baseUrl}api/nodes/next/`,
    kind: 'other',
    reason: `every node shaman handed out failed in this run (${[...exclude].map((n) => (options.reasons?.has(n) ? `${n}: ${options.reasons.get(n)}` : n)).join('; ')})`,
  });
}

/**
 * Whether a node failed before anything landed on it, in a way another node
 * may not: the build may then go elsewhere. A certificate this host does not
 * trust, or credentials refused, would fail on every node alike: no failover.
 */
export function failedBeforeLanding(summary: UploadSummary): boolean {
  const landed = summary.files.some((f) => f.outcome === 'uploaded' || f.outcome === 'replaced');
  const fatal = summary.fatal;
  const nodeFault = (fatal instanceof NetworkError && fatal.kind !== 'tls') || (fatal instanceof HttpError && fatal.status >= 500);
  return !landed && !summary.interrupted && nodeFault;
}

/** Why a run failed on its node, for the failover's words: the failure that stopped it. */
export function whyRunFailed(summary: UploadSummary): string | undefined {
  return summary.fatal?.message;
}

export interface PoolRun<T> {
  choice: NodeChoice;
  /** Nodes given up on before this one, with why. */
  skipped: { node: string; reason: string }[];
  result: T;
}

/**
 * Runs a build's write on its node; when the node fails before anything
 * landed (refused, unhealthy, failing), on the next one, up to `tries` nodes.
 * A node that holds the repo is never left: the build would be split.
 */
export async function onWriteNode<T>(
  shaman: ShamanClient,
  repo: RepoRef,
  run: (client: ChacraClient, choice: NodeChoice) => Promise<T>,
  options: ChooseOptions & {
    clientFor: (node: string) => ChacraClient;
    failedBeforeLanding: (result: T) => boolean;
    /** Why the run failed on a node, said when it is left and when no node is left. */
    whyFailed?: (result: T) => string | undefined;
    tries?: number;
    onSkip?: (node: string, why: string) => void;
  },
): Promise<PoolRun<T>> {
  const exclude = new Set(options.exclude ?? []);
  const skipped: { node: string; reason: string }[] = [];
  const reasons = new Map<string, string>();
  for (let attempt = 1; ; attempt++) {
    const choice = await chooseWriteNode(shaman, repo, { ...options, exclude, reasons });
    const result = await run(options.clientFor(choice.node), choice);
    if (choice.reason === 'holds the repo' || attempt >= (options.tries ?? 3) || !options.failedBeforeLanding(result)) return { choice, skipped, result };
    const failure = options.whyFailed?.(result);
    const why = `it failed before anything landed on it${failure ? `: ${failure}` : ''}`;
    reasons.set(choice.node, failure ?? 'it failed before anything landed on it');
    skipped.push({ node: choice.node, reason: why });
    options.onSkip?.(choice.node, why);
    exclude.add(choice.node);
    options.memory?.forget(buildKey(repo));
  }
}

// Reads through the pool live beside: their verdicts are a subject of their own.
export { findReadNode, listOnNodes, PoolNoVerdictError, type ReadVia, type NodeFailure, type PoolListing } from './pool-reads.js';

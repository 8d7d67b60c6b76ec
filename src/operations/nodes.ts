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
  const nodes = Object.keys(await shaman.nodes(signal)).length;
  for (let i = 0; i <= nodes; i++) {
    const next = await shaman.nextNode(signal);
    if (exclude.has(next)) continue;
    memory?.set(key, next);
    return { node: next, reason: 'next healthy node' };
  }
  throw new NetworkError({
    method: 'GET',
    url: `${shaman.baseUrl}api/nodes/next/`,
    kind: 'other',
    reason: `every node shaman handed out failed in this run (${[...exclude].join(', ')})`,
  });
}

/** Whether a node failed before anything landed on it: the build may still go elsewhere. */
export function failedBeforeLanding(summary: UploadSummary): boolean {
  const landed = summary.counts.uploaded + summary.counts.replaced > 0;
  const fatal = summary.fatal;
  const nodeFault = fatal instanceof NetworkError || (fatal instanceof HttpError && fatal.status >= 500);
  return !landed && !summary.interrupted && nodeFault;
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
    tries?: number;
    onSkip?: (node: string, why: string) => void;
  },
): Promise<PoolRun<T>> {
  const exclude = new Set(options.exclude ?? []);
  const skipped: { node: string; reason: string }[] = [];
  for (let attempt = 1; ; attempt++) {
    const choice = await chooseWriteNode(shaman, repo, { ...options, exclude });
    const result = await run(options.clientFor(choice.node), choice);
    if (choice.reason === 'holds the repo' || attempt >= (options.tries ?? 3) || !options.failedBeforeLanding(result)) return { choice, skipped, result };
    const why = 'it failed before anything landed on it';
    skipped.push({ node: choice.node, reason: why });
    options.onSkip?.(choice.node, why);
    exclude.add(choice.node);
    options.memory?.forget(buildKey(repo));
  }
}

export type ReadVia = 'shaman' | 'the nodes';

/**
 * The node that holds `segments` below binaries/ or repos/: the node of the
 * build's repo where shaman knows it, else the first node that has the path.
 * undefined when no node has it.
 */
export async function findReadNode(
  shaman: ShamanClient,
  root: 'binaries' | 'repos',
  segments: readonly string[],
  options: { clientFor: (node: string) => ChacraClient; signal?: AbortSignal | undefined },
): Promise<{ node: string; via: ReadVia } | undefined> {
  const { signal } = options;
  if (segments.length >= 5) {
    const [project, ref, sha1, distro, version] = segments as [string, string, string, string, string];
    const flavorAt = root === 'binaries' ? 7 : 6;
    const flavor = segments[flavorAt - 1] === 'flavors' ? segments[flavorAt] : undefined;
    const holders = (await reposOfBuild(shaman, { project, ref, sha1, distro, version, flavor }, signal)).map(nodeOfRepo);
    for (const node of holders) if (await options.clientFor(node).exists(root, segments, signal)) return { node, via: 'shaman' };
  }
  // Healthy nodes first; every node is asked at once, the first in that order wins.
  const nodes = Object.values(await shaman.nodes(signal)).sort((a, b) => Number(b.healthy) - Number(a.healthy));
  const answers = await Promise.all(
    nodes.map(async (n) => {
      const node = nodeUrl(n.host, shaman.nodeScheme);
      return (await options
        .clientFor(node)
        .exists(root, segments, signal)
        .catch(() => false))
        ? node
        : undefined;
    }),
  );
  const node = answers.find((a) => a !== undefined);
  return node ? { node, via: 'the nodes' } : undefined;
}

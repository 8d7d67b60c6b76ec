// Reads through the pool, with verdicts that hold: a path is "not there" only
// when every node answered that it is not; a node that could not be asked
// (TLS, refused, failing, timed out, an answer that is not chacra's) leaves
// the question open, and says which node and why. A listing is the union of
// what the nodes hold, each name with the nodes that hold it.
import type { ChacraClient } from '../client/client.js';
import { formatApiPath } from '../client/paths.js';
import { nodeOfRepo, nodeUrl, type ShamanClient } from '../client/shaman.js';
import { ChacraError, HttpError, InterruptedError, NetworkError } from '../errors.js';
import { reposOfBuild } from './nodes.js';

/** A node that could not be asked, and why. */
export interface NodeFailure {
  node: string;
  error: ChacraError;
}

/** Some node could not be asked, and no node that answered settles the question: no verdict. */
export class PoolNoVerdictError extends ChacraError {
  readonly failures: readonly NodeFailure[];
  /** No failures: shaman knows no node, so no node could be asked. */
  constructor(question: string, failures: readonly NodeFailure[]) {
    const reasons = failures.map((f) => `${f.node}: ${reasonOf(f.error)}`).join('; ');
    const tls = failures.some((f) => f.error instanceof NetworkError && f.error.kind === 'tls');
    const why =
      failures.length === 0
        ? 'shaman knows no node of the pool'
        : `${failures.length === 1 ? 'a node' : `${failures.length} nodes`} of the pool could not be asked (${reasons})`;
    super(`could not tell ${question}: ${why}`, {
      hint:
        failures.length === 0
          ? 'check the shaman url, and that its nodes are registered'
          : tls
            ? "give the CA bundle that signed the nodes' certificates"
            : 'the nodes named may hold it: try again when they answer',
    });
    this.failures = failures;
  }
}

/** Why a node failed, in a few words: the network's reason, or the status and the server's words. */
export function reasonOf(error: ChacraError): string {
  if (error instanceof NetworkError) return error.reason;
  if (error instanceof HttpError && error.status === 200) return error.message.replace(/^\S+ \S+ /, '');
  if (error instanceof HttpError) return `answered ${error.status}${error.serverMessage ? ` (${error.serverMessage})` : ''}`;
  return error.message;
}

export type ReadVia = 'shaman' | 'the nodes';

export interface PoolReadOptions {
  clientFor: (node: string) => ChacraClient;
  signal?: AbortSignal | undefined;
}

/** Asks `ask` of a node; its failure comes back as a value, an interruption is thrown. */
async function asked<T>(node: string, ask: () => Promise<T>, signal?: AbortSignal): Promise<{ node: string; value: T } | NodeFailure> {
  try {
    return { node, value: await ask() };
  } catch (err) {
    if (signal?.aborted || err instanceof InterruptedError || !(err instanceof ChacraError)) throw err;
    return { node, error: err };
  }
}

/** Every node of the pool, healthy first (shaman's order among them). */
export async function poolNodes(shaman: ShamanClient, signal?: AbortSignal): Promise<string[]> {
  const nodes = Object.values(await shaman.nodes(signal)).sort((a, b) => Number(b.healthy) - Number(a.healthy));
  return nodes.map((n) => nodeUrl(n.host, shaman.nodeScheme));
}

/**
 * The node that holds `segments` below binaries/ or repos/: the node of the
 * build's repo where shaman knows it, else the first node that has the path.
 * undefined when every node answered that it has not; PoolNoVerdictError when
 * none has it and some could not be asked.
 */
export async function findReadNode(
  shaman: ShamanClient,
  root: 'binaries' | 'repos',
  segments: readonly string[],
  options: PoolReadOptions,
): Promise<{ node: string; via: ReadVia } | undefined> {
  const { signal } = options;
  const failures = new Map<string, NodeFailure>();
  if (segments.length >= 5) {
    const [project, ref, sha1, distro, version] = segments as [string, string, string, string, string];
    const flavorAt = root === 'binaries' ? 7 : 6;
    const flavor = segments[flavorAt - 1] === 'flavors' ? segments[flavorAt] : undefined;
    const holders = (await reposOfBuild(shaman, { project, ref, sha1, distro, version, flavor }, signal)).map(nodeOfRepo);
    for (const node of holders) {
      const answer = await asked(node, () => options.clientFor(node).exists(root, segments, signal), signal);
      if ('error' in answer) failures.set(node, answer);
      else if (answer.value) return { node, via: 'shaman' };
    }
  }
  // Every node is asked at once; the first in order that has it wins.
  const nodes = await poolNodes(shaman, signal);
  const answers = await Promise.all(nodes.map((node) => asked(node, () => options.clientFor(node).exists(root, segments, signal), signal)));
  const found = answers.find((a) => 'value' in a && a.value);
  if (found) return { node: found.node, via: 'the nodes' };
  for (const a of answers) if ('error' in a) failures.set(a.node, a);
  // A node shaman no longer lists, failed above, may hold it as well.
  if (failures.size || nodes.length === 0) throw new PoolNoVerdictError(`whether ${formatApiPath(root, segments)} exists`, [...failures.values()]);
  return undefined;
}

/** A listing through the pool: the union of the nodes' listings, and which node holds each name. */
export interface PoolListing {
  /** As one node would list it: names, binaries by name, or a repo document. */
  listing: unknown;
  /** Each name of the listing, with the nodes that hold it; a repo document, with the nodes that hold it under "". */
  holders: Record<string, string[]>;
}

/**
 * Lists `segments` on every node of the pool. undefined when every node
 * answered that the path does not exist; PoolNoVerdictError when a node could
 * not be asked, since the union would miss what it holds.
 */
export async function listOnNodes(
  shaman: ShamanClient,
  root: 'binaries' | 'repos',
  segments: readonly string[],
  options: PoolReadOptions,
): Promise<PoolListing | undefined> {
  const { signal } = options;
  const nodes = await poolNodes(shaman, signal);
  const answers = await Promise.all(nodes.map((node) => asked(node, () => options.clientFor(node).listing<unknown>(root, segments, signal), signal)));
  const failures = answers.filter((a): a is NodeFailure => 'error' in a);
  if (failures.length || nodes.length === 0) throw new PoolNoVerdictError(`what ${formatApiPath(root, segments)}/ holds`, failures);
  const held = answers.flatMap((a) => ('value' in a && a.value !== undefined ? [{ node: a.node, data: a.value }] : []));
  return held.length ? unionOfListings(held) : undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The union of listings of one path on several nodes (checked by the client:
 * names, names with the names below them, binaries by name, or repo documents).
 * Lists of names stay lists when every node answered a list; the first node's
 * metadata or document stands for a name that several nodes hold.
 */
export function unionOfListings(held: readonly { node: string; data: unknown }[]): PoolListing {
  // Maps, not objects: the names are the server's, and "__proto__" or "constructor" must be names like any other.
  const holders = new Map<string, string[]>();
  const hold = (name: string, node: string) => {
    const list = holders.get(name) ?? [];
    if (!list.includes(node)) list.push(node);
    holders.set(name, list);
  };
  const repo = held.find((h) => isObject(h.data) && 'needs_update' in h.data);
  if (repo) {
    for (const h of held) hold('', h.node);
    return { listing: repo.data, holders: Object.fromEntries(holders) };
  }
  if (held.every((h) => Array.isArray(h.data))) {
    for (const h of held) for (const name of h.data as string[]) hold(name, h.node);
    return { listing: [...holders.keys()].sort(), holders: Object.fromEntries(holders) };
  }
  const listing = new Map<string, unknown>();
  for (const { node, data } of held) {
    const entries: [string, unknown][] = Array.isArray(data) ? data.map((name: string) => [name, []]) : Object.entries(data as Record<string, unknown>);
    for (const [name, value] of entries) {
      hold(name, node);
      const before = listing.get(name);
      if (before === undefined) listing.set(name, Array.isArray(value) ? [...value] : value);
      else if (Array.isArray(before) && Array.isArray(value)) for (const v of value) if (!before.includes(v)) before.push(v);
    }
  }
  // Object.fromEntries defines each name as an own property: "__proto__" included.
  return { listing: Object.fromEntries(listing), holders: Object.fromEntries(holders) };
}

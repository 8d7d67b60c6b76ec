// How commands reach chacra when the pool is in use (shaman configured, no
// chacra url): reads go to the node that holds the path, writes of a build to
// the build's node. Each says on stderr which node and why.
import type { ChacraClient } from '../client/client.js';
import { formatApiPath, formatRepo, type RepoRef } from '../client/paths.js';
import { HttpError } from '../errors.js';
import { findReadNode, onWriteNode, type NodeChoice, type PoolRun } from '../operations/nodes.js';
import type { Context } from './context.js';

/** No node of the pool holds the path. */
export class NotInPoolError extends HttpError {}

/** The client for reading `segments` below binaries/ or repos/: the configured server, or the pool's node that holds them. */
export async function readClient(
  ctx: Context,
  root: 'binaries' | 'repos',
  segments: readonly string[],
  options: { needsCredentials?: boolean; connections?: number } = {},
): Promise<ChacraClient> {
  const pool = await ctx.pool();
  if (!pool) return ctx.client({ needsCredentials: options.needsCredentials ?? false, connections: options.connections });
  const found = await findReadNode(pool.shaman, root, segments, { clientFor: pool.clientFor, signal: ctx.signal });
  const path = formatApiPath(root, segments);
  if (!found)
    throw new NotInPoolError(
      {
        method: 'GET',
        url: `${pool.shaman.baseUrl}api/search/`,
        status: 404,
        hint: 'no node of the pool holds it; `chacractl locate PROJECT` shows where builds are',
      },
      `no node of the pool holds ${path}`,
    );
  ctx.logger.info(`${path}: on node ${found.node} (found through ${found.via})`);
  return pool.clientFor(found.node, options.connections);
}

/**
 * Runs a write of one build on the configured server, or on the build's node
 * of the pool, moving to another node when the first fails before anything
 * landed. `choice` is undefined when no pool is in use.
 */
export async function onBuildNode<T>(
  ctx: Context,
  repo: RepoRef,
  run: (client: ChacraClient, choice: NodeChoice | undefined) => Promise<T>,
  options: {
    connections?: number;
    needsCredentials?: boolean;
    failedBeforeLanding?: (result: T) => boolean;
    /** Why the run failed on a node; by default the message of the result's `fatal`, as an upload summary has it. */
    whyFailed?: (result: T) => string | undefined;
  } = {},
): Promise<{ result: T; choice: NodeChoice | undefined; skipped: PoolRun<T>['skipped'] }> {
  const pool = await ctx.pool();
  if (!pool)
    return {
      result: await run(await ctx.client({ connections: options.connections, needsCredentials: options.needsCredentials }), undefined),
      choice: undefined,
      skipped: [],
    };
  // One client per node for the run (the context keeps them): a failover opens one more.
  const clientFor = (node: string) => pool.clientFor(node, options.connections);
  const build = formatRepo(repo);
  return onWriteNode(
    pool.shaman,
    repo,
    (client, choice) => {
      ctx.logger.info(`${build}: node ${choice.node} (${choice.reason})`);
      return run(client, choice);
    },
    {
      memory: pool.memory,
      signal: ctx.signal,
      clientFor,
      failedBeforeLanding: options.failedBeforeLanding ?? (() => false),
      whyFailed: options.whyFailed ?? ((result) => (result as { fatal?: Error } | undefined)?.fatal?.message),
      onSkip: (node, why) => ctx.logger.warn(`${build}: leaving node ${node}: ${why}; asking shaman for another`),
    },
  );
}

// Deleting a repo the way the real chacra allows it. Its DELETE removes the
// built tree and then crashes, leaving the repo document and every binary
// (#102-#105); a repo goes only with its last binary (#106-#108). So: find
// every binary of the repo (each arch of the distro version, in the repo's
// flavor only), ask the server to remove the built tree, delete the binaries,
// and call it done when the repo document is gone. Every step can be run again,
// so a rerun after an interruption finishes the job.
import type { ChacraClient } from '../client/client.js';
import { formatRepo, type BinaryRef, type RepoRef } from '../client/paths.js';
import { VerificationError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { RepoDocument } from '../types.js';
import { runPool } from './pool.js';

export interface RepoDeletePlan {
  repo: RepoRef;
  /** undefined when there is no such repo (deleted already, or never there). */
  doc: RepoDocument | undefined;
  /** Every binary of the repo, in its flavor, across its archs. */
  binaries: BinaryRef[];
}

export interface RepoDeleteResult {
  plan: RepoDeletePlan;
  /** What the server said to the DELETE of the repo document, when one was sent. */
  treeRemoval: string | undefined;
  /** Binaries deleted by this run, and those gone already when it came to them. */
  deleted: BinaryRef[];
  absent: BinaryRef[];
}

/** Reads what a delete of `ref` would remove; sends nothing that changes the server. */
export async function planRepoDelete(client: ChacraClient, ref: RepoRef, signal?: AbortSignal): Promise<RepoDeletePlan> {
  const doc = await client.getRepo(ref, signal);
  if (doc === undefined) return { repo: ref, doc, binaries: [] };
  const flavor = ref.flavor ?? 'default';
  const { project, ref: gitRef, sha1, distro, version } = ref;
  // The version level names every arch that holds binaries of any flavor; the
  // repo's archs are what chacra recorded. Both, in case one lags the other.
  const versionLevel = await client.listing<Record<string, string[]>>('binaries', [project, gitRef, sha1, distro, version], signal);
  const archs = [...new Set([...doc.archs, ...Object.keys(versionLevel ?? {})])].sort();
  const binaries: BinaryRef[] = [];
  for (const arch of archs) {
    // The flavor level: the arch level mixes flavors, and other flavors stay (#40).
    const listing = await client.listTarget({ project, ref: gitRef, sha1, distro, version, arch, flavor }, signal);
    for (const name of Object.keys(listing ?? {}).sort()) binaries.push({ project, ref: gitRef, sha1, distro, version, arch, flavor: ref.flavor, name });
  }
  return { repo: ref, doc, binaries };
}

export interface RepoDeleteOptions {
  signal?: AbortSignal | undefined;
  logger?: Logger;
  /** Deletes at once. */
  jobs?: number;
  onDeleted?: (binary: BinaryRef, outcome: 'deleted' | 'absent') => void;
}

/**
 * Carries out a plan of planRepoDelete: the repo's DELETE (the client's
 * deleteRepo, which only removes the built tree), then each of its binaries.
 * Throws VerificationError when the repo is still there at the end.
 */
export async function applyRepoDelete(client: ChacraClient, plan: RepoDeletePlan, options: RepoDeleteOptions = {}): Promise<RepoDeleteResult> {
  const { signal } = options;
  const logger = options.logger ?? silentLogger;
  const result: RepoDeleteResult = { plan, treeRemoval: undefined, deleted: [], absent: [] };
  if (plan.doc === undefined) return result;
  // Deleting the binaries alone would leave the built tree on disk for good:
  // only the repo's DELETE removes it, before it fails as it always does.
  if (plan.doc.path !== null) {
    const answer = await client.deleteRepo(plan.repo, signal);
    result.treeRemoval = answer.outcome === 'failed' ? `answered ${answer.status}${answer.message ? ` (${answer.message})` : ''}` : answer.outcome;
    logger.debug(`DELETE of the repo document ${result.treeRemoval}, as chacra does; deleting its binaries`);
  }
  const remove = async (binary: BinaryRef) => {
    const outcome = (await client.deleteBinary(binary, signal)) ? 'deleted' : 'absent';
    (outcome === 'deleted' ? result.deleted : result.absent).push(binary);
    options.onDeleted?.(binary, outcome);
  };
  // Each DELETE removes the repo when it finds no other binary of it, in its own
  // transaction: concurrent deletes of the last binaries each still see the
  // others', and the repo stays behind with none (seen on a real chacra). So
  // all but the last go concurrently, and the last alone.
  const last = plan.binaries.at(-1);
  await runPool(plan.binaries.slice(0, -1), Math.max(1, options.jobs ?? 4), remove);
  if (last) await remove(last);
  const left = await client.getRepo(plan.repo, signal);
  if (left !== undefined) {
    const again = await planRepoDelete(client, plan.repo, signal);
    if (again.binaries.length > 0)
      throw new VerificationError(
        `repo ${formatRepo(plan.repo)} is still there, with ${again.binaries.length} binar${again.binaries.length === 1 ? 'y' : 'ies'} (${again.binaries
          .slice(0, 3)
          .map((b) => `${b.arch}/${b.name}`)
          .join(', ')}${again.binaries.length > 3 ? ', …' : ''})`,
        { hint: 'something may be uploading to it now; run the delete again' },
      );
    throw new VerificationError(
      `repo ${formatRepo(plan.repo)} is still there with no binary: the server kept its record when its last binaries were deleted at once`,
      {
        hint: 'chacra removes a repo with its last binary only; upload one file to it and delete that file, or ask the server administrators to remove the record',
      },
    );
  }
  return result;
}

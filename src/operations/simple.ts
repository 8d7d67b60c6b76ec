// Single-request operations, with the checks the Python client lacked.
import type { ChacraClient } from '../client/client.js';
import { formatRepo, splitUrlPart, type BinaryRef, type RepoRef } from '../client/paths.js';
import { HttpError, UsageError } from '../errors.js';
import type { RepoDocument } from '../types.js';

export const API_PATH_SHAPE = 'binaries/PROJECT/...  or  repos/PROJECT/...';

/** A path written from the API root, as in `binaries/P/REF/SHA1/DISTRO/VER/ARCH`: its root and checked segments. */
export function apiPath(path: string): { root: 'binaries' | 'repos'; segments: string[] } {
  const [root, ...segments] = splitUrlPart(path, API_PATH_SHAPE, 'path');
  if (root !== 'binaries' && root !== 'repos')
    throw new UsageError(`invalid path ${JSON.stringify(path)}: it must start with binaries/ or repos/`, { hint: `expected ${API_PATH_SHAPE}` });
  return { root, segments };
}

/** `exists PATH`: PATH is written from the API root, as in `binaries/P/REF/SHA1/DISTRO/VER/ARCH`. */
export async function pathExists(client: ChacraClient, path: string, signal?: AbortSignal): Promise<boolean> {
  const { root, segments } = apiPath(path);
  return client.exists(root, segments, signal);
}

export type DeleteOutcome = 'deleted' | 'absent';

export async function deleteBinary(client: ChacraClient, ref: BinaryRef, signal?: AbortSignal): Promise<DeleteOutcome> {
  return (await client.deleteBinary(ref, signal)) ? 'deleted' : 'absent';
}

/** Creates a project unless it exists (the client's createProject); says whether it was there already (the server answers 200 both ways, #53). */
export async function ensureProject(client: ChacraClient, name: string, signal?: AbortSignal): Promise<'created' | 'exists'> {
  if (await client.exists('binaries', [name], signal)) return 'exists';
  await client.createProject(name, signal);
  return 'created';
}

export class NoSuchRepoError extends HttpError {
  constructor(client: ChacraClient, ref: RepoRef) {
    super(
      {
        method: 'GET',
        url: client.baseUrl + 'repos/' + formatRepo(ref) + '/',
        status: 404,
        hint: 'repos appear when a binary is uploaded; check the path with `chacractl exists repos/...`',
      },
      `no such repo: ${formatRepo(ref)}`,
    );
  }
}

async function existingRepo(client: ChacraClient, ref: RepoRef, signal?: AbortSignal): Promise<RepoDocument> {
  const doc = await client.getRepo(ref, signal);
  if (doc === undefined) throw new NoSuchRepoError(client, ref);
  return doc;
}

/** Asks for a rebuild (the client's updateRepo). A missing repo throws NoSuchRepoError at once: the server would crash with a 500 (#68). */
export async function updateExistingRepo(client: ChacraClient, ref: RepoRef, signal?: AbortSignal): Promise<RepoDocument> {
  await existingRepo(client, ref, signal);
  return client.updateRepo(ref, signal);
}

export interface RecreateResult {
  doc: RepoDocument;
  /** The repo had never been built: an update did the job (#70 crashes otherwise). */
  updatedInstead: boolean;
}

/**
 * Removes a repo's built tree and builds it again (the client's recreateRepo),
 * or, for a repo never built, on which chacra's recreate crashes (#70), asks
 * for an update instead. A missing repo throws NoSuchRepoError.
 */
export async function rebuildRepo(client: ChacraClient, ref: RepoRef, signal?: AbortSignal): Promise<RecreateResult> {
  const before = await existingRepo(client, ref, signal);
  if (before.path === null) return { doc: await client.updateRepo(ref, signal), updatedInstead: true };
  return { doc: await client.recreateRepo(ref, signal), updatedInstead: false };
}

export async function setRepoType(client: ChacraClient, ref: RepoRef, type: string, signal?: AbortSignal): Promise<RepoDocument> {
  await existingRepo(client, ref, signal);
  return client.updateRepoFields(ref, { type }, signal);
}

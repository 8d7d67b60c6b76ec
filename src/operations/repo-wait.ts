// Following a repo until it is built: what build scripts did with curl, jq and sleep.
import type { ChacraClient } from '../client/client.js';
import { formatRepo, type RepoRef } from '../client/paths.js';
import { sleep } from '../client/retry.js';
import { ChacraError } from '../errors.js';
import { repoState, type RepoDocument, type RepoState } from '../types.js';
import { NoSuchRepoError } from './simple.js';

export class RepoWaitTimeout extends ChacraError {
  constructor(
    readonly repo: string,
    readonly lastState: RepoState,
    timeoutMs: number,
  ) {
    super(`${repo} was not ready after ${Math.round(timeoutMs / 1000)} s; last state: ${lastState}`, {
      hint: 'wait longer, or look at the server: repos build one at a time and some projects are never built automatically',
    });
  }
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs: number;
  signal?: AbortSignal | undefined;
  onState?: (state: RepoState, doc: RepoDocument) => void;
}

/**
 * Polls the repo document until it is ready. A repo counts as ready once it
 * has a path and nothing is pending; one that was never asked for stays
 * "never built" and ends in the timeout.
 */
export async function waitForRepo(client: ChacraClient, ref: RepoRef, options: WaitOptions): Promise<RepoDocument> {
  const deadline = Date.now() + options.timeoutMs;
  let last: RepoState | undefined;
  for (;;) {
    const doc = await client.getRepo(ref, options.signal);
    if (doc === undefined) throw new NoSuchRepoError(client, ref);
    const state = repoState(doc);
    if (state !== last) options.onState?.(state, doc);
    last = state;
    if (state === 'ready') return doc;
    const left = deadline - Date.now();
    if (left <= 0) throw new RepoWaitTimeout(formatRepo(ref), state, options.timeoutMs);
    await sleep(Math.min(options.intervalMs, left), options.signal);
  }
}

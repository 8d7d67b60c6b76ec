// Following a repo until it is built: what build scripts did with curl, jq and sleep.
import type { ChacraClient } from '../client/client.js';
import { formatRepo, type RepoRef } from '../client/paths.js';
import { sleep } from '../client/retry.js';
import { ChacraError } from '../errors.js';
import { repoState, type RepoDocument, type RepoState } from '../types.js';
import { Deadline, noAnswerBefore } from './deadline.js';
import { NoSuchRepoError } from './simple.js';

export class RepoWaitTimeout extends ChacraError {
  constructor(
    readonly repo: string,
    readonly lastState: RepoState,
    timeoutMs: number,
    /** The deadline cut a poll still in flight: the state is that of the poll before. */
    cutInFlight = false,
  ) {
    super(
      `${repo} was not ready after ${Math.round(timeoutMs / 1000)} s; last state: ${lastState}` +
        (cutInFlight ? ' (the poll in flight at the deadline was given up)' : ''),
      {
        hint: 'wait longer, or look at the server: repos build one at a time and some projects are never built automatically',
      },
    );
  }
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs: number;
  signal?: AbortSignal | undefined;
  onState?: (state: RepoState, doc: RepoDocument) => void;
  /** The state already seen before the wait (the answer to an update): the repo was seen not ready once. */
  seen?: RepoState | undefined;
  /** When the wait's time began (Date.now()), if before the call: the deadline is startedAt + timeoutMs. */
  startedAt?: number | undefined;
}

/**
 * Polls the repo document until it is ready. A repo counts as ready once it
 * has a path and nothing is pending; one that was never asked for stays
 * "never built" and ends in the timeout.
 *
 * The timeout holds inside a poll too: a poll in flight at the deadline is
 * given up. Then, when the server answered a state before (it was asked, and
 * said "not ready" until the deadline), the wait ends in RepoWaitTimeout;
 * when it never answered, no state was seen and the end is a NetworkError
 * (kind timeout): whether the repo is ready is unknown.
 */
export async function waitForRepo(client: ChacraClient, ref: RepoRef, options: WaitOptions): Promise<RepoDocument> {
  const deadline = new Deadline(options.timeoutMs, options.signal, options.startedAt);
  let last: RepoState | undefined = options.seen;
  let polling = false;
  try {
    for (;;) {
      polling = true;
      const doc = await client.getRepo(ref, deadline.signal);
      polling = false;
      if (doc === undefined) throw new NoSuchRepoError(client, ref);
      const state = repoState(doc);
      if (state !== last) options.onState?.(state, doc);
      last = state;
      if (state === 'ready') return doc;
      const left = deadline.left();
      if (left <= 0) throw new RepoWaitTimeout(formatRepo(ref), state, options.timeoutMs);
      await sleep(Math.min(options.intervalMs, left), deadline.signal);
    }
  } catch (err) {
    if (!deadline.cut(err)) throw err;
    if (last === undefined) throw noAnswerBefore(deadline, 'GET', `${client.baseUrl}repos/${formatRepo(ref)}/`, 'the repo was never seen');
    throw new RepoWaitTimeout(formatRepo(ref), last, options.timeoutMs, polling);
  } finally {
    deadline.clear();
  }
}

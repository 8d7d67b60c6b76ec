// A target's listing read as it streams (#23): every entry checked and handed
// on, never the whole text held, inside one retry loop of its own.
import { HttpError, NetworkError, UnexpectedAnswerError } from '../errors.js';
import type { BinaryMetadata } from '../types.js';
import { NotAnObject, ObjectMembers } from './json-members.js';
import { encodePath, targetSegments, type BinaryTarget } from './paths.js';
import { formatDelay, withRetry } from './retry.js';
import { type RetryMode, retriesFailure, retriesStatus } from './retry-rules.js';
import { LISTING_WHAT, listingKind, metadataProblem, nameProblem, unexpectedAnswer } from './shapes.js';
import type { Transport } from './transport.js';

export interface ListingOptions {
  /**
   * 'never' for a listing read inside a caller's own try (an upload's check
   * of what the server kept): the caller's retries then stay the only ones.
   * Unset, a read's default: tried again after network errors and 5xx.
   */
  retry?: RetryMode | undefined;
}

/**
 * Reads a target's listing to `keep`, entry by entry, each checked as it
 * streams; false when the target does not exist. The text of a listing of
 * 100,000 binaries (tens of MB) is never held (#23). One loop tries the
 * whole exchange, body included: the request itself is sent once a try, so
 * tries never multiply, and a body cut or stalled is tried again as a
 * failure before the headers is. `keep` may see an entry again on a later
 * try: callers keep entries by name.
 */
export async function scanTargetListing(
  transport: Transport,
  target: BinaryTarget,
  signal: AbortSignal | undefined,
  options: ListingOptions,
  keep: (name: string, entry: BinaryMetadata) => void,
): Promise<boolean> {
  const segments = targetSegments({ ...target, flavor: target.flavor ?? 'default' });
  const path = 'binaries/' + encodePath(segments);
  const mode = options.retry ?? 'idempotent';
  // Uploads are decided and verified on these entries: each is checked as listing() checks a whole one.
  const what = LISTING_WHAT[listingKind('binaries', segments)];
  const once = async (): Promise<boolean> => {
    const res = await transport.stream({ method: 'GET', path, retry: 'never', signal }, [200, 404]);
    if (res.status === 404) {
      res.stream.destroy();
      return false;
    }
    const members = new ObjectMembers((name, entry) => {
      const problem = nameProblem(name) ?? metadataProblem(entry);
      if (problem) throw unexpectedAnswer('GET', transport.urlOf(path), what, `at ${JSON.stringify(name)}: ${problem}`);
      keep(name, entry as BinaryMetadata);
    });
    try {
      for await (const chunk of res.stream) members.push(chunk as Buffer);
      members.end();
    } catch (err) {
      res.stream.destroy();
      if (err instanceof NotAnObject) throw unexpectedAnswer('GET', transport.urlOf(path), what, err.message);
      throw err;
    }
    return true;
  };
  const policy = transport.retryPolicy;
  return withRetry(once, {
    policy: mode === 'never' ? { ...policy, tries: 1 } : policy,
    signal,
    retryError: (err) => {
      if (err instanceof NetworkError) return retriesFailure(mode, err) ? { reason: err.reason } : undefined;
      if (err instanceof HttpError && !(err instanceof UnexpectedAnswerError) && retriesStatus(mode, err.status))
        return { reason: `answered ${err.status}${err.serverMessage ? ` (${err.serverMessage})` : ''}`, retryAfter: err.retryAfter };
      return undefined;
    },
    onRetry: ({ attempt, tries, delayMs, reason }) =>
      transport.logger.info(`retrying GET ${transport.urlOf(path)} in ${formatDelay(delayMs)} (try ${attempt + 1} of ${tries}): ${reason}`),
  });
}

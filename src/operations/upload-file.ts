// One file's upload: sent, retried only once the server is known not to hold
// a good copy, and settled as uploaded, replaced, unchanged, skipped or failed.
import type { ChacraClient } from '../client/client.js';
import { contentTypeOf } from '../client/multipart.js';
import { formatDelay, withRetry, type RetryPolicy } from '../client/retry.js';
import { retriesFailure, retriesStatus } from '../client/retry-rules.js';
import { type ChacraError, HttpError, InterruptedError, NetworkError, VerificationError } from '../errors.js';
import type { Logger } from '../logger.js';
import { isFatal } from './fatal.js';
import { sha512OfLocal } from './files.js';
import type { UploadEvent } from './upload.js';
import { sameContent, type Sending } from './upload-types.js';

/**
 * The transport's rule for a request safe to repeat: a try after a failure
 * first asks the server what it kept, so sending again is as safe as a GET.
 * A certificate refused or a URL of the wrong scheme fails the same way on
 * every try: never retried.
 */
function isTransient(err: unknown): boolean {
  if (err instanceof NetworkError) return retriesFailure('idempotent', err);
  if (err instanceof HttpError) return retriesStatus('idempotent', err.status);
  return false;
}

// The upload's POST, and the listing that checks what the server kept, are
// each sent once per try of this loop: its tries are the only ones, so that
// --retries counts tries of the upload and --timeout bounds each (#20).
const ONCE = { retry: 'never' } as const;

export interface RunContext {
  signal?: AbortSignal | undefined;
  retry: RetryPolicy;
  /** Called once the file's bytes are all handed to the connection. */
  release?: () => void;
  logger: Logger;
  emit: (event: UploadEvent) => void;
}

/** Uploads one file, retrying safely; returns the error when it should stop the whole run. */
export async function uploadOne(client: ChacraClient, w: Sending, ctx: RunContext): Promise<ChacraError | undefined> {
  const { report, local } = w;
  const startedAt = performance.now();
  try {
    await withRetry(
      async (attempt) => {
        // Send again only once we know the server did not keep a good copy.
        if (attempt > 1 && (await settledByServer(client, w, ctx.signal))) return;
        report.tries++;
        let sent = 0;
        try {
          const result = await client.uploadBinary(
            w.target,
            { path: local.path, name: local.name, size: local.size, mtimeMs: local.mtimeMs, contentType: contentTypeOf(local.name) },
            {
              force: w.force,
              signal: ctx.signal,
              onSent: ctx.release,
              onBytes: (n) => {
                sent += n;
                ctx.emit({ type: 'bytes', file: report, bytes: n });
              },
            },
          );
          report.bytesSent += result.bytesSent;
          if (result.outcome !== 'exists') {
            report.sha512 = result.sha512;
            report.outcome = report.action === 'replace' ? 'replaced' : 'uploaded';
            return;
          }
        } catch (err) {
          report.bytesSent += sent;
          throw err;
        }
        // #12: the name appeared since the listing; an earlier try of ours may have landed.
        const entry = await client.listedBinary({ ...w.target, name: local.name }, ctx.signal, ONCE);
        report.sha512 ??= (await sha512OfLocal(local.path, local.size, ctx.signal)).sha512;
        report.serverSha512 = entry?.checksum ?? null;
        if (sameContent(entry, report.sha512)) {
          report.outcome = attempt > 1 ? 'uploaded' : 'unchanged';
        } else {
          report.outcome = 'skipped';
          report.replaceable = true;
          report.message = `${local.name} appeared on the server with other contents while uploading; not replaced`;
          ctx.logger.warn(report.message);
        }
      },
      {
        policy: ctx.retry,
        signal: ctx.signal,
        retryError: (err) => (isTransient(err) ? { reason: (err as Error).message } : undefined),
        onRetry: ({ delayMs, reason }) => {
          ctx.emit({ type: 'retry', file: report, reason, delayMs });
          ctx.logger.info(`upload of ${local.name} failed (${reason}); checking the server, then retrying in ${formatDelay(delayMs)}`);
        },
      },
    );
  } catch (err) {
    if (err instanceof InterruptedError || ctx.signal?.aborted) {
      report.outcome = 'interrupted';
      report.message = 'interrupted while uploading';
    } else {
      report.outcome = 'failed';
      report.message = err instanceof Error ? err.message : String(err);
      // However far the upload got: a network failure that outlasted its retries stops the run.
      if (isFatal(err)) return err;
      // The caller hears of it from the report (the CLI names every failed file once).
      ctx.logger.debug(`${local.path}: ${report.message}`);
    }
  } finally {
    report.durationMs += Math.round(performance.now() - startedAt);
  }
}

/**
 * After a failed try: true when the server holds the file rightly already (the
 * try landed after all). Other contents under the name are the remains of the
 * failed try or another uploader's file; without force, which of the two
 * cannot be told, so they are not overwritten and the user hears of it.
 */
async function settledByServer(client: ChacraClient, w: Sending, signal: AbortSignal | undefined): Promise<boolean> {
  const { report, local } = w;
  const entry = await client.listedBinary({ ...w.target, name: local.name }, signal, ONCE);
  if (entry === undefined) return false;
  report.sha512 ??= (await sha512OfLocal(local.path, local.size, signal)).sha512;
  report.serverSha512 = entry.checksum;
  if (sameContent(entry, report.sha512)) {
    report.outcome = report.action === 'replace' ? 'replaced' : 'uploaded';
    return true;
  }
  if (w.force) return false;
  report.replaceable = true;
  throw new VerificationError(`${local.name}: after a failed upload the server holds other contents (sha512 ${entry.checksum.slice(0, 16)}…); not overwritten`);
}

// Uploading many files: plan from one listing per target, upload concurrently
// while hashing, then verify every file with one more listing per target.
// N new files in one target cost N + 2 requests, and each is read once.
import type { ChacraClient } from '../client/client.js';
import { contentTypeOf } from '../client/multipart.js';
import { formatTarget, type BinaryTarget } from '../client/paths.js';
import { formatDelay, withRetry, type RetryPolicy } from '../client/retry.js';
import { ChacraError, HttpError, InterruptedError, NetworkError, VerificationError } from '../errors.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { sha512OfFile } from './files.js';
import { runPool, runSignal } from './pool.js';
import { firstUploadsAlone, planUploads, sameContent, type FileOutcome, type FileReport, type Plan, type UploadBatch, type Work } from './upload-plan.js';

export type { UploadBatch, PlannedAction, FileOutcome, FileReport } from './upload-plan.js';

export interface UploadOptions {
  /** Replace binaries of the same name whose contents differ. */
  force?: boolean;
  /** Uploads at once. */
  jobs?: number;
  /** Plan only: no write request is sent. */
  dryRun?: boolean;
  /** Re-sends of a file the server holds wrongly after upload. */
  verifyResends?: number;
  /** Tries of each upload and their backoff; the client's policy when absent. */
  retry?: RetryPolicy;
  signal?: AbortSignal | undefined;
  logger?: Logger;
  onEvent?: (event: UploadEvent) => void;
  cwd?: string;
}

/**
 * What a run tells as it goes. Each file to send has one `start` and one
 * `done` (its upload, retries included, is over); `retry` for each failed try
 * sent again; after `verify`, `resend` for a file the server holds wrongly,
 * and `rejected` for one that stays wrong (its outcome becomes `failed`).
 */
export type UploadEvent =
  | { type: 'planned'; files: number; bytes: number /** Files settled without sending: unchanged, skipped, missing. */; settled: FileReport[] }
  | { type: 'start'; file: FileReport }
  | { type: 'bytes'; file: FileReport; bytes: number }
  | { type: 'retry'; file: FileReport; reason: string; delayMs: number }
  | { type: 'done'; file: FileReport }
  | { type: 'verify'; target: string; files: number }
  | { type: 'resend'; file: FileReport }
  | { type: 'rejected'; file: FileReport };

export interface UploadSummary {
  dryRun: boolean;
  interrupted: boolean;
  /** A failure that stopped the run (credentials refused, server unreachable). */
  fatal: ChacraError | undefined;
  files: FileReport[];
  counts: Record<FileOutcome, number>;
  /** Bytes to send in the plan and bytes actually sent. */
  plannedBytes: number;
  bytesSent: number;
  requests: number;
  elapsedMs: number;
}

const OK_OUTCOMES: ReadonlySet<FileOutcome> = new Set(['uploaded', 'replaced', 'unchanged', 'skipped', 'planned']);

export function uploadSucceeded(summary: UploadSummary): boolean {
  return !summary.interrupted && summary.fatal === undefined && summary.files.every((f) => OK_OUTCOMES.has(f.outcome));
}

/** Errors after which no other file can do better: stop the run. */
function isFatal(err: unknown): boolean {
  if (err instanceof HttpError) return err.status === 401 || err.status === 403;
  // A network failure that outlasted its retries: the server is out of reach for every file.
  if (err instanceof NetworkError) return true;
  return false;
}

function isTransient(err: unknown): boolean {
  if (err instanceof NetworkError) return true;
  if (err instanceof HttpError) return err.status >= 500 || err.status === 429;
  return false;
}

export async function uploadBinaries(client: ChacraClient, batches: readonly UploadBatch[], options: UploadOptions = {}): Promise<UploadSummary> {
  const started = performance.now();
  const requestsBefore = client.requestCount;
  const logger = options.logger ?? silentLogger;
  const jobs = Math.max(1, options.jobs ?? 4);
  const retry = options.retry ?? client.retryPolicy;
  const signal = runSignal(options.signal);
  const emit = options.onEvent ?? (() => {});
  const reports: FileReport[] = [];
  const work: Work[] = [];
  let fatal: ChacraError | undefined;
  const stopped = () => fatal !== undefined || signal?.aborted === true;

  const finish = (): UploadSummary => {
    const counts = { uploaded: 0, replaced: 0, unchanged: 0, skipped: 0, failed: 0, missing: 0, interrupted: 0, planned: 0 };
    for (const r of reports) counts[r.outcome]++;
    return {
      dryRun: options.dryRun === true,
      interrupted: signal?.aborted === true,
      fatal,
      files: reports,
      counts,
      plannedBytes: work.reduce((n, w) => n + w.local.size, 0),
      bytesSent: reports.reduce((n, r) => n + r.bytesSent, 0),
      requests: client.requestCount - requestsBefore,
      elapsedMs: Math.round(performance.now() - started),
    };
  };

  // 1. Plan: what is on disk, what the server holds, what to send.
  const plan: Plan = { reports, work, targets: new Map() };
  const targetsOfWork = plan.targets;
  try {
    await planUploads(client, batches, plan, { force: options.force === true, jobs, signal, logger, cwd: options.cwd, stopped });
  } catch (err) {
    if (signal?.aborted || err instanceof InterruptedError) {
      unsent(reports, signal, undefined);
      return finish();
    }
    if (err instanceof ChacraError) {
      fatal = err;
      unsent(reports, signal, err);
      return finish();
    }
    throw err;
  }

  if (options.dryRun) for (const w of work) w.report.outcome = 'planned';
  const sending = new Set(work.map((w) => w.report));
  emit({
    type: 'planned',
    files: work.length,
    bytes: work.reduce((n, w) => n + w.local.size, 0),
    settled: reports.filter((r) => options.dryRun || !sending.has(r)),
  });
  if (options.dryRun) return finish();

  // 2. Upload, and verify each target once its last upload has finished.
  const pending = new Map<string, number>([...targetsOfWork].map(([name, t]) => [name, t.items.length]));
  const verifications: Promise<void>[] = [];
  const waitsFor = firstUploadsAlone(plan);
  const finished = new Map([...new Set(waitsFor.values())].map((first) => [first, deferred()]));
  // A lane is free once its file is sent: the next file streams while the
  // server stores and hashes the last, so a worker never waits on our turnaround.
  await runPool(work, { limit: jobs, maxInFlight: 2 * jobs, stop: stopped }, async (w, release) => {
    const first = waitsFor.get(w);
    if (first) await finished.get(first)!.promise;
    emit({ type: 'start', file: w.report });
    const stopper = await uploadOne(client, w, { signal, logger, emit, release, retry });
    emit({ type: 'done', file: w.report });
    finished.get(w)?.resolve();
    if (stopper) fatal ??= stopper;
    const left = (pending.get(w.report.target) ?? 1) - 1;
    pending.set(w.report.target, left);
    if (left === 0 && !stopped()) {
      const t = targetsOfWork.get(w.report.target);
      if (t)
        verifications.push(
          verifyTarget(client, t.target, t.items, { ...options, signal, logger, emit, retry }).catch((err) => {
            if (err instanceof ChacraError && !(err instanceof InterruptedError)) fatal ??= err;
          }),
        );
    }
  });
  await Promise.all(verifications);

  unsent(reports, signal, fatal);
  return finish();
}

/**
 * Files the run never sent, because it was interrupted or stopped, are counted
 * and listed all the same, each with the reason.
 */
function unsent(reports: readonly FileReport[], signal: AbortSignal | undefined, fatal: ChacraError | undefined): void {
  for (const r of reports) {
    if (r.outcome !== 'failed' || r.message !== null) continue;
    if (signal?.aborted) {
      r.outcome = 'interrupted';
      r.message = 'not sent: interrupted';
    } else {
      r.message = `not sent: ${fatal ? fatal.message : 'the run stopped before it'}`;
    }
  }
}

interface RunContext {
  signal?: AbortSignal | undefined;
  retry: RetryPolicy;
  /** Called once the file's bytes are all handed to the connection. */
  release?: () => void;
  logger: Logger;
  emit: (event: UploadEvent) => void;
}

/** Uploads one file, retrying safely; returns the error when it should stop the whole run. */
async function uploadOne(client: ChacraClient, w: Work, ctx: RunContext): Promise<ChacraError | undefined> {
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
        const entry = (await client.listTarget(w.target, ctx.signal))?.[local.name];
        report.sha512 ??= (await sha512OfFile(local.path, ctx.signal)).sha512;
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
      if (isFatal(err)) return err as ChacraError;
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
async function settledByServer(client: ChacraClient, w: Work, signal: AbortSignal | undefined): Promise<boolean> {
  const { report, local } = w;
  const entry = (await client.listTarget(w.target, signal))?.[local.name];
  if (entry === undefined) return false;
  report.sha512 ??= (await sha512OfFile(local.path, signal)).sha512;
  report.serverSha512 = entry.checksum;
  if (sameContent(entry, report.sha512)) {
    report.outcome = report.action === 'replace' ? 'replaced' : 'uploaded';
    return true;
  }
  if (w.force) return false;
  report.replaceable = true;
  throw new VerificationError(`${local.name}: after a failed upload the server holds other contents (sha512 ${entry.checksum.slice(0, 16)}…); not overwritten`);
}

async function verifyTarget(client: ChacraClient, target: BinaryTarget, items: readonly Work[], options: UploadOptions & RunContext): Promise<void> {
  const name = formatTarget(target);
  let toCheck = items.filter((w) => w.report.outcome === 'uploaded' || w.report.outcome === 'replaced');
  const resends = options.verifyResends ?? 2;
  for (let round = 0; toCheck.length > 0; round++) {
    options.emit({ type: 'verify', target: name, files: toCheck.length });
    // One listing of the target's flavor (listTarget never reads the mixed arch level, #40).
    const listing = (await client.listTarget(target, options.signal)) ?? {};
    const wrong = toCheck.filter((w) => {
      const entry = listing[w.local.name];
      w.report.serverSha512 = entry?.checksum ?? null;
      return !sameContent(entry, w.report.sha512);
    });
    if (wrong.length === 0) return;
    if (round >= resends) {
      for (const w of wrong) await reportWrongCopy(client, w, options);
      return;
    }
    for (const w of wrong) {
      options.logger.warn(`${w.local.name}: the server holds other contents than were sent; sending it again`);
      options.emit({ type: 'resend', file: w.report });
      w.force = true;
      w.report.outcome = 'failed';
    }
    await runPool(wrong, options.jobs ?? 4, async (w) => {
      const stopper = await uploadOne(client, w, options);
      if (stopper) throw stopper;
    });
    toCheck = wrong.filter((w) => w.report.outcome === 'uploaded' || w.report.outcome === 'replaced');
  }
}

async function reportWrongCopy(client: ChacraClient, w: Work, options: RunContext): Promise<void> {
  const { report } = w;
  const error = new VerificationError(`${report.name}: the server's sha512 is ${report.serverSha512 ?? '(missing)'}, the file's is ${report.sha512}`);
  report.outcome = 'failed';
  report.message = error.message;
  // A file this run created and the server holds wrongly must not stay as if it were good.
  if (report.action === 'upload') {
    try {
      await client.deleteBinary({ ...w.target, name: report.name }, options.signal);
      report.message += '; removed it from the server';
    } catch (err) {
      report.message += `; could not remove it from the server: ${(err as Error).message}`;
    }
  } else {
    report.message += '; the server keeps the wrong copy';
  }
  options.logger.debug(report.message);
  options.emit({ type: 'rejected', file: report });
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

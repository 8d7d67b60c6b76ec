// Uploading many files: plan from one listing per target, upload concurrently
// while hashing, then verify every file with one more listing per target.
// N new files in one target cost N + 2 requests, and each is read once.
import type { ChacraClient } from '../client/client.js';
import { formatRepo } from '../client/paths.js';
import type { RetryPolicy } from '../client/retry.js';
import { ChacraError, InterruptedError } from '../errors.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { runPool, runSignal } from './pool.js';
import { uploadOne } from './upload-file.js';
import { firstUploadsAlone } from './upload-first.js';
import { planUploads } from './upload-plan.js';
import { SendQueue } from './upload-queue.js';
import { SentFiles } from './upload-sent.js';
import { type FileOutcome, type FileReport, type Plan, type PlannedAction, reportOf, type Sending, type UploadBatch, type Work } from './upload-types.js';
import { verifyTarget } from './upload-verify.js';

export type { UploadBatch, PlannedAction, FileOutcome, FileReport } from './upload-types.js';

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
  /**
   * Keep every file's report in the summary (the default). Without, the
   * summary keeps counts alone, and each file's report is told once by the
   * events (`settled`, or `done`): a run of any number of files holds only
   * the files still to send (#23).
   */
  keepFiles?: boolean;
}

/**
 * What a run tells as it goes. Each file settled without sending (unchanged,
 * skipped, missing, unreadable; every file of a dry run; a file the run
 * stopped before sending) has one `settled`. Each file to send has one `start`
 * and one `done` (its upload, retries included, is over); `retry` for each
 * failed try sent again; after `verify`, `resend` for a file the server holds
 * wrongly, and `rejected` for one that stays wrong (its outcome becomes `failed`).
 */
export type UploadEvent =
  | { type: 'settled'; file: FileReport }
  | { type: 'planned'; files: number; bytes: number }
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
  /** Every file's report; empty when run without `keepFiles`. */
  files: FileReport[];
  counts: Record<FileOutcome, number>;
  /** Entries of the file lists, usable or not (directories passed over included). */
  given: number;
  /** Bytes to send in the plan and bytes actually sent. */
  plannedBytes: number;
  bytesSent: number;
  requests: number;
  elapsedMs: number;
}

export function uploadSucceeded(summary: UploadSummary): boolean {
  const c = summary.counts;
  return !summary.interrupted && summary.fatal === undefined && c.failed + c.missing + c.interrupted === 0;
}

export async function uploadBinaries(client: ChacraClient, batches: readonly UploadBatch[], options: UploadOptions = {}): Promise<UploadSummary> {
  const started = performance.now();
  const requestsBefore = client.requestCount;
  const logger = options.logger ?? silentLogger;
  const jobs = Math.max(1, options.jobs ?? 4);
  const retry = options.retry ?? client.retryPolicy;
  const signal = runSignal(options.signal);
  const emit = options.onEvent ?? (() => {});
  const keep = options.keepFiles !== false;
  const reports: FileReport[] = [];
  // Counted as each file settles: what the run holds of a file it is done with is these counts (#23).
  const counts: Record<FileOutcome, number> = { uploaded: 0, replaced: 0, unchanged: 0, skipped: 0, failed: 0, missing: 0, interrupted: 0, planned: 0 };
  let bytesSent = 0;
  let fatal: ChacraError | undefined;
  const stopped = () => fatal !== undefined || signal?.aborted === true;
  const settle = (report: FileReport) => {
    counts[report.outcome]++;
    emit({ type: 'settled', file: report });
  };
  const plan: Plan = {
    settle,
    onReport: keep ? (report) => reports.push(report) : undefined,
    pending: [],
    work: new SendQueue(),
    targets: new Map(),
    given: 0,
  };
  const { work } = plan;

  const finish = (): UploadSummary => ({
    dryRun: options.dryRun === true,
    interrupted: signal?.aborted === true,
    fatal,
    files: reports,
    counts: { ...counts },
    given: plan.given,
    plannedBytes: work.bytes,
    bytesSent,
    requests: client.requestCount - requestsBefore,
    elapsedMs: Math.round(performance.now() - started),
  });
  const unsent = () => {
    notSent(plan.pending, 'none', signal, fatal, settle);
    plan.pending.length = 0;
    notSent(work.drain(), 'upload', signal, fatal, settle);
  };

  // 1. Plan: what is on disk, what the server holds, what to send.
  try {
    await planUploads(client, batches, plan, { force: options.force === true, jobs, signal, logger, cwd: options.cwd, stopped });
  } catch (err) {
    if (signal?.aborted || err instanceof InterruptedError) {
      unsent();
      return finish();
    }
    if (err instanceof ChacraError) {
      fatal = err;
      unsent();
      return finish();
    }
    throw err;
  }

  if (options.dryRun) {
    for (const w of work.drain()) {
      const report = reportOf(w, 'upload');
      report.outcome = 'planned';
      settle(report);
    }
  }
  emit({ type: 'planned', files: work.length, bytes: work.bytes });
  if (options.dryRun) return finish();

  // 2. Upload, and verify each target once its last upload has finished.
  const left = new Map([...plan.targets].map(([name, t]) => [name, t.files]));
  const sent = new Map<string, SentFiles>();
  const verifications: Promise<void>[] = [];
  const { repos, waitFor } = firstUploadsAlone(plan);
  /** Each fresh repo's first upload, done: the rest of the repo waits for it. */
  const firstDone = new Map([...repos].map((repo) => [repo, deferred()]));
  const retally = (report: FileReport, was: FileOutcome, bytesBefore: number) => {
    counts[was]--;
    counts[report.outcome]++;
    bytesSent += report.bytesSent - bytesBefore;
  };
  // A lane is free once its file is sent: the next file streams while the
  // server stores and hashes the last, so a worker never waits on our turnaround.
  await runPool(work.drain(), { limit: jobs, maxInFlight: 2 * jobs, stop: stopped }, async (w, release) => {
    try {
      const first = waitFor(w);
      if (first) await firstDone.get(first)!.promise;
      // The run stopped while this file waited for the first upload of its repo.
      if (stopped()) return notSent([w], 'upload', signal, fatal, settle);
      const report = reportOf(w, 'upload');
      emit({ type: 'start', file: report });
      const stopper = await uploadOne(client, w as Sending, { signal, logger, emit, release, retry });
      emit({ type: 'done', file: report });
      counts[report.outcome]++;
      bytesSent += report.bytesSent;
      if (stopper) fatal ??= stopper;
      const targetName = report.target;
      if (report.outcome === 'uploaded' || report.outcome === 'replaced') {
        const ledger = sent.get(targetName) ?? new SentFiles(w.target, keep);
        sent.set(targetName, ledger);
        ledger.add(report, w.local.path);
      }
      const remaining = (left.get(targetName) ?? 1) - 1;
      left.set(targetName, remaining);
      const ledger = sent.get(targetName);
      if (remaining === 0 && ledger !== undefined && !stopped()) {
        sent.delete(targetName);
        verifications.push(
          verifyTarget(client, ledger, { ...options, jobs, signal, logger, emit, retry, retally }).catch((err) => {
            if (err instanceof ChacraError && !(err instanceof InterruptedError)) fatal ??= err;
          }),
        );
      }
    } finally {
      if (w.pioneer) firstDone.get(formatRepo(w.target))?.resolve();
    }
  });
  await Promise.all(verifications);

  unsent();
  return finish();
}

/**
 * Files the run never sent, because it was interrupted or stopped, are counted
 * and listed all the same, each with the reason, and told as settled.
 */
function notSent(
  items: Iterable<Work | undefined>,
  action: PlannedAction,
  signal: AbortSignal | undefined,
  fatal: ChacraError | undefined,
  settle: (report: FileReport) => void,
): void {
  for (const w of items) {
    if (w === undefined) continue;
    const r = reportOf(w, action);
    // Settled already: unchanged, skipped, or failed with its reason.
    if (r.outcome !== 'failed' || r.message !== null) continue;
    if (signal?.aborted) {
      r.outcome = 'interrupted';
      r.message = 'not sent: interrupted';
    } else {
      r.message = `not sent: ${fatal ? fatal.message : 'the run stopped before it'}`;
    }
    settle(r);
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

// Uploading many files: plan from one listing per target, upload concurrently
// while hashing, then verify every file with one more listing per target.
// N new files in one target cost N + 2 requests, and each is read once.
import type { ChacraClient } from '../client/client.js';
import type { RetryPolicy } from '../client/retry.js';
import { ChacraError, InterruptedError } from '../errors.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { runPool, runSignal } from './pool.js';
import { uploadOne } from './upload-file.js';
import { firstUploadsAlone, planUploads, type FileOutcome, type FileReport, type Plan, type UploadBatch, type Work } from './upload-plan.js';
import { verifyTarget } from './upload-verify.js';

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
  const counts: Record<FileOutcome, number> = { uploaded: 0, replaced: 0, unchanged: 0, skipped: 0, failed: 0, missing: 0, interrupted: 0, planned: 0 };
  let fatal: ChacraError | undefined;
  const stopped = () => fatal !== undefined || signal?.aborted === true;
  /** Reports counted as they settled: a file settled while still pending is not counted twice. */
  const settled = new WeakSet<FileReport>();
  const plan: Plan = {
    settle: (report) => {
      settled.add(report);
      counts[report.outcome]++;
      emit({ type: 'settled', file: report });
    },
    onReport: keep ? (report) => reports.push(report) : undefined,
    pending: [],
    work: [],
    targets: new Map(),
    given: 0,
  };
  const { work } = plan;

  const finish = (): UploadSummary => {
    // Settled files were counted as they settled; the others are still held.
    const all = { ...counts };
    for (const w of plan.pending) if (!settled.has(w.report)) all[w.report.outcome]++;
    for (const w of work) all[w.report.outcome]++;
    let bytesSent = 0;
    for (const w of work) bytesSent += w.report.bytesSent;
    return {
      dryRun: options.dryRun === true,
      interrupted: signal?.aborted === true,
      fatal,
      files: reports,
      counts: all,
      given: plan.given,
      plannedBytes: work.reduce((n, w) => n + w.local.size, 0),
      bytesSent,
      requests: client.requestCount - requestsBefore,
      elapsedMs: Math.round(performance.now() - started),
    };
  };
  const unsent = () => {
    notSent(plan.pending, signal, fatal, emit);
    notSent(work, signal, fatal, emit);
  };

  // 1. Plan: what is on disk, what the server holds, what to send.
  const targetsOfWork = plan.targets;
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
    for (const w of work) {
      w.report.outcome = 'planned';
      emit({ type: 'settled', file: w.report });
    }
  }
  emit({ type: 'planned', files: work.length, bytes: work.reduce((n, w) => n + w.local.size, 0) });
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

  unsent();
  return finish();
}

/**
 * Files the run never sent, because it was interrupted or stopped, are counted
 * and listed all the same, each with the reason, and told as settled.
 */
function notSent(items: readonly Work[], signal: AbortSignal | undefined, fatal: ChacraError | undefined, emit: (e: UploadEvent) => void): void {
  for (const { report: r } of items) {
    if (r.outcome !== 'failed' || r.message !== null) continue;
    if (signal?.aborted) {
      r.outcome = 'interrupted';
      r.message = 'not sent: interrupted';
    } else {
      r.message = `not sent: ${fatal ? fatal.message : 'the run stopped before it'}`;
    }
    emit({ type: 'settled', file: r });
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

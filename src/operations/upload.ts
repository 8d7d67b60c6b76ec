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

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

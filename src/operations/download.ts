// Downloading: stream to a temporary file beside the destination, check the
// sha512 the server lists, and only then rename into place. A failed or
// interrupted download never leaves a file under the final name, and a local
// file with other contents is replaced only when the caller says so.
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Writable } from 'node:stream';
import type { ChacraClient, ListedBinary } from '../client/client.js';
import { formatTarget, type BinaryTarget } from '../client/paths.js';
import { formatDelay, withRetry, type RetryPolicy } from '../client/retry.js';
import { ChacraError, FileError, HttpError, InterruptedError, UsageError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { readListing, type TargetListing, Wanted } from './download-list.js';
import { downloadOne, retryableDownload } from './download-one.js';
import { isFatal } from './fatal.js';
import { localFileError } from './files.js';
import { runPool, runSignal } from './pool.js';

export type DownloadOutcome = 'downloaded' | 'unchanged' | 'failed' | 'interrupted';

export interface DownloadReport {
  name: string;
  /** The local file; for a download to a stream, the name of the binary. */
  path: string;
  target: string;
  outcome: DownloadOutcome;
  size: number | null;
  sha512: string | null;
  bytes: number;
  durationMs: number;
  message: string | null;
  /** A local file with other contents is in the way, which a download with `force` would replace. */
  replaceable: boolean;
}

export interface DownloadSummary {
  files: DownloadReport[];
  counts: Record<DownloadOutcome, number>;
  bytes: number;
  elapsedMs: number;
  interrupted: boolean;
  fatal: ChacraError | undefined;
}

export interface DownloadRequest {
  target: BinaryTarget;
  /** One binary; all of the target's when absent. */
  name?: string | undefined;
  /** Directory to write into. */
  dir: string;
  /** For a single binary: the file name to write, instead of the binary's. */
  fileName?: string | undefined;
  /** Replace a local file that holds other contents; without it, such a file is reported and kept. */
  force?: boolean | undefined;
  /**
   * Write the binary to this stream instead of a file, once its sha512 is
   * checked: one binary only (a target that holds several is a UsageError).
   */
  to?: Writable | undefined;
}

export type DownloadEvent =
  | { type: 'planned'; files: number; bytes: number }
  | { type: 'start'; file: DownloadReport }
  | { type: 'bytes'; file: DownloadReport; bytes: number }
  | { type: 'done'; file: DownloadReport };

export interface DownloadOptions {
  jobs?: number;
  signal?: AbortSignal | undefined;
  logger?: Logger;
  onEvent?: (e: DownloadEvent) => void;
  /** Tries of each download and their backoff; the client's policy when absent. */
  retry?: RetryPolicy;
  /**
   * Keep every file's report in the summary (the default). Without, the
   * summary keeps counts, and each report is told once by its `done` event.
   */
  keepFiles?: boolean;
}

export async function downloadBinaries(client: ChacraClient, req: DownloadRequest, options: DownloadOptions = {}): Promise<DownloadSummary> {
  const started = performance.now();
  const logger = options.logger ?? silentLogger;
  const emit = options.onEvent ?? (() => {});
  const signal = runSignal(options.signal);
  const keep = options.keepFiles !== false;
  const reports: DownloadReport[] = [];
  const counts: Record<DownloadOutcome, number> = { downloaded: 0, unchanged: 0, failed: 0, interrupted: 0 };
  let bytes = 0;
  /** A file's report is told and counted once it is over; the summary keeps it only when asked. */
  const over = (report: DownloadReport) => {
    counts[report.outcome]++;
    bytes += report.bytes;
    if (keep) reports.push(report);
    emit({ type: 'done', file: report });
  };
  let fatal: ChacraError | undefined;
  const targetName = formatTarget(req.target);
  const newReport = (name: string, meta?: ListedBinary): DownloadReport => ({
    name,
    path: req.to ? name : join(req.dir, req.fileName ?? safeName(name)),
    target: targetName,
    outcome: 'failed',
    size: meta?.size ?? null,
    sha512: meta?.checksum ?? null,
    bytes: 0,
    durationMs: 0,
    message: null,
    replaceable: false,
  });
  const finish = (): DownloadSummary => {
    return {
      files: reports,
      counts,
      bytes,
      elapsedMs: Math.round(performance.now() - started),
      interrupted: signal.aborted,
      fatal,
    };
  };
  /** Files the run did not get to are counted and listed all the same, with the reason. */
  const unsent = (wanted: readonly { name: string; meta?: ListedBinary }[]) => {
    for (const { name, meta } of wanted) {
      const report = newReport(name, meta);
      if (signal.aborted) {
        report.outcome = 'interrupted';
        report.message = 'not started: interrupted';
      } else report.message = `not attempted: ${fatal ? fatal.message : 'the run stopped before it'}`;
      over(report);
    }
  };

  let listing: TargetListing;
  try {
    // The target's own flavor only (the client never reads the mixed arch level, #40), its names and checksums alone.
    listing = await readListing(client, req.target, signal);
  } catch (err) {
    if (!(err instanceof ChacraError)) throw err;
    if (!(err instanceof InterruptedError) && !signal.aborted) fatal = err;
    // A binary named is a file the run could not get: it is counted.
    if (req.name !== undefined) unsent([{ name: req.name }]);
    return finish();
  }
  let wanted: Wanted;
  if (req.name !== undefined) {
    const slot = listing.digests.slotOf(req.name);
    if (slot === undefined) {
      const report = newReport(req.name);
      report.message = `${targetName}/${req.name} is not on the server`;
      over(report);
      return finish();
    }
    wanted = new Wanted(listing, [slot]);
  } else {
    // Largest first: the big file starts at once and the small ones flow past it on the other lanes.
    wanted = new Wanted(
      listing,
      [...listing.names.keys()].sort((a, b) => listing.sizes[b]! - listing.sizes[a]! || a - b),
    );
    if (wanted.length === 0) {
      fatal = new HttpError({ method: 'GET', url: `${client.baseUrl}binaries/${targetName}/`, status: 404 }, `${targetName} holds no binaries`);
      return finish();
    }
    if (req.to && wanted.length > 1) {
      fatal = new UsageError(`${targetName} holds ${wanted.length} binaries, and one alone can be written to a stream`, {
        hint: `name one of them: ${targetName}/NAME`,
      });
      return finish();
    }
  }
  const wantedNames = () => [...wanted.drain()].map((meta) => ({ name: meta.name, meta }));
  if (!req.to) {
    try {
      await mkdir(req.dir, { recursive: true });
    } catch (err) {
      // A file where the directory should be, a read-only or full disk: no download can succeed.
      fatal =
        (err as NodeJS.ErrnoException).code === 'EEXIST'
          ? new FileError(`cannot create the directory ${req.dir}: a file of that name is in the way`, { cause: err })
          : localFileError(err, req.dir, 'create the directory');
      unsent(wantedNames());
      return finish();
    }
  }
  emit({ type: 'planned', files: wanted.length, bytes: wanted.bytes });
  await runPool(wanted.drain(), { limit: Math.max(1, options.jobs ?? 4), stop: () => signal.aborted || fatal !== undefined }, async (meta) => {
    const report = newReport(meta.name, meta);
    const t0 = performance.now();
    emit({ type: 'start', file: report });
    try {
      // The one retry loop of a download: the request is sent with none of its own (retries never nest, #20).
      await withRetry(() => downloadOne(client, req, meta, report, signal, (n) => emit({ type: 'bytes', file: report, bytes: n })), {
        policy: options.retry ?? client.retryPolicy,
        signal,
        // The only retry loop of a download (the client sends its GET once): a connection cut
        // mid-body, bytes altered on the way, or a status worth another try: fetch it again.
        retryError: retryableDownload,
        onRetry: ({ delayMs, reason }) => logger.info(`download of ${meta.name} failed (${reason}); retrying in ${formatDelay(delayMs)}`),
      });
    } catch (err) {
      if (signal.aborted || err instanceof InterruptedError) {
        report.outcome = 'interrupted';
        report.message = 'interrupted; nothing was left under the final name';
      } else {
        report.outcome = 'failed';
        report.message = err instanceof Error ? err.message : String(err);
        // However far the file got: a network failure that outlasted its retries stops the run, as before the headers.
        if (isFatal(err)) fatal ??= err;
        // The caller hears of it from the report (the CLI names every failed file once).
        else logger.debug(report.message);
      }
    } finally {
      report.durationMs = Math.round(performance.now() - t0);
      over(report);
    }
  });
  unsent(wantedNames());
  return finish();
}

/** A name from the server is used as a file name here: it must not climb out of the directory. */
function safeName(name: string): string {
  const base = basename(name);
  return base === '' || base === '.' || base === '..' ? '_' : base;
}

/** Every binary asked for is here and checked: no failure, no interruption, no fatal error. */
export function downloadSucceeded(summary: DownloadSummary): boolean {
  return !summary.interrupted && summary.fatal === undefined && summary.files.every((f) => f.outcome === 'downloaded' || f.outcome === 'unchanged');
}

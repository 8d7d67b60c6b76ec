// Downloading: stream to a temporary file beside the destination, check the
// sha512 the server lists, and only then rename into place. A failed or
// interrupted download never leaves a file under the final name.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ChacraClient } from '../client/client.js';
import { formatTarget, type BinaryTarget } from '../client/paths.js';
import { ChacraError, HttpError, InterruptedError, NetworkError, VerificationError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { BinaryMetadata } from '../types.js';
import { sha512OfFile } from './files.js';
import { runPool, runSignal } from './pool.js';
import { formatDelay, withRetry, type RetryPolicy } from '../client/retry.js';

export type DownloadOutcome = 'downloaded' | 'unchanged' | 'failed' | 'interrupted';

export interface DownloadReport {
  name: string;
  /** The local file. */
  path: string;
  target: string;
  outcome: DownloadOutcome;
  size: number | null;
  sha512: string | null;
  bytes: number;
  durationMs: number;
  message: string | null;
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
}

export async function downloadBinaries(client: ChacraClient, req: DownloadRequest, options: DownloadOptions = {}): Promise<DownloadSummary> {
  const started = performance.now();
  const logger = options.logger ?? silentLogger;
  const emit = options.onEvent ?? (() => {});
  const signal = runSignal(options.signal);
  const reports: DownloadReport[] = [];
  let fatal: ChacraError | undefined;
  const finish = (): DownloadSummary => {
    const counts = { downloaded: 0, unchanged: 0, failed: 0, interrupted: 0 };
    for (const r of reports) counts[r.outcome]++;
    return {
      files: reports,
      counts,
      bytes: reports.reduce((n, r) => n + r.bytes, 0),
      elapsedMs: Math.round(performance.now() - started),
      interrupted: signal.aborted,
      fatal,
    };
  };
  const targetName = formatTarget(req.target);
  let listing: Record<string, BinaryMetadata>;
  try {
    // The target's own flavor only (listTarget never reads the mixed arch level, #40).
    listing = (await client.listTarget(req.target, signal)) ?? {};
  } catch (err) {
    if (err instanceof InterruptedError || signal.aborted) return finish();
    throw err;
  }
  let wanted: BinaryMetadata[];
  if (req.name !== undefined) {
    const meta = listing[req.name];
    if (!meta) {
      const report: DownloadReport = {
        name: req.name,
        path: join(req.dir, req.fileName ?? req.name),
        target: targetName,
        outcome: 'failed',
        size: null,
        sha512: null,
        bytes: 0,
        durationMs: 0,
        message: `${targetName}/${req.name} is not on the server`,
      };
      reports.push(report);
      emit({ type: 'done', file: report });
      return finish();
    }
    wanted = [meta];
  } else {
    wanted = Object.values(listing).sort((a, b) => b.size - a.size);
    if (wanted.length === 0) {
      fatal = new HttpError({ method: 'GET', url: `${client.baseUrl}binaries/${targetName}/`, status: 404 }, `${targetName} holds no binaries`);
      return finish();
    }
  }
  await mkdir(req.dir, { recursive: true });
  emit({ type: 'planned', files: wanted.length, bytes: wanted.reduce((n, m) => n + m.size, 0) });
  await runPool(wanted, { limit: Math.max(1, options.jobs ?? 4), stop: () => signal.aborted || fatal !== undefined }, async (meta) => {
    const report: DownloadReport = {
      name: meta.name,
      path: join(req.dir, req.fileName ?? safeName(meta.name)),
      target: targetName,
      outcome: 'failed',
      size: meta.size,
      sha512: meta.checksum,
      bytes: 0,
      durationMs: 0,
      message: null,
    };
    reports.push(report);
    const t0 = performance.now();
    emit({ type: 'start', file: report });
    try {
      await withRetry(() => downloadOne(client, req.target, meta, report, signal, (n) => emit({ type: 'bytes', file: report, bytes: n })), {
        policy: options.retry ?? client.retryPolicy,
        signal,
        // A connection cut mid-body, or bytes altered on the way: fetch it again.
        retryError: (err) => (err instanceof NetworkError || err instanceof VerificationError ? { reason: err.message } : undefined),
        onRetry: ({ delayMs, reason }) => logger.info(`download of ${meta.name} failed (${reason}); retrying in ${formatDelay(delayMs)}`),
      });
    } catch (err) {
      if (signal.aborted || err instanceof InterruptedError) {
        report.outcome = 'interrupted';
        report.message = 'interrupted; nothing was left under the final name';
      } else {
        report.message = err instanceof Error ? err.message : String(err);
        if ((err instanceof HttpError && (err.status === 401 || err.status === 403)) || (err instanceof NetworkError && !report.bytes))
          fatal ??= err as ChacraError;
        else logger.error(report.message);
      }
    } finally {
      report.durationMs = Math.round(performance.now() - t0);
      emit({ type: 'done', file: report });
    }
  });
  return finish();
}

/** A name from the server is used as a file name here: it must not climb out of the directory. */
function safeName(name: string): string {
  const base = basename(name);
  return base === '' || base === '.' || base === '..' ? '_' : base;
}

async function downloadOne(
  client: ChacraClient,
  target: BinaryTarget,
  meta: BinaryMetadata,
  report: DownloadReport,
  signal: AbortSignal,
  onBytes: (n: number) => void,
): Promise<void> {
  const existing = await stat(report.path).catch(() => undefined);
  // The listed size is stale after a replacement (#94-#100): only the sha512 decides.
  if (existing?.isFile() && (await sha512OfFile(report.path, signal)).sha512 === meta.checksum) {
    report.outcome = 'unchanged';
    return;
  }
  report.bytes = 0;
  const tmp = join(dirname(report.path), `.${basename(report.path)}.${randomBytes(6).toString('hex')}.part`);
  const hash = createHash('sha512');
  try {
    const download = await client.downloadBinary({ ...target, name: meta.name }, signal);
    // Content-Length is the true size; the listing's may be that of an earlier copy.
    if (download.size !== undefined) report.size = download.size;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        report.bytes += chunk.length;
        onBytes(chunk.length);
        done(null, chunk);
      },
    });
    await pipeline(download.body, meter, createWriteStream(tmp, { mode: 0o644 }), { signal }).catch((err: unknown) => {
      if (signal.aborted || err instanceof ChacraError) throw err;
      throw new NetworkError({
        method: 'GET',
        url: `${client.baseUrl}binaries/${formatTarget(target)}/${encodeURIComponent(meta.name)}/`,
        code: (err as NodeJS.ErrnoException).code,
        reason: `the download was cut off: ${(err as Error).message}`,
        cause: err,
      });
    });
    const sha512 = hash.digest('hex');
    if (sha512 !== meta.checksum)
      throw new VerificationError(
        `${meta.name}: the download's sha512 is ${sha512.slice(0, 16)}… (${report.bytes} bytes), the server lists ${meta.checksum.slice(0, 16)}…; not saved`,
        {
          hint: 'try again; if it persists, the copy on the server may be damaged',
        },
      );
    await rename(tmp, report.path);
    report.outcome = 'downloaded';
  } catch (err) {
    await rm(tmp, { force: true });
    if (signal.aborted) throw new InterruptedError();
    throw err;
  }
}

// Downloading: stream to a temporary file beside the destination, check the
// sha512 the server lists, and only then rename into place. A failed or
// interrupted download never leaves a file under the final name, and a local
// file with other contents is replaced only when the caller says so.
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ChacraClient, ListedBinary } from '../client/client.js';
import { encodePath, formatTarget, targetSegments, type BinaryTarget } from '../client/paths.js';
import { formatDelay, withRetry, type RetryPolicy } from '../client/retry.js';
import { retriesFailure, retriesStatus } from '../client/retry-rules.js';
import { ChacraError, FileError, HttpError, InterruptedError, NetworkError, UnexpectedAnswerError, UsageError, VerificationError } from '../errors.js';
import { sha512Hash } from '../file-sha512.js';
import { silentLogger, type Logger } from '../logger.js';
import { isLocalFileError, localFileError } from './files.js';
import { checkDestination, copyTo, holdPart, partName, putInPlace } from './download-local.js';
import { isFatal } from './fatal.js';
import { DigestsByName } from './digests.js';
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

/**
 * A target's listing as a download needs it: each binary's name, size and
 * sha512, about a hundred bytes each where a ListedBinary was 250 (#23).
 */
interface TargetListing {
  digests: DigestsByName;
  /** By slot of `digests`. */
  names: string[];
  sizes: number[];
}

/** An empty listing when the target does not exist. */
async function readListing(client: ChacraClient, target: BinaryTarget, signal: AbortSignal): Promise<TargetListing> {
  const listing: TargetListing = { digests: new DigestsByName(), names: [], sizes: [] };
  await client.scanChecksums(
    target,
    (entry) => {
      const slot = listing.digests.set(entry.name, entry.checksum);
      listing.names[slot] = entry.name;
      listing.sizes[slot] = entry.size;
    },
    signal,
  );
  return listing;
}

/** The binaries to fetch, in order, each made whole only when its turn comes. */
class Wanted {
  private next = 0;

  constructor(
    private readonly listing: TargetListing,
    private readonly order: readonly number[],
  ) {}

  get length(): number {
    return this.order.length;
  }

  get bytes(): number {
    return this.order.reduce((n, slot) => n + this.listing.sizes[slot]!, 0);
  }

  /** The binaries not yet handed out, each handed out once. */
  *drain(): Generator<ListedBinary> {
    while (this.next < this.order.length) {
      const slot = this.order[this.next++]!;
      yield { name: this.listing.names[slot]!, checksum: this.listing.digests.at(slot), size: this.listing.sizes[slot]! };
    }
  }
}

/**
 * What makes a download worth another try: a network failure before the
 * headers or in the body (a cut, a stall), a status a busy server answers,
 * bytes altered on the way. A local error (permissions, a full disk, a file
 * in the way), a TLS refusal or a verdict is not retried.
 */
function retryableDownload(err: unknown): { reason: string } | undefined {
  if (err instanceof VerificationError) return { reason: err.message };
  if (err instanceof NetworkError) return retriesFailure('idempotent', err) ? { reason: err.message } : undefined;
  if (err instanceof HttpError && !(err instanceof UnexpectedAnswerError) && retriesStatus('idempotent', err.status)) return { reason: err.message };
  return undefined;
}

/** A name from the server is used as a file name here: it must not climb out of the directory. */
function safeName(name: string): string {
  const base = basename(name);
  return base === '' || base === '.' || base === '..' ? '_' : base;
}

async function downloadOne(
  client: ChacraClient,
  req: DownloadRequest,
  meta: ListedBinary,
  report: DownloadReport,
  signal: AbortSignal,
  onBytes: (n: number) => void,
): Promise<void> {
  const target = req.target;
  let existing: 'absent' | 'unchanged' | 'replace' = 'absent';
  if (!req.to) {
    existing = await checkDestination(report, meta, req.force === true, signal);
    if (existing === 'unchanged') {
      report.outcome = 'unchanged';
      return;
    }
  }
  report.bytes = 0;
  // A stream gets the bytes only once they are checked: until then they wait in a private directory.
  const scratch = req.to
    ? await mkdtemp(join(tmpdir(), 'chacractl-')).catch((err: unknown) => Promise.reject(localFileError(err, tmpdir(), 'write into')))
    : undefined;
  const tmp = scratch ? join(scratch, 'download.part') : partName(report.path);
  const destination = req.to ? 'the output' : report.path;
  const hash = sha512Hash();
  const release = holdPart(scratch ?? tmp);
  try {
    // The file is made before the request: a directory that cannot be written to fails before a byte is fetched.
    const file = await open(tmp, 'wx', 0o644).catch((err: unknown) => Promise.reject(localFileError(err, scratch ? tmp : report.path, 'write')));
    const sink = file.createWriteStream();
    let writeError: unknown;
    sink.on('error', (err) => (writeError ??= err));
    try {
      const download = await client.downloadBinary({ ...target, name: meta.name }, signal, { retry: 'never' });
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
      await pipeline(download.body, meter, sink, { signal }).catch((err: unknown) => {
        if (signal.aborted || err instanceof ChacraError) throw err;
        // The disk, not the connection: named with its path and cause, and not retried.
        if (writeError !== undefined || isLocalFileError(err)) throw localFileError(writeError ?? err, scratch ? tmp : report.path, 'write');
        throw new NetworkError({
          method: 'GET',
          url: `${client.baseUrl}binaries/${encodePath([...targetSegments(target), meta.name])}`,
          code: (err as NodeJS.ErrnoException).code,
          reason: `the download was cut off: ${(err as Error).message}`,
          cause: err,
        });
      });
    } finally {
      sink.destroy();
      await file.close().catch(() => undefined);
    }
    const sha512 = hash.digest('hex');
    if (sha512 !== meta.checksum)
      throw new VerificationError(
        `${meta.name}: the download's sha512 is ${sha512.slice(0, 16)}… (${report.bytes} bytes), the server lists ${meta.checksum.slice(0, 16)}…; not saved`,
        {
          hint: 'try again; if it persists, the copy on the server may be damaged',
        },
      );
    if (req.to) await copyTo(tmp, req.to, destination);
    else await putInPlace(tmp, report, meta, existing === 'replace' || req.force === true, signal);
    if (report.outcome === 'failed') report.outcome = 'downloaded';
    if (existing === 'replace') report.message = 'replaced a local file that held other contents';
  } catch (err) {
    if (signal.aborted) throw new InterruptedError();
    throw err;
  } finally {
    await rm(scratch ?? tmp, { force: true, recursive: scratch !== undefined }).catch(() => undefined);
    release();
  }
}

/** Every binary asked for is here and checked: no failure, no interruption, no fatal error. */
export function downloadSucceeded(summary: DownloadSummary): boolean {
  return !summary.interrupted && summary.fatal === undefined && summary.files.every((f) => f.outcome === 'downloaded' || f.outcome === 'unchanged');
}

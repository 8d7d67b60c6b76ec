// One binary fetched: streamed to a temporary file beside the destination,
// hashed on the way, checked against the sha512 the server lists, and only
// then put in place (or copied to the stream asked for).
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ChacraClient, ListedBinary } from '../client/client.js';
import { encodePath, targetSegments } from '../client/paths.js';
import { retriesFailure, retriesStatus } from '../client/retry-rules.js';
import { ChacraError, HttpError, InterruptedError, NetworkError, UnexpectedAnswerError, VerificationError } from '../errors.js';
import { sha512Hash } from '../file-sha512.js';
import type { DownloadReport, DownloadRequest } from './download.js';
import { checkDestination, copyTo, holdPart, partName, putInPlace } from './download-local.js';
import { isLocalFileError, localFileError } from './files.js';

/**
 * What makes a download worth another try: a network failure before the
 * headers or in the body (a cut, a stall), a status a busy server answers,
 * bytes altered on the way. A local error (permissions, a full disk, a file
 * in the way), a TLS refusal or a verdict is not retried.
 */
export function retryableDownload(err: unknown): { reason: string } | undefined {
  if (err instanceof VerificationError) return { reason: err.message };
  if (err instanceof NetworkError) return retriesFailure('idempotent', err) ? { reason: err.message } : undefined;
  if (err instanceof HttpError && !(err instanceof UnexpectedAnswerError) && retriesStatus('idempotent', err.status)) return { reason: err.message };
  return undefined;
}

export async function downloadOne(
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

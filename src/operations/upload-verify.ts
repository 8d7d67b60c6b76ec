// Verification after upload: one listing of each target, read as it streams
// against what was sent; the files the server holds wrongly sent again (a
// bounded number of times), and a new file that stays wrong removed from the
// server and reported.
import type { ChacraClient } from '../client/client.js';
import { formatTarget } from '../client/paths.js';
import { VerificationError } from '../errors.js';
import { runPool } from './pool.js';
import type { UploadOptions } from './upload.js';
import { type RunContext, uploadOne } from './upload-file.js';
import { type FileOutcome, type FileReport, sameContent, type Sending } from './upload-types.js';
import type { SentFiles } from './upload-sent.js';

export interface VerifyContext extends RunContext, Pick<UploadOptions, 'jobs' | 'verifyResends'> {
  /** A file's outcome changed from `was` (and it may have sent more bytes since `bytesBefore`). */
  retally: (report: FileReport, was: FileOutcome, bytesBefore: number) => void;
}

export async function verifyTarget(client: ChacraClient, sent: SentFiles, options: VerifyContext): Promise<void> {
  const { target } = sent;
  const name = formatTarget(target);
  options.emit({ type: 'verify', target: name, files: sent.size });
  // One listing of the target's flavor (never the mixed arch level, #40), each entry checked as it comes.
  await client.scanChecksums(target, (entry) => sent.check(entry.name, entry.checksum), options.signal);
  let wrong = sent.notHeldRightly();
  const resends = options.verifyResends ?? 2;
  for (let round = 0; wrong.length > 0; round++) {
    if (round >= resends) {
      for (const w of wrong) await reportWrongCopy(client, w, options);
      return;
    }
    for (const w of wrong) {
      options.logger.warn(`${w.local.name}: the server holds other contents than were sent; sending it again`);
      options.emit({ type: 'resend', file: w.report });
      w.force = true;
    }
    await runPool(wrong, options.jobs ?? 4, async (w) => {
      const was = w.report.outcome;
      const bytesBefore = w.report.bytesSent;
      const { report } = w;
      report.outcome = 'failed';
      const stopper = await uploadOne(client, w, options);
      options.retally(report, was, bytesBefore);
      // Its line said "uploaded": a resend that failed is told, as one that stays wrong is.
      if (!succeeded(report)) options.emit({ type: 'rejected', file: report });
      if (stopper) throw stopper;
    });
    const resent = wrong.filter((w) => succeeded(w.report));
    if (resent.length === 0) return;
    options.emit({ type: 'verify', target: name, files: resent.length });
    const byName = new Map(resent.map((w) => [w.local.name, w]));
    const listed = new Map<string, string>();
    await client.scanChecksums(target, (entry) => byName.has(entry.name) && listed.set(entry.name, entry.checksum), options.signal);
    wrong = resent.filter((w) => {
      const checksum = listed.get(w.local.name);
      const same = sameContent(checksum === undefined ? undefined : { checksum }, w.report.sha512);
      w.report.serverSha512 = same ? w.report.sha512 : (checksum ?? null);
      return !same;
    });
  }
}

const succeeded = (report: FileReport) => report.outcome === 'uploaded' || report.outcome === 'replaced';

async function reportWrongCopy(client: ChacraClient, w: Sending, options: VerifyContext): Promise<void> {
  const { report } = w;
  const was = report.outcome;
  const error = new VerificationError(`${report.name}: the server's sha512 is ${report.serverSha512 ?? '(missing)'}, the file's is ${report.sha512}`);
  report.outcome = 'failed';
  report.message = error.message;
  options.retally(report, was, report.bytesSent);
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

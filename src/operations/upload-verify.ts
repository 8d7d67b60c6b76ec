// Verification after upload: one listing of each target, the files the server
// holds wrongly sent again (a bounded number of times), and a new file that
// stays wrong removed from the server and reported.
import type { ChacraClient } from '../client/client.js';
import { formatTarget, type BinaryTarget } from '../client/paths.js';
import { VerificationError } from '../errors.js';
import { runPool } from './pool.js';
import type { UploadOptions } from './upload.js';
import { type RunContext, uploadOne } from './upload-file.js';
import { sameContent, type Work } from './upload-plan.js';

export async function verifyTarget(client: ChacraClient, target: BinaryTarget, items: readonly Work[], options: UploadOptions & RunContext): Promise<void> {
  const name = formatTarget(target);
  let toCheck = items.filter((w) => w.report.outcome === 'uploaded' || w.report.outcome === 'replaced');
  const resends = options.verifyResends ?? 2;
  for (let round = 0; toCheck.length > 0; round++) {
    options.emit({ type: 'verify', target: name, files: toCheck.length });
    // One listing of the target's flavor (listTarget never reads the mixed arch level, #40).
    const listing = await client.listChecksums(target, options.signal);
    const wrong = toCheck.filter((w) => {
      const entry = listing?.get(w.local.name);
      const same = sameContent(entry, w.report.sha512);
      // The report's own string when they agree: the listing's copy is not held for the rest of the run (#23).
      w.report.serverSha512 = same ? w.report.sha512 : (entry?.checksum ?? null);
      return !same;
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
      // Its line said "uploaded": a resend that failed is told, as one that stays wrong is.
      if (w.report.outcome !== 'uploaded' && w.report.outcome !== 'replaced') options.emit({ type: 'rejected', file: w.report });
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

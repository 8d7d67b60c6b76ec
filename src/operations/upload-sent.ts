// What verification needs of the files sent to one target, from their upload
// to the target's one listing after the last of them: each one's name, the
// directory it is in, and its sha512; about a hundred bytes a file where a
// report and its strings were 600 (#23: an upload of 100,000 files held every
// report to its end, and its heap grew to 300 MB).
import { dirname, join } from 'node:path';
import { formatTarget, type BinaryTarget } from '../client/paths.js';
import { DigestsByName } from './digests.js';
import { inspectLocalFileSync } from './files.js';
import { type FileReport, newReport, type Sending } from './upload-types.js';

/** A slot's state, in its flags. */
const REPLACED = 1;
/** The listing holds the name with the same sha512. */
const SAME = 2;
/** The report held no sha512: never the same as the server's. */
const NO_DIGEST = 4;

export class SentFiles {
  private readonly digests = new DigestsByName();
  /** The directories the files are in, each once, and each slot's: with its name, what a resend reads. */
  private readonly dirs: string[] = [];
  private readonly dirPlaces = new Map<string, number>();
  private readonly dirOf: number[] = [];
  private readonly flags: number[] = [];
  /** The reports themselves, where the run keeps them: a verdict is written into the one the caller holds. */
  private readonly reports: FileReport[] | undefined;
  /** The checksums the listing gave for names it holds with other contents: few, or something is wrong. */
  private readonly differing = new Map<number, string>();

  constructor(
    readonly target: BinaryTarget,
    keepReports: boolean,
  ) {
    this.reports = keepReports ? [] : undefined;
  }

  get size(): number {
    return this.digests.size;
  }

  /** A file uploaded or replaced: what it leaves here is all that stays of it. */
  add(report: FileReport, path: string): void {
    const slot = this.digests.set(ownCopy(report.name), report.sha512 ?? '');
    const dir = dirname(path);
    let place = this.dirPlaces.get(dir);
    if (place === undefined) {
      place = this.dirs.push(dir) - 1;
      this.dirPlaces.set(dir, place);
    }
    this.dirOf[slot] = place;
    this.flags[slot] = (report.outcome === 'replaced' ? REPLACED : 0) | (report.sha512 === null ? NO_DIGEST : 0);
    if (this.reports) this.reports[slot] = report;
  }

  /**
   * One entry of the target's listing. Names not sent are passed over; a
   * name seen twice (a listing read again) takes its last verdict.
   */
  check(name: string, checksum: string): void {
    const slot = this.digests.slotOf(name);
    if (slot === undefined) return;
    if ((this.flags[slot]! & NO_DIGEST) === 0 && this.digests.matches(slot, checksum)) {
      this.flags[slot]! |= SAME;
      this.differing.delete(slot);
      // The report's own string: the listing's copy is not held for the rest of the run.
      const kept = this.reports?.[slot];
      if (kept) kept.serverSha512 = kept.sha512;
    } else {
      this.flags[slot]! &= ~SAME;
      this.differing.set(slot, checksum);
    }
  }

  /**
   * The files the listing did not hold rightly, each ready to send again: its
   * report (the one kept, or one made anew with what the upload found) with
   * the server's checksum, and the file as it is on disk now.
   */
  notHeldRightly(): Sending[] {
    const wrong: Sending[] = [];
    const targetName = formatTarget(this.target);
    for (const [name, slot] of this.digests.entries()) {
      const flags = this.flags[slot]!;
      if (flags & SAME) continue;
      const path = join(this.dirs[this.dirOf[slot]!]!, name);
      let report = this.reports?.[slot];
      if (report === undefined) {
        report = newReport(path, name, targetName);
        report.action = flags & REPLACED ? 'replace' : 'upload';
        report.outcome = flags & REPLACED ? 'replaced' : 'uploaded';
        report.sha512 = flags & NO_DIGEST ? null : this.digests.at(slot);
      }
      report.serverSha512 = this.differing.get(slot) ?? null;
      const now = inspectLocalFileSync(path);
      // A file gone since its upload is sent again all the same: its read fails, and says why.
      const local = 'problem' in now ? { given: path, path, name, size: report.size ?? 0, mtimeMs: 0 } : { ...now, given: path };
      report.size ??= local.size;
      wrong.push({ local, target: this.target, force: (flags & REPLACED) !== 0, report, pioneer: false });
    }
    return wrong;
  }
}

/**
 * The name as a string of its own. A name taken from its path is a slice that
 * keeps the whole path alive: held as the key of each file sent, that is a
 * path per file, which the directory and the name already say.
 */
function ownCopy(name: string): string {
  const copy = Buffer.from(name, 'utf8').toString('utf8');
  // A name that is not well-formed UTF-16 (which no path read as UTF-8 gives) is kept as it is.
  return copy === name ? copy : name;
}

// Planning an upload: what is on disk, what the server holds, what to send.
// One listing per target; only names the server has already are hashed first.
import type { ChacraClient } from '../client/client.js';
import { formatRepo, formatTarget, type BinaryTarget } from '../client/paths.js';
import { FileError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { BinaryListing, BinaryMetadata } from '../types.js';
import { inspectLocalFile, sha512OfFile, type LocalFile } from './files.js';
import { runPool } from './pool.js';

export interface UploadBatch {
  target: BinaryTarget;
  files: readonly string[];
  /**
   * Paths that came from a `find` pipe: directories among them are passed
   * over silently, as the Python client did. Named arguments are checked.
   */
  lenient?: boolean;
  /** Entries of the list that name no usable path, reported as failed. */
  unreadable?: readonly { given: string; reason: string }[];
}

export type PlannedAction = 'upload' | 'replace' | 'unchanged' | 'skip' | 'none';
export type FileOutcome = 'uploaded' | 'replaced' | 'unchanged' | 'skipped' | 'failed' | 'missing' | 'interrupted' | 'planned';

export interface FileReport {
  path: string;
  name: string;
  target: string;
  action: PlannedAction;
  outcome: FileOutcome;
  size: number | null;
  sha512: string | null;
  /** The checksum the server lists for the name, when known. */
  serverSha512: string | null;
  /** The server holds other contents under the name, which an upload with force would replace. */
  replaceable: boolean;
  bytesSent: number;
  /** POSTs sent for this file. */
  tries: number;
  durationMs: number;
  message: string | null;
}

export interface Work {
  report: FileReport;
  local: LocalFile;
  target: BinaryTarget;
  force: boolean;
}

function newReport(path: string, name: string, target: string): FileReport {
  return {
    path,
    name,
    target,
    action: 'none',
    outcome: 'failed',
    size: null,
    sha512: null,
    serverSha512: null,
    replaceable: false,
    bytesSent: 0,
    tries: 0,
    durationMs: 0,
    message: null,
  };
}

/**
 * Contents are the same when the sha512s are: chacra writes a binary's listed
 * `size` at its first upload and never again (#94-#100), so after any
 * replacement the listed size is stale and says nothing about the contents.
 */
export function sameContent(entry: BinaryMetadata | undefined, sha512: string | null): boolean {
  return entry !== undefined && sha512 !== null && entry.checksum === sha512;
}

export interface Plan {
  reports: FileReport[];
  /** Files to send, largest first within each target. */
  work: Work[];
  targets: Map<string, { target: BinaryTarget; items: Work[] /** The server held no binary there when planned. */; fresh: boolean }>;
}

/**
 * Fills `plan` as it goes, so that what was decided before an error or an
 * interruption is still reported.
 */
export async function planUploads(
  client: ChacraClient,
  batches: readonly UploadBatch[],
  plan: Plan,
  options: { force: boolean; jobs: number; signal: AbortSignal; logger: Logger; cwd?: string | undefined; stopped: () => boolean },
): Promise<void> {
  const { reports, work } = plan;
  const { logger, signal, jobs, stopped } = options;
  for (const batch of batches) {
    const targetName = formatTarget(batch.target);
    const locals: LocalFile[] = [];
    /** Each name's file: the path it was given as, and where it is. */
    const seen = new Map<string, { given: string; path: string; dev?: number | undefined; ino?: number | undefined }>();
    /** Paths already reported as unusable: named twice, they are one. */
    const problems = new Set<string>();
    for (const bad of batch.unreadable ?? []) {
      const report = newReport(bad.given, bad.given, targetName);
      report.message = `${JSON.stringify(bad.given)} ${bad.reason}`;
      reports.push(report);
    }
    // The listing is asked for while the files are looked at: both take a while.
    const listingRequest = batch.files.length ? client.listTarget(batch.target, signal) : Promise.resolve(undefined);
    listingRequest.catch(() => undefined); // awaited below; this keeps an early failure from counting as unhandled
    const inspected = await Promise.all(batch.files.map((f) => inspectLocalFile(f, options.cwd)));
    for (const item of inspected) {
      if ('problem' in item) {
        if (item.problem === 'not-a-file' && batch.lenient) {
          logger.debug(`passing over ${item.given}: it ${item.reason}`);
          continue;
        }
        if (problems.has(item.path)) continue;
        problems.add(item.path);
        const report = newReport(item.path, item.name, targetName);
        report.outcome = item.problem === 'missing' ? 'missing' : 'failed';
        report.message = `${item.given} ${item.reason}`;
        reports.push(report);
        continue;
      }
      // chacra stores the multipart filename as it is: a control character would garble it.
      if (/[\u0000-\u001f\u007f]/.test(item.name)) {
        const report = newReport(item.path, item.name, targetName);
        report.message = `${JSON.stringify(item.name)} holds a control character (such as a newline): chacra cannot store such a name`;
        reports.push(report);
        continue;
      }
      const earlier = seen.get(item.name);
      if (earlier !== undefined) {
        // One file named twice (overlapping globs, ./a and a, a symlinked directory) is one file.
        if (earlier.path === item.path || (item.ino !== undefined && earlier.dev === item.dev && earlier.ino === item.ino)) {
          logger.debug(`${item.given} is ${earlier.given}, named twice: sent once`);
          continue;
        }
        const report = newReport(item.path, item.name, targetName);
        report.message = `${item.given} has the same name as ${earlier.given}, another file: chacra keeps one binary per name`;
        reports.push(report);
        continue;
      }
      seen.set(item.name, { given: item.given, path: item.path, dev: item.dev, ino: item.ino });
      locals.push(item);
    }
    if (locals.length === 0) continue;
    // Reported before the listing is awaited: a run the server stops still counts and lists every file.
    const planned = locals.map((local) => {
      const report = newReport(local.path, local.name, targetName);
      report.size = local.size;
      reports.push(report);
      return { report, local, target: batch.target, force: false };
    });
    const listed = await listingRequest;
    const listing: BinaryListing = listed ?? {};
    // Only names the server has already are hashed before sending.
    await runPool(planned, { limit: jobs, stop: stopped }, async (w) => {
      const entry = listing[w.local.name];
      if (entry === undefined) {
        w.report.action = 'upload';
        return;
      }
      w.report.serverSha512 = entry.checksum;
      try {
        w.report.sha512 = (await sha512OfFile(w.local.path, signal)).sha512;
      } catch (err) {
        // A file that cannot be read fails alone; the others go on.
        if (!(err instanceof FileError)) throw err;
        w.report.message = err.message;
        return;
      }
      if (sameContent(entry, w.report.sha512)) {
        w.report.action = 'unchanged';
        w.report.outcome = 'unchanged';
      } else if (options.force) {
        w.report.action = 'replace';
        w.force = true;
      } else {
        w.report.action = 'skip';
        w.report.outcome = 'skipped';
        w.report.replaceable = true;
        w.report.message = `${w.local.name} differs from the copy on the server; not replaced`;
      }
    });
    const toSend = planned.filter((w) => w.report.action === 'upload' || w.report.action === 'replace');
    // Largest first: the big file starts at once and the small ones flow past it on the other lanes.
    toSend.sort((a, b) => b.local.size - a.local.size);
    work.push(...toSend);
    if (toSend.length) plan.targets.set(targetName, { target: batch.target, items: toSend, fresh: listed === undefined });
  }
}

/**
 * chacra creates a binary's repo record, and its project, on the first upload
 * without a lock: concurrent first uploads into one repo leave duplicate repo
 * records that split its binaries, and concurrent first uploads into a new
 * project fail with a 500 for all but one. Both seen on a real chacra. So where
 * a target held nothing when planned, one upload, the smallest, goes first:
 * alone in its project, then one per repo, then the rest. Returns, for each
 * waiting file, the file it waits for.
 */
export function firstUploadsAlone(plan: Plan): Map<Work, Work> {
  const waits = new Map<Work, Work>();
  const byRepo = new Map<string, Work>();
  const byProject = new Map<string, Work>();
  for (const { target, items, fresh } of plan.targets.values()) {
    if (!fresh) continue;
    const repo = formatRepo(target);
    let pioneer = byRepo.get(repo);
    if (pioneer === undefined) {
      // Items are largest first: the last is the quickest to send.
      pioneer = items[items.length - 1]!;
      byRepo.set(repo, pioneer);
      const first = byProject.get(target.project);
      if (first === undefined) byProject.set(target.project, pioneer);
      else waits.set(pioneer, first);
    }
    for (const w of items) if (w !== pioneer) waits.set(w, pioneer);
  }
  // The pioneers are sent first, so that nothing waits holding a lane for long.
  const first = new Set(byRepo.values());
  const rest = plan.work.filter((w) => !first.has(w));
  plan.work.splice(0, plan.work.length, ...first, ...rest);
  return waits;
}

// Planning an upload: what is on disk, what the server holds, what to send.
// One listing per target; only names the server has already are hashed first.
// The paths may come as a stream (standard input): they are looked at in
// slices as they come, and a file settled without sending (missing,
// unchanged, skipped) is told once and not kept (#23).
import type { ChacraClient } from '../client/client.js';
import { DigestsByName } from './digests.js';
import type { SendQueue } from './upload-queue.js';
import { formatRepo, formatTarget, type BinaryTarget } from '../client/paths.js';
import { FileError, InterruptedError } from '../errors.js';
import { SMALL_FILE } from '../file-sha512.js';
import type { Logger } from '../logger.js';
import type { BinaryMetadata } from '../types.js';
import { inspectLocalFileSync, sha512OfLocal, type LocalFile } from './files.js';
import { runPool } from './pool.js';

/** An entry of the list that names no usable path (such as a name that is not UTF-8). */
export interface UnusableEntry {
  given: string;
  reason: string;
}

export interface UploadBatch {
  target: BinaryTarget;
  /** Paths, or a stream of them read only as the plan gets to them. */
  files: Iterable<string | UnusableEntry> | AsyncIterable<string | UnusableEntry>;
  /**
   * Paths that came from a `find` pipe: directories among them are passed
   * over silently, as the Python client did. Named arguments are checked.
   */
  lenient?: boolean;
  /** Entries of the list that name no usable path, reported as failed. */
  unreadable?: readonly UnusableEntry[];
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

/**
 * A file the plan holds until it is sent or settled: what the upload needs,
 * and no more (#23: 100,000 files held a report each from the plan to the
 * end of the run). Its report is made when it is first needed (the upload's
 * start, a settlement), or at once when the run keeps every report.
 */
export interface Work {
  local: LocalFile;
  target: BinaryTarget;
  force: boolean;
  report: FileReport | undefined;
  /** The first upload of its repo, which the others there wait for. */
  pioneer: boolean;
}

/** A file whose upload has begun: it has its report. */
export interface Sending extends Work {
  report: FileReport;
}

/** The file's report, made now if it has none: `action` is what the plan decided of it so far. */
export function reportOf(w: Work, action: PlannedAction): FileReport {
  if (w.report === undefined) {
    w.report = newReport(w.local.path, w.local.name, formatTarget(w.target));
    w.report.size = w.local.size;
    w.report.action = action;
  }
  return w.report;
}

export function newReport(path: string, name: string, target: string): FileReport {
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
export function sameContent(entry: Pick<BinaryMetadata, 'checksum'> | undefined, sha512: string | null): boolean {
  return entry !== undefined && sha512 !== null && entry.checksum === sha512;
}

export interface Plan {
  /** Told once of each file settled without sending (missing, unchanged, skipped, failed to read). */
  settle: (report: FileReport) => void;
  /** Told of each file's report as it is made, settled or not (to keep them in order, when asked). */
  onReport?: ((report: FileReport) => void) | undefined;
  /** Files looked at and waiting for their target's listing, until decided: not sent if the run stops meanwhile. */
  pending: (Work | undefined)[];
  /** Files to send, largest first within each target; a file leaves it when its upload begins. */
  work: SendQueue;
  targets: Map<string, PlannedTarget>;
  /** Entries read from the list(s), usable or not. */
  given: number;
}

/** A target with files to send. */
export interface PlannedTarget {
  target: BinaryTarget;
  /** Files to send there. */
  files: number;
  /** The smallest of them, by its place in the plan's work: the first sent where the target is fresh. */
  smallest: number;
  /** The server held no binary there when planned. */
  fresh: boolean;
}

/** Paths looked at between two turns of the event loop. */
const SLICE = 256;
/** Or fewer, when looking at them takes this long (a slow disk). */
const SLICE_MS = 10;

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The list in slices of at most SLICE entries, read only as they are asked for. */
async function* slices<T>(items: Iterable<T> | AsyncIterable<T>): AsyncGenerator<T[]> {
  let slice: T[] = [];
  for await (const item of items as AsyncIterable<T>) {
    slice.push(item);
    if (slice.length >= SLICE) {
      yield slice;
      slice = [];
    }
  }
  if (slice.length) yield slice;
}

/**
 * Fills `plan` as it goes, so that what was decided before an error or an
 * interruption is still reported. Looking at the files and hashing the small
 * ones is synchronous, in slices between turns of the event loop; large files
 * are hashed `jobs` at a time.
 */
export async function planUploads(
  client: ChacraClient,
  batches: readonly UploadBatch[],
  plan: Plan,
  options: { force: boolean; jobs: number; signal: AbortSignal; logger: Logger; cwd?: string | undefined; stopped: () => boolean },
): Promise<void> {
  const { logger, signal, jobs, stopped } = options;
  const made = (report: FileReport) => {
    plan.onReport?.(report);
    return report;
  };
  for (const batch of batches) {
    const targetName = formatTarget(batch.target);
    /** Each name's file: the path it was given as, and where it is. */
    const seen = new Map<string, LocalFile>();
    /** Paths already reported as unusable: named twice, they are one. */
    const problems = new Set<string>();
    const unusable = (bad: UnusableEntry) => {
      const report = made(newReport(bad.given, bad.given, targetName));
      report.message = `${JSON.stringify(bad.given)} ${bad.reason}`;
      plan.settle(report);
    };
    for (const bad of batch.unreadable ?? []) unusable(bad);
    // The listing is asked for while the files are looked at: both take a while.
    let listingRequest: Promise<DigestsByName | undefined> | undefined;
    /** The listing once it has come: from then on each slice is decided as soon as it is looked at. */
    let listed: { value: DigestsByName | undefined } | undefined;
    const pending = plan.pending;
    const workStart = plan.work.length;
    const decidePending = async () => {
      await decide(pending, listed?.value, plan, { ...options, jobs });
      pending.length = 0;
    };
    for await (const slice of slices(batch.files)) {
      if (signal.aborted) throw new InterruptedError();
      if (stopped()) break;
      if (listingRequest === undefined) {
        listingRequest = listedChecksums(client, batch.target, signal);
        listingRequest.then(
          (value) => (listed = { value }),
          () => undefined, // awaited below; this keeps an early failure from counting as unhandled
        );
      }
      const sliceStarted = performance.now();
      for (const entry of slice) {
        plan.given++;
        if (typeof entry !== 'string') {
          unusable(entry);
          continue;
        }
        const item = inspectLocalFileSync(entry, options.cwd);
        if ('problem' in item) {
          if (item.problem === 'not-a-file' && batch.lenient) {
            logger.debug(`passing over ${item.given}: it ${item.reason}`);
            continue;
          }
          if (problems.has(item.path)) continue;
          problems.add(item.path);
          const report = made(newReport(item.path, item.name, targetName));
          report.outcome = item.problem === 'missing' ? 'missing' : 'failed';
          report.message = `${item.given} ${item.reason}`;
          plan.settle(report);
          continue;
        }
        // chacra stores the multipart filename as it is: a control character would garble it.
        if (/[\u0000-\u001f\u007f]/.test(item.name)) {
          const report = made(newReport(item.path, item.name, targetName));
          report.message = `${JSON.stringify(item.name)} holds a control character (such as a newline): chacra cannot store such a name`;
          plan.settle(report);
          continue;
        }
        const earlier = seen.get(item.name);
        if (earlier !== undefined) {
          // One file named twice (overlapping globs, ./a and a, a symlinked directory) is one file.
          if (earlier.path === item.path || sameFile(earlier.path, item)) {
            logger.debug(`${item.given} is ${earlier.given}, named twice: sent once`);
            continue;
          }
          const report = made(newReport(item.path, item.name, targetName));
          report.message = `${item.given} has the same name as ${earlier.given}, another file: chacra keeps one binary per name`;
          plan.settle(report);
          continue;
        }
        // What the rest of the run needs of the file, and no more: held until it is settled or sent.
        // One string for the path and the path given when they are the same; the name is a slice of it.
        const given = item.given === item.path ? item.path : item.given;
        const local: LocalFile = { given, path: item.path, name: item.name, size: item.size, mtimeMs: item.mtimeMs };
        seen.set(item.name, local);
        const w: Work = { local, target: batch.target, force: false, report: undefined, pioneer: false };
        // A run that keeps every report lists them in the order given.
        if (plan.onReport) made(reportOf(w, 'none'));
        pending.push(w);
        if (performance.now() - sliceStarted > SLICE_MS) await turn();
      }
      // A file the server holds already is settled and let go at once: a rerun holds no file for long.
      if (listed !== undefined) await decidePending();
      await turn();
    }
    seen.clear();
    problems.clear();
    if (listingRequest === undefined) continue;
    listed = { value: await listingRequest };
    if (pending.length) await decidePending();
    const files = plan.work.length - workStart;
    if (files === 0) continue;
    plan.work.sortFrom(workStart);
    const smallest = plan.work.length - 1;
    // The same target in two batches is one target: verified once, after the last of both.
    const earlier = plan.targets.get(targetName);
    if (earlier) {
      earlier.files += files;
      if (plan.work.sizeAt(smallest) < plan.work.sizeAt(earlier.smallest)) earlier.smallest = smallest;
    } else plan.targets.set(targetName, { target: batch.target, files, smallest, fresh: listed.value === undefined });
  }
}

/**
 * Settles the files the server holds already (unchanged, skipped) and puts
 * those to send in the plan's work; each leaves `pending` once decided, so
 * that a rerun holds no file for long. Only names the server has already are
 * hashed before sending: small files synchronously in slices, large ones
 * `jobs` at a time.
 */
async function decide(
  pending: (Work | undefined)[],
  listing: DigestsByName | undefined,
  plan: Plan,
  options: { force: boolean; jobs: number; signal: AbortSignal; stopped: () => boolean },
): Promise<void> {
  const settle = async (w: Work, serverSha512: string): Promise<void> => {
    const report = reportOf(w, 'none');
    report.serverSha512 = serverSha512;
    try {
      report.sha512 = (await sha512OfLocal(w.local.path, w.local.size, options.signal)).sha512;
    } catch (err) {
      // A file that cannot be read fails alone; the others go on.
      if (!(err instanceof FileError)) throw err;
      report.message = err.message;
      plan.settle(report);
      return;
    }
    if (report.sha512 === serverSha512) {
      report.action = 'unchanged';
      report.outcome = 'unchanged';
      plan.settle(report);
    } else if (options.force) {
      report.action = 'replace';
      w.force = true;
      plan.work.push(w);
    } else {
      report.action = 'skip';
      report.outcome = 'skipped';
      report.replaceable = true;
      report.message = `${w.local.name} differs from the copy on the server; not replaced`;
      plan.settle(report);
    }
  };
  /** Large files still to hash, by their place in `pending`. */
  const large: number[] = [];
  let sliceStarted = performance.now();
  let inSlice = 0;
  for (let at = 0; at < pending.length; at++) {
    const w = pending[at]!;
    const serverSha512 = listing?.get(w.local.name);
    if (serverSha512 === undefined) {
      // A file without a report yet gets one, an upload's, when it starts.
      if (w.report) w.report.action = 'upload';
      plan.work.push(w);
      pending[at] = undefined;
      continue;
    }
    if (w.local.size > SMALL_FILE) {
      large.push(at);
      continue;
    }
    // Small files hash synchronously: the promise settles at once, with no trip through the thread pool.
    await settle(w, serverSha512);
    pending[at] = undefined;
    if (++inSlice >= SLICE || performance.now() - sliceStarted > SLICE_MS) {
      if (options.signal.aborted) throw new InterruptedError();
      await turn();
      sliceStarted = performance.now();
      inSlice = 0;
    }
  }
  await runPool(large, { limit: options.jobs, stop: options.stopped }, async (at) => {
    const w = pending[at]!;
    await settle(w, listing!.get(w.local.name)!);
    pending[at] = undefined;
  });
}

/** A target's listing as the plan needs it: each name's sha512, compactly; undefined when the target does not exist. */
async function listedChecksums(client: ChacraClient, target: BinaryTarget, signal: AbortSignal): Promise<DigestsByName | undefined> {
  const listing = new DigestsByName();
  const found = await client.scanChecksums(target, (entry) => listing.set(entry.name, entry.checksum), signal);
  return found ? listing : undefined;
}

/** Whether `item` is the file at `path` by another path: looked up only when two files share a name, which is rare. */
function sameFile(path: string, item: { dev?: number | undefined; ino?: number | undefined }): boolean {
  if (item.ino === undefined) return false;
  const other = inspectLocalFileSync(path);
  return !('problem' in other) && other.dev === item.dev && other.ino === item.ino;
}

/**
 * chacra creates a binary's repo record, and its project, on the first upload
 * without a lock: concurrent first uploads into one repo leave duplicate repo
 * records that split its binaries, and concurrent first uploads into a new
 * project fail with a 500 for all but one. Both seen on a real chacra. So where
 * a target held nothing when planned, one upload, the smallest, goes first:
 * alone in its project, then one per repo, then the rest. Puts those first
 * in the plan's work, and returns, by repo, what each file waits for.
 */
export function firstUploadsAlone(plan: Plan): { repos: ReadonlySet<string>; waitFor: (w: Work) => string | undefined } {
  /** Each fresh repo's first upload, by its place in the plan's work. */
  const byRepo = new Map<string, number>();
  /** The repo whose first upload is each project's first. */
  const byProject = new Map<string, string>();
  /** Fresh targets: their files wait for their repo's first upload. */
  const fresh = new Set<string>();
  /** What each repo's first upload waits for: the first of its project. */
  const repoWaits = new Map<string, string>();
  for (const [name, { target, smallest, fresh: isFresh }] of plan.targets) {
    if (!isFresh) continue;
    fresh.add(name);
    const repo = formatRepo(target);
    if (byRepo.has(repo)) continue;
    byRepo.set(repo, smallest);
    const first = byProject.get(target.project);
    if (first === undefined) byProject.set(target.project, repo);
    else repoWaits.set(repo, first);
  }
  // The pioneers are sent first, so that nothing waits holding a lane for long.
  if (byRepo.size > 0) plan.work.leadWith([...byRepo.values()]);
  return {
    repos: new Set(byRepo.keys()),
    waitFor: (w) => {
      if (w.pioneer) return repoWaits.get(formatRepo(w.target));
      return fresh.has(formatTarget(w.target)) ? formatRepo(w.target) : undefined;
    },
  };
}

// Planning an upload: what is on disk, what the server holds, what to send.
// One listing per target; only names the server has already are hashed first.
// The paths may come as a stream (standard input): they are looked at in
// slices as they come, and a file settled without sending (missing,
// unchanged, skipped) is told once and not kept (#23).
import type { ChacraClient, ListedBinary } from '../client/client.js';
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
export function sameContent(entry: Pick<BinaryMetadata, 'checksum'> | undefined, sha512: string | null): boolean {
  return entry !== undefined && sha512 !== null && entry.checksum === sha512;
}

export interface Plan {
  /** Told once of each file settled without sending (missing, unchanged, skipped, failed to read). */
  settle: (report: FileReport) => void;
  /** Told of each file's report as it is made, settled or not (to keep them in order, when asked). */
  onReport?: ((report: FileReport) => void) | undefined;
  /** Files looked at and waiting for their target's listing: not sent if the run stops meanwhile. */
  pending: Work[];
  /** Files to send, largest first within each target. */
  work: Work[];
  targets: Map<string, { target: BinaryTarget; items: Work[] /** The server held no binary there when planned. */; fresh: boolean }>;
  /** Entries read from the list(s), usable or not. */
  given: number;
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
    const seen = new Map<string, { given: string; path: string; dev?: number | undefined; ino?: number | undefined }>();
    /** Paths already reported as unusable: named twice, they are one. */
    const problems = new Set<string>();
    const unusable = (bad: UnusableEntry) => {
      const report = made(newReport(bad.given, bad.given, targetName));
      report.message = `${JSON.stringify(bad.given)} ${bad.reason}`;
      plan.settle(report);
    };
    for (const bad of batch.unreadable ?? []) unusable(bad);
    // The listing is asked for while the files are looked at: both take a while.
    let listingRequest: Promise<Map<string, ListedBinary> | undefined> | undefined;
    /** The listing once it has come: from then on each slice is decided as soon as it is looked at. */
    let listed: { value: Map<string, ListedBinary> | undefined } | undefined;
    const pending = plan.pending;
    // Files decided to send join the plan's work at once: a run stopped meanwhile still reports them.
    const workStart = plan.work.length;
    const decidePending = async () => {
      for (const w of await decide(pending, listed?.value, plan, { ...options, jobs })) plan.work.push(w);
      pending.length = 0;
    };
    for await (const slice of slices(batch.files)) {
      if (signal.aborted) throw new InterruptedError();
      if (stopped()) break;
      if (listingRequest === undefined) {
        listingRequest = client.listChecksums(batch.target, signal);
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
          if (earlier.path === item.path || (item.ino !== undefined && earlier.dev === item.dev && earlier.ino === item.ino)) {
            logger.debug(`${item.given} is ${earlier.given}, named twice: sent once`);
            continue;
          }
          const report = made(newReport(item.path, item.name, targetName));
          report.message = `${item.given} has the same name as ${earlier.given}, another file: chacra keeps one binary per name`;
          plan.settle(report);
          continue;
        }
        seen.set(item.name, { given: item.given, path: item.path, dev: item.dev, ino: item.ino });
        // Reported before the listing is awaited: a run the server stops still counts and lists every file.
        // What the rest of the run needs of the file, and no more: held until it is settled or sent.
        const path = item.path === item.given ? item.given : item.path;
        const local: LocalFile = { given: item.given, path, name: item.name, size: item.size, mtimeMs: item.mtimeMs };
        const report = made(newReport(path, item.name, targetName));
        report.size = item.size;
        pending.push({ report, local, target: batch.target, force: false });
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
    // Largest first: the big file starts at once and the small ones flow past it on the other lanes.
    const toSend = plan.work.slice(workStart).sort((a, b) => b.local.size - a.local.size);
    plan.work.length = workStart;
    for (const w of toSend) plan.work.push(w);
    if (toSend.length) plan.targets.set(targetName, { target: batch.target, items: toSend, fresh: listed.value === undefined });
  }
}

/**
 * Settles the files the server holds already (unchanged, skipped) and returns
 * those to send. Only names the server has already are hashed before sending:
 * small files synchronously in slices, large ones `jobs` at a time.
 */
async function decide(
  pending: readonly Work[],
  listing: Map<string, ListedBinary> | undefined,
  plan: Plan,
  options: { force: boolean; jobs: number; signal: AbortSignal; stopped: () => boolean },
): Promise<Work[]> {
  const toSend: Work[] = [];
  const large: Work[] = [];
  const settle = async (w: Work, entry: ListedBinary): Promise<void> => {
    try {
      w.report.sha512 = (await sha512OfLocal(w.local.path, w.local.size, options.signal)).sha512;
    } catch (err) {
      // A file that cannot be read fails alone; the others go on.
      if (!(err instanceof FileError)) throw err;
      w.report.message = err.message;
      plan.settle(w.report);
      return;
    }
    if (sameContent(entry, w.report.sha512)) {
      w.report.action = 'unchanged';
      w.report.outcome = 'unchanged';
      plan.settle(w.report);
    } else if (options.force) {
      w.report.action = 'replace';
      w.force = true;
      toSend.push(w);
    } else {
      w.report.action = 'skip';
      w.report.outcome = 'skipped';
      w.report.replaceable = true;
      w.report.message = `${w.local.name} differs from the copy on the server; not replaced`;
      plan.settle(w.report);
    }
  };
  let sliceStarted = performance.now();
  let inSlice = 0;
  for (const w of pending) {
    const entry = listing?.get(w.local.name);
    if (entry === undefined) {
      w.report.action = 'upload';
      toSend.push(w);
      continue;
    }
    w.report.serverSha512 = entry.checksum;
    if (w.local.size > SMALL_FILE) {
      large.push(w);
      continue;
    }
    // Small files hash synchronously: the promise settles at once, with no trip through the thread pool.
    await settle(w, entry);
    if (++inSlice >= SLICE || performance.now() - sliceStarted > SLICE_MS) {
      if (options.signal.aborted) throw new InterruptedError();
      await turn();
      sliceStarted = performance.now();
      inSlice = 0;
    }
  }
  await runPool(large, { limit: options.jobs, stop: options.stopped }, (w) => settle(w, listing!.get(w.local.name)!));
  return toSend;
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
  // Refilled in a loop: a spread of 100,000 items overflows the call's arguments.
  plan.work.length = 0;
  for (const w of first) plan.work.push(w);
  for (const w of rest) plan.work.push(w);
  return waits;
}

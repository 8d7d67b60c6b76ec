// Planning an upload: what is on disk, what the server holds, what to send.
// One listing per target; only names the server has already are hashed first.
// The paths may come as a stream (standard input): they are looked at in
// slices as they come, and a file settled without sending (missing,
// unchanged, skipped) is told once and not kept (#23).
import type { ChacraClient } from '../client/client.js';
import { formatTarget, type BinaryTarget } from '../client/paths.js';
import { FileError, InterruptedError } from '../errors.js';
import { SMALL_FILE } from '../file-sha512.js';
import type { Logger } from '../logger.js';
import { DigestsByName } from './digests.js';
import { inspectLocalFileSync, sha512OfLocal, type LocalFile } from './files.js';
import { runPool } from './pool.js';
import { type FileReport, newReport, type Plan, reportOf, type UnusableEntry, type UploadBatch, type Work } from './upload-types.js';

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

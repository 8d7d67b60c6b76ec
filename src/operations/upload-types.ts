// What an upload run says of each file, and what it holds of a file between
// the plan and the upload: the types the plan, the upload and verification share.
import { formatTarget, type BinaryTarget } from '../client/paths.js';
import type { BinaryMetadata } from '../types.js';
import type { LocalFile } from './files.js';
import type { SendQueue } from './upload-queue.js';

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

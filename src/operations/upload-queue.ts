// The files a run will send, held from the plan to each one's turn in a few
// arrays: a path, a size and a time each, about a hundred bytes where a Work,
// its LocalFile, a name and a boxed number were 240 (#23). A file's Work is
// made again when it is taken, and lives only while the file is in flight.
import { basename } from 'node:path';
import type { BinaryTarget } from '../client/paths.js';
import type { FileReport, Work } from './upload-types.js';

const FORCE = 1;
/** The first upload of its repo: the others there wait for it (see firstUploadsAlone). */
const PIONEER = 2;

export class SendQueue {
  private paths: (string | undefined)[] = [];
  private sizes: number[] = [];
  private mtimes: number[] = [];
  private targets: BinaryTarget[] = [];
  private flags: number[] = [];
  /** Reports made before the upload, by place: a replacement's, or every file's where the run keeps them. */
  private reports = new Map<number, FileReport>();
  /** The first file not yet taken. */
  private taken = 0;
  /** Bytes of every file put in. */
  bytes = 0;

  /** Files put in, taken or not. */
  get length(): number {
    return this.paths.length;
  }

  push(w: Work): void {
    const at = this.paths.length;
    this.paths.push(w.local.path);
    this.sizes.push(w.local.size);
    this.mtimes.push(w.local.mtimeMs);
    this.targets.push(w.target);
    this.flags.push(w.force ? FORCE : 0);
    if (w.report) this.reports.set(at, w.report);
    this.bytes += w.local.size;
  }

  sizeAt(at: number): number {
    return this.sizes[at]!;
  }

  /** Largest first from `start` on: the big file starts at once and the small ones flow past it on the other lanes. */
  sortFrom(start: number): void {
    const order = [...this.paths.keys()];
    const tail = order.splice(start).sort((a, b) => this.sizes[b]! - this.sizes[a]! || a - b);
    this.permute([...order, ...tail]);
  }

  /** Marks the files at `places` as their repos' first uploads, and puts them first. Before any is taken. */
  leadWith(places: readonly number[]): void {
    for (const at of places) this.flags[at]! |= PIONEER;
    const first = new Set(places);
    const order = [...places];
    for (let at = 0; at < this.paths.length; at++) if (!first.has(at)) order.push(at);
    this.permute(order);
  }

  /** The next file to send, let go by the queue; undefined once all are taken. */
  take(): Work | undefined {
    if (this.taken >= this.paths.length) return undefined;
    const at = this.taken++;
    const path = this.paths[at]!;
    this.paths[at] = undefined;
    const report = this.reports.get(at);
    if (report) this.reports.delete(at);
    const flags = this.flags[at]!;
    return {
      local: { given: path, path, name: basename(path), size: this.sizes[at]!, mtimeMs: this.mtimes[at]! },
      target: this.targets[at]!,
      force: (flags & FORCE) !== 0,
      report,
      pioneer: (flags & PIONEER) !== 0,
    };
  }

  /** Every file not yet taken, each let go as it is handed out. */
  *drain(): Generator<Work> {
    for (let w = this.take(); w !== undefined; w = this.take()) yield w;
  }

  private permute(order: readonly number[]): void {
    const pick = <T>(from: T[]): T[] => order.map((at) => from[at]!);
    this.paths = pick(this.paths);
    this.sizes = pick(this.sizes);
    this.mtimes = pick(this.mtimes);
    this.targets = pick(this.targets);
    this.flags = pick(this.flags);
    const reports = new Map<number, FileReport>();
    order.forEach((at, to) => {
      const report = this.reports.get(at);
      if (report) reports.set(to, report);
    });
    this.reports = reports;
  }
}

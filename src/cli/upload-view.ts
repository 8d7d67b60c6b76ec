// How an upload run looks: a live status line on a terminal, one line per file
// otherwise, and always a summary; or one JSON document with --json.
import { fstatSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { clearLine, cursorTo } from 'node:readline';
import type { FileReport, UploadEvent, UploadSummary } from '../operations/upload.js';
import type { Context } from './context.js';
import { formatBytes, formatRate, formatSeconds } from './format.js';

const LABEL: Record<FileReport['outcome'], string> = {
  uploaded: 'uploaded',
  replaced: 'replaced',
  unchanged: 'unchanged',
  skipped: 'skipped',
  failed: 'FAILED',
  missing: 'MISSING',
  interrupted: 'interrupted',
  planned: 'planned',
};

export function fileLine(ctx: Context, r: FileReport, message: string | null = r.message): string {
  const p = ctx.paint;
  const color =
    r.outcome === 'failed' || r.outcome === 'missing'
      ? p.red
      : r.outcome === 'skipped' || r.outcome === 'interrupted'
        ? p.yellow
        : r.outcome === 'unchanged'
          ? p.dim
          : p.green;
  const label = r.outcome === 'planned' ? (r.action === 'replace' ? 'would replace' : 'would upload') : LABEL[r.outcome];
  const size = r.size !== null ? `  ${formatBytes(r.size)}` : '';
  const time = r.durationMs > 0 && (r.outcome === 'uploaded' || r.outcome === 'replaced') ? `  ${formatSeconds(r.durationMs)}` : '';
  const note = message && r.outcome !== 'unchanged' ? `: ${message}${r.replaceable ? ' (use --force to replace it)' : ''}` : '';
  return `${color(label.padEnd(13))} ${r.target}/${r.name}${size}${time}${note}`;
}

/** The outcomes of a file that did not make it: each is named on stderr. */
const FAILURES: ReadonlySet<FileReport['outcome']> = new Set(['failed', 'missing', 'interrupted']);

/** A path as the user would type it: relative to the working directory when under it. */
export function displayPath(ctx: Context, path: string): string {
  const rel = relative(ctx.io.cwd, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/**
 * What went wrong with a file, naming it: the message as it is when it names
 * the file already (one of `paths`, or `name` at its start), else `path: message`.
 */
export function failureText(paths: readonly string[], name: string, message: string | null, fallback: string): string {
  const text = message ?? fallback;
  const named = paths.some((p) => p !== '' && text.includes(p)) || text.startsWith(`${name}:`) || text.startsWith(`${name} `);
  return named ? text : `${paths[0]}: ${text}`;
}

/**
 * Whether two streams write to the same file or pipe (2>&1, a CI job's log):
 * what one says, the reader of the other sees too.
 */
function sameDestination(a: object, b: object): boolean {
  const fa = (a as { fd?: unknown }).fd;
  const fb = (b as { fd?: unknown }).fd;
  if (typeof fa !== 'number' || typeof fb !== 'number') return false;
  try {
    const x = fstatSync(fa);
    const y = fstatSync(fb);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/**
 * Names each file that failed on stderr, once, whatever the verbosity
 * (-q hides successes, never failures; --json keeps its document on stdout).
 * Where stdout and stderr reach the same reader (a terminal, or one file or
 * pipe, as 2>&1 and a CI job's log), a file whose result line was just shown
 * on stdout is not named a second time: one line per fact.
 */
export class FailureLog {
  private readonly named = new WeakSet<object>();
  private readonly sameScreen: boolean;

  constructor(private readonly ctx: Context) {
    this.sameScreen = (ctx.io.stdout.isTTY === true && ctx.io.stderr.isTTY === true) || sameDestination(ctx.io.stdout, ctx.io.stderr);
  }

  name(file: object, text: string, lineShown: boolean): void {
    if (this.named.has(file)) return;
    this.named.add(file);
    if (lineShown && this.sameScreen) return;
    this.ctx.logger.error(text);
  }
}

export function summaryLine(s: UploadSummary): string {
  const c = s.counts;
  const parts = s.dryRun
    ? [
        `${c.planned} to upload or replace (${formatBytes(s.plannedBytes)})`,
        `${c.unchanged} unchanged`,
        `${c.skipped} skipped (differs)`,
        `${c.failed + c.missing} failed`,
      ]
    : [
        `${c.uploaded} uploaded`,
        `${c.replaced} replaced`,
        `${c.unchanged} unchanged`,
        `${c.skipped} skipped (differs)`,
        `${c.failed + c.missing} failed`,
        ...(c.interrupted ? [`${c.interrupted} interrupted`] : []),
      ];
  const requests = `${s.requests} request${s.requests === 1 ? '' : 's'}`;
  const tail = s.dryRun
    ? `${requests}, nothing written`
    : `${formatBytes(s.bytesSent)} in ${formatSeconds(s.elapsedMs)} (${formatRate(s.bytesSent, s.elapsedMs)}), ${requests}`;
  return `${s.dryRun ? 'dry run: ' : ''}${parts.join(', ')}; ${tail}`;
}

/** The run's data for the --json document; main() adds the envelope (ok, exitCode, error). */
export function summaryJson(s: UploadSummary): object {
  return {
    dryRun: s.dryRun,
    interrupted: s.interrupted,
    elapsedMs: s.elapsedMs,
    requests: s.requests,
    plannedBytes: s.plannedBytes,
    bytesSent: s.bytesSent,
    counts: s.counts,
    files: s.files,
  };
}

/** Listens to upload events and draws them. */
export class UploadView {
  private readonly progress: boolean;
  private total = { files: 0, bytes: 0 };
  private done = { files: 0, bytes: 0 };
  private readonly inFlight = new Set<string>();
  private readonly started = performance.now();
  private timer: NodeJS.Timeout | undefined;
  private drawn = false;
  private drawnAt = 0;
  /** On a terminal the live display stands for the files that went well; only the others get a line. */
  private readonly everyLine: boolean;
  /** The outcome each file's last result line showed. */
  private readonly shown = new Map<FileReport, FileReport['outcome']>();
  private readonly failures: FailureLog;
  /** The message of a file that the run's failure kept from being sent. */
  private stoppedBy: string | undefined;

  constructor(private readonly ctx: Context) {
    this.progress = ctx.io.stderr.isTTY === true && !ctx.json && !ctx.quiet;
    this.everyLine = !(this.progress && ctx.io.stdout.isTTY === true);
    this.failures = new FailureLog(ctx);
    if (this.progress) {
      ctx.logger.beforeWrite = () => this.erase();
      ctx.logger.afterWrite = () => this.draw();
    }
  }

  onEvent = (e: UploadEvent): void => {
    switch (e.type) {
      case 'planned':
        this.total = { files: e.files, bytes: e.bytes };
        for (const r of e.settled) {
          if (!this.show(r) && r.outcome === 'skipped' && r.message) this.ctx.logger.warn(r.message);
        }
        if (this.progress) this.timer = setInterval(() => this.draw(), 100);
        this.draw();
        break;
      case 'start':
        this.inFlight.add(e.file.name);
        break;
      case 'bytes':
        this.done.bytes += e.bytes;
        break;
      case 'done':
        this.inFlight.delete(e.file.name);
        this.done.files++;
        this.show(e.file);
        // A file done moves the line at once, however short the run; the timer keeps it lively between.
        if (performance.now() - this.drawnAt >= 100 || this.done.files === 1) this.draw();
        break;
      case 'rejected':
        // Its line said "uploaded"; the server's copy proved wrong after all.
        this.show(e.file);
        break;
      case 'verify':
        if (!this.ctx.json) this.ctx.logger.debug(`verifying ${e.files} file(s) of ${e.target} against the server's listing`);
        break;
    }
  };

  /**
   * The file's result line on stdout, and, for a failure, its name and reason
   * on stderr. True when the result line was printed.
   */
  private show(r: FileReport): boolean {
    // -q hides successes; a file skipped because it differs needs a word, as a failure does.
    const line = !this.ctx.json && (!this.ctx.quiet || r.outcome === 'skipped') && this.wantsLine(r);
    // A file the run's failure kept from being sent: that failure is said once, after the files.
    const message = this.stoppedBy !== undefined && r.message === this.stoppedBy ? 'not sent: the run stopped' : r.message;
    if (line) this.ctx.print(fileLine(this.ctx, r, message));
    this.shown.set(r, r.outcome);
    if (FAILURES.has(r.outcome)) {
      const note = r.replaceable ? ' (use --force to replace it)' : '';
      this.failures.name(r, failureText([displayPath(this.ctx, r.path), r.path], r.name, message, r.outcome) + note, line);
    }
    return line;
  }

  /**
   * Once the run is over: every file whose end no event told (not sent because
   * the run stopped, failed when sent again) gets its line, and its failure named.
   */
  finish(summary: UploadSummary): void {
    if (summary.fatal) this.stoppedBy = `not sent: ${summary.fatal.message}`;
    for (const r of summary.files) if (this.shown.get(r) !== r.outcome) this.show(r);
  }

  private wantsLine(r: FileReport): boolean {
    return this.everyLine || !['uploaded', 'replaced', 'unchanged', 'planned'].includes(r.outcome);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.erase();
    this.ctx.logger.beforeWrite = undefined;
    this.ctx.logger.afterWrite = undefined;
  }

  private erase(): void {
    if (!this.drawn) return;
    clearLine(this.ctx.io.stderr, 0);
    cursorTo(this.ctx.io.stderr, 0);
    this.drawn = false;
  }

  private draw(): void {
    if (!this.progress || this.total.files === 0) return;
    const elapsed = performance.now() - this.started;
    const rate = elapsed > 0 ? (this.done.bytes * 1000) / elapsed : 0;
    const left = this.total.bytes - this.done.bytes;
    const eta = rate > 0 && left > 0 ? ` ETA ${formatSeconds((left / rate) * 1000)}` : '';
    const names = [...this.inFlight].slice(0, 3).join(', ');
    let line = `[${this.done.files}/${this.total.files}] ${formatBytes(this.done.bytes)}/${formatBytes(this.total.bytes)} ${formatRate(this.done.bytes, elapsed)}${eta}${names ? `  ${names}` : ''}`;
    const width = (this.ctx.io.stderr.columns ?? 80) - 1;
    if (line.length > width) line = line.slice(0, width - 1) + '…';
    this.erase();
    this.ctx.io.stderr.write(line);
    this.drawn = true;
    this.drawnAt = performance.now();
  }
}

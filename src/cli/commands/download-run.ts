import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseBinaryRef, parseBinaryTarget, splitUrlPart, TARGET_SHAPE, targetSegments, type BinaryTarget } from '../../client/paths.js';
import { readClient } from '../pool.js';
import { UsageError } from '../../errors.js';
import { downloadBinaries, type DownloadReport } from '../../operations/download.js';
import { runStatus } from '../advice.js';
import type { Context } from '../context.js';
import { formatBytes, formatRate, formatSeconds } from '../format.js';
import type { Invocation } from '../grammar.js';
import { displayPath, FailureLog, failureText } from '../upload-view.js';

/**
 * A binary (7 or 9 segments) or a whole target (6 or 8), with or without the
 * leading binaries/ that exists and search print: where what follows it is a
 * target or a binary, it is that prefix, not a project named "binaries".
 */
function parseDownloadPath(input: string): { target: BinaryTarget; name?: string } {
  let segments = splitUrlPart(input, `${TARGET_SHAPE}[/NAME]`, 'path');
  if (segments[0] === 'binaries' && segments.length >= 7 && segments.length <= 10) segments = segments.slice(1);
  const path = segments.join('/');
  if (segments.length === 6 || segments.length === 8) return { target: parseBinaryTarget(path) };
  const ref = parseBinaryRef(path);
  return { target: ref, name: ref.name };
}

function line(ctx: Context, r: DownloadReport): string {
  const p = ctx.paint;
  const color = r.outcome === 'failed' ? p.red : r.outcome === 'interrupted' ? p.yellow : r.outcome === 'unchanged' ? p.dim : p.green;
  const note = r.message ? `: ${r.message}${r.replaceable ? ' (use --force to replace it)' : ''}` : '';
  return `${color((r.outcome === 'failed' ? 'FAILED' : r.outcome).padEnd(11))} ${r.path}${r.size !== null ? `  ${formatBytes(r.size)}` : ''}${note}`;
}

export async function runBinaryDownload({ args, values }: Invocation, ctx: Context): Promise<number> {
  const { target, name } = parseDownloadPath(args[0]!);
  const jobs = values.jobs ?? 4;
  const output = values.output;
  const toStdout = output === '-';
  if (toStdout && ctx.json) throw new UsageError('-o - and --json would both write to standard output', { hint: 'drop one of them' });
  let dir = ctx.io.cwd;
  let fileName: string | undefined;
  if (output !== undefined && !toStdout) {
    const full = resolve(ctx.io.cwd, output);
    const kind = await stat(full).then(
      (s) => (s.isDirectory() ? 'dir' : 'other'),
      () => 'none',
    );
    const isDir = output.endsWith('/') || kind === 'dir';
    if (name === undefined && kind === 'other')
      throw new UsageError(`-o ${output} is not a directory: the binaries of a target are written into one`, {
        hint: `give a directory, or one binary: ${args[0]}/NAME -o ${output}`,
      });
    if (name === undefined || isDir) dir = full;
    else {
      dir = resolve(full, '..');
      fileName = full.slice(dir.length + 1);
    }
  }
  const client = await readClient(ctx, 'binaries', name === undefined ? targetSegments(target) : [...targetSegments(target), name], {
    connections: jobs + 1,
  });
  const failures = new FailureLog(ctx);
  const shown = new Set<DownloadReport>();
  // A result line on stdout (never when stdout is the binary), and every failure named on stderr.
  const show = (r: DownloadReport) => {
    shown.add(r);
    const printed = !ctx.json && !ctx.quiet && !toStdout;
    if (printed) ctx.print(line(ctx, r));
    if (r.outcome === 'failed' || r.outcome === 'interrupted') {
      const where = toStdout ? `${r.target}/${r.name}` : displayPath(ctx, r.path);
      const note = r.replaceable ? ' (use --force to replace it)' : '';
      failures.name(r, failureText([where, r.path, `${r.target}/${r.name}`], r.name, r.message, r.outcome) + note, printed);
    }
  };
  const summary = await downloadBinaries(
    client,
    { target, name, dir, fileName, force: values.force === true, to: toStdout ? ctx.io.stdout : undefined },
    {
      jobs,
      signal: ctx.signal,
      logger: ctx.logger,
      onEvent: (e) => {
        if (e.type === 'done') show(e.file);
      },
    },
  );
  // Files the run never got to (it stopped, or was stopped) are listed and named too.
  for (const f of summary.files) if (!shown.has(f)) show(f);
  // Stopped by a signal: 143 for SIGTERM, 130 for Ctrl-C, as main() answers.
  const exit = runStatus(
    ctx,
    summary,
    summary.files.every((f) => f.outcome === 'downloaded' || f.outcome === 'unchanged'),
  );
  if (ctx.json) ctx.printJson({ ...summary, fatal: undefined });
  else if (!toStdout) {
    const c = summary.counts;
    ctx.print(
      `${c.downloaded} downloaded, ${c.unchanged} unchanged, ${c.failed} failed${c.interrupted ? `, ${c.interrupted} interrupted` : ''}; ${formatBytes(summary.bytes)} in ${formatSeconds(summary.elapsedMs)} (${formatRate(summary.bytes, summary.elapsedMs)})`,
    );
  }
  return exit;
}

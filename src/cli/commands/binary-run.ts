import { parseUploadTarget, TARGET_SHAPE } from '../../client/paths.js';
import { UsageError } from '../../errors.js';
import { uploadBinaries, uploadSucceeded } from '../../operations/upload.js';
import { failedBeforeLanding } from '../../operations/nodes.js';
import { runStatus } from '../advice.js';
import { onBuildNode } from '../pool.js';
import type { Context } from '../context.js';
import { readAll } from '../io.js';
import type { Invocation } from '../grammar.js';
import { summaryJson, summaryLine, UploadView } from '../upload-view.js';

/**
 * Paths from standard input: one per line (or NUL-separated), blank lines
 * passed over. Split as bytes: a path that is not UTF-8 is reported, not
 * mangled into another name.
 */
async function readFileList(ctx: Context, nul: boolean): Promise<{ files: string[]; unreadable: { given: string; reason: string }[] }> {
  const all = await readAll(ctx.io.stdin);
  const sep = nul ? 0 : 0x0a;
  const files: string[] = [];
  const unreadable: { given: string; reason: string }[] = [];
  for (let start = 0; start <= all.length; ) {
    let end = all.indexOf(sep, start);
    if (end < 0) end = all.length;
    let entry = all.subarray(start, end);
    start = end + 1;
    if (!nul && entry.at(-1) === 0x0d) entry = entry.subarray(0, -1);
    const text = entry.toString('utf8');
    if (text.trim() === '') continue;
    if (!Buffer.from(text, 'utf8').equals(entry)) unreadable.push({ given: text, reason: 'is not valid UTF-8: chacra stores names as text' });
    else files.push(text);
  }
  return { files, unreadable };
}

export async function runBinaryCreate({ args, values }: Invocation, ctx: Context): Promise<number> {
  const target = parseUploadTarget(args[0]!);
  let files = args.slice(1);
  let unreadable: { given: string; reason: string }[] = [];
  const fromStdin = files.length === 0;
  const jobs = values.jobs ?? 4;
  if (fromStdin) {
    // Defect 1 of the Python client: stdin was read even when FILEs were named.
    if (ctx.io.stdin.isTTY)
      throw new UsageError('no FILE given and standard input is a terminal', {
        hint: `name files, or pipe a list: find DIR -name '*.rpm' | chacractl binary create ${TARGET_SHAPE}`,
      });
    ({ files, unreadable } = await readFileList(ctx, values.null === true));
    if (files.length + unreadable.length === 0) ctx.logger.warn('standard input held no file names: nothing to upload');
  }
  // With the pool behind shaman, the build's node: the one that holds it, else
  // the one chosen for it a moment ago, else shaman's next; another one when a
  // node fails before anything landed on it.
  const build = { project: target.project, ref: target.ref, sha1: target.sha1, distro: target.distro, version: target.version, flavor: target.flavor };
  let view: UploadView | undefined;
  const {
    result: summary,
    choice,
    skipped,
  } = await onBuildNode(
    ctx,
    build,
    async (client) => {
      view = new UploadView(ctx);
      try {
        return await uploadBinaries(client, [{ target, files, lenient: fromStdin, unreadable }], {
          force: values.force === true,
          jobs,
          dryRun: values['dry-run'] === true,
          signal: ctx.signal,
          logger: ctx.logger,
          onEvent: view.onEvent,
          cwd: ctx.io.cwd,
        });
      } finally {
        view.stop();
      }
    },
    { connections: 2 * jobs + 1, needsCredentials: !values['dry-run'], failedBeforeLanding },
  );
  // Every file the run did not finish is named on stderr, whatever the verbosity.
  view?.finish(summary);
  // A find(1) list of directories alone uploads nothing, as an empty list does: say so alike.
  if (fromStdin && files.length > 0 && summary.files.length === 0)
    ctx.logger.warn(`standard input named only directories (${files.length}): nothing to upload`);
  const exitCode = runStatus(ctx, summary, uploadSucceeded(summary));
  const node = choice ? { url: choice.node, reason: choice.reason, skipped } : null;
  if (ctx.json) ctx.printJson({ ...summaryJson(summary), node });
  else ctx.print(summaryLine(summary) + (choice ? `; node ${choice.node}` : ''));
  return exitCode;
}

import { isUtf8 } from 'node:buffer';
import { parseUploadTarget, TARGET_SHAPE } from '../../client/paths.js';
import { UsageError } from '../../errors.js';
import { uploadBinaries, uploadSucceeded } from '../../operations/upload.js';
import { failedBeforeLanding } from '../../operations/nodes.js';
import { runStatus } from '../advice.js';
import { onBuildNode } from '../pool.js';
import type { Context } from '../context.js';
import { records } from '../io.js';
import type { UnusableEntry } from '../../operations/upload-types.js';
import type { Invocation } from '../grammar.js';
import { summaryJson, summaryLine, UploadView } from '../upload-view.js';

/**
 * Paths from standard input: one per line (or NUL-separated), blank lines
 * passed over, read as they come (a list of any length is planned in flat
 * memory). Split as bytes: a path that is not UTF-8 is reported, not mangled
 * into another name. `count` is told of every entry.
 */
async function* readFileList(ctx: Context, nul: boolean, count: { entries: number }): AsyncGenerator<string | UnusableEntry> {
  for await (let entry of records(ctx.io.stdin, nul ? 0 : 0x0a)) {
    if (!nul && entry.at(-1) === 0x0d) entry = entry.subarray(0, -1);
    const text = entry.toString('utf8');
    if (text.trim() === '') continue;
    count.entries++;
    if (!isUtf8(entry)) yield { given: text, reason: 'is not valid UTF-8: chacra stores names as text' };
    else yield text;
  }
}

/** The list, read once; kept to be read again only where a run may move to another node (the pool). */
function replayable<T>(source: AsyncIterable<T>): (keep: boolean) => AsyncIterable<T> {
  const kept: T[] = [];
  const iterator = source[Symbol.asyncIterator]();
  let done = false;
  return (keep) => ({
    async *[Symbol.asyncIterator]() {
      yield* kept;
      while (!done) {
        const next = await iterator.next();
        if (next.done) {
          done = true;
          break;
        }
        if (keep) kept.push(next.value);
        yield next.value;
      }
    },
  });
}

export async function runBinaryCreate({ args, values }: Invocation, ctx: Context): Promise<number> {
  const target = parseUploadTarget(args[0]!);
  const named = args.slice(1);
  const fromStdin = named.length === 0;
  const listed = { entries: 0 };
  let list: ((keep: boolean) => AsyncIterable<string | UnusableEntry>) | undefined;
  const jobs = values.jobs ?? 4;
  if (fromStdin) {
    // Defect 1 of the Python client: stdin was read even when FILEs were named.
    if (ctx.io.stdin.isTTY)
      throw new UsageError('no FILE given and standard input is a terminal', {
        hint: `name files, or pipe a list: find DIR -name '*.rpm' | chacractl binary create ${TARGET_SHAPE}`,
      });
    list = replayable(readFileList(ctx, values.null === true, listed));
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
    async (client, choice) => {
      view = new UploadView(ctx);
      try {
        // Through the pool, a run that fails before anything landed goes to another node with the same list.
        const files = list ? list(choice !== undefined) : named;
        return await uploadBinaries(client, [{ target, files, lenient: fromStdin }], {
          keepFiles: ctx.json,
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
  // Failures past the first few of a kind are summed up.
  view?.finish();
  if (fromStdin && listed.entries === 0) ctx.logger.warn('standard input held no file names: nothing to upload');
  // A find(1) list of directories alone uploads nothing, as an empty list does: say so alike.
  const c = summary.counts;
  const files = Object.values(c).reduce((n, k) => n + k, 0);
  if (fromStdin && listed.entries > 0 && files === 0) ctx.logger.warn(`standard input named only directories (${listed.entries}): nothing to upload`);
  const exitCode = runStatus(ctx, summary, uploadSucceeded(summary));
  const node = choice ? { url: choice.node, reason: choice.reason, skipped } : null;
  if (ctx.json) ctx.printJson({ ...summaryJson(summary), node });
  else ctx.print(summaryLine(summary) + (choice ? `; node ${choice.node}` : ''));
  return exitCode;
}

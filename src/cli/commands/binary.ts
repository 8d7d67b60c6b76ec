import { parseBinaryRef, parseBinaryTarget, TARGET_SHAPE } from '../../client/paths.js';
import { ExitCode, UsageError } from '../../errors.js';
import { deleteBinary } from '../../operations/simple.js';
import { uploadBinaries, uploadSucceeded } from '../../operations/upload.js';
import { failedBeforeLanding } from '../../operations/nodes.js';
import { advice } from '../advice.js';
import { onBuildNode } from '../pool.js';
import { parseCount, stoppedStatus, type Context } from '../context.js';
import { readAll } from '../io.js';
import type { CommandSpec, Invocation } from '../grammar.js';
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

export const binaryCreate: CommandSpec = {
  path: ['binary', 'create'],
  summary: 'upload files to PROJECT/REF/SHA1/DISTRO/VERSION/ARCH[/flavors/FLAVOR]',
  description: [
    'Files come from the arguments, or, when none is given, from standard input, one path per',
    'line (NUL-separated with -0); directories in such a list are passed over. The target is read',
    'once; files it already holds with the same sha512 are left alone, files that differ are',
    'skipped with a warning (replaced with --force). Every upload is checked against the sha512',
    'the server lists afterwards; a file the server holds wrongly is sent again, and reported.',
  ].join('\n'),
  args: [
    { name: 'URLPART', required: true },
    { name: 'FILE', variadic: true },
  ],
  options: ['force', 'jobs', 'dry-run', 'null'],
  optionHelp: { force: 'replace binaries of the same name whose contents differ (identical ones are never re-sent)' },
  examples: [
    'chacractl binary create ceph/main/1a2b3c/centos/9/x86_64 dist/RPMS/*.rpm',
    "find dist/RPMS -name '*.rpm' | chacractl binary create ceph/main/1a2b3c/centos/9/x86_64/flavors/crimson",
    'find release -print0 | chacractl binary create --force -0 ceph/main/1a2b3c/ubuntu/jammy/amd64',
  ],
  async run({ args, values }: Invocation, ctx: Context): Promise<number> {
    const target = parseBinaryTarget(args[0]!);
    let files = args.slice(1);
    let unreadable: { given: string; reason: string }[] = [];
    const fromStdin = files.length === 0;
    const jobs = values.jobs === undefined ? 4 : parseCount(values.jobs as string, 'jobs', 1);
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
    const exitCode = summary.interrupted
      ? stoppedStatus(ctx.signal)
      : summary.fatal
        ? summary.fatal.exitCode
        : uploadSucceeded(summary)
          ? ExitCode.ok
          : ExitCode.failed;
    if (summary.fatal) {
      ctx.logger.error(summary.fatal.message);
      const hint = advice(summary.fatal);
      if (hint) ctx.logger.error(`hint: ${hint}`);
    }
    const node = choice ? { url: choice.node, reason: choice.reason, skipped } : null;
    if (ctx.json) ctx.printJson({ ...(summaryJson(summary, exitCode) as object), node });
    else ctx.print(summaryLine(summary) + (choice ? `; node ${choice.node}` : ''));
    return exitCode;
  },
};

export const binaryDelete: CommandSpec = {
  path: ['binary', 'delete'],
  summary: 'delete binaries: PROJECT/REF/SHA1/DISTRO/VERSION/ARCH[/flavors/FLAVOR]/NAME ...',
  description:
    'A binary that is not there is a warning, not a failure: a rerun finishes an interrupted delete.\nWith --json: one object for one path, a list for several.',
  args: [{ name: 'URLPART', required: true, variadic: true }],
  options: [],
  examples: [
    'chacractl binary delete ceph/main/1a2b3c/centos/9/x86_64/ceph-18.2.0-1.el9.x86_64.rpm',
    'chacractl binary delete ceph/main/1a2b3c/centos/9/x86_64/a.rpm ceph/main/1a2b3c/centos/9/x86_64/b.rpm',
  ],
  async run({ args }: Invocation, ctx: Context): Promise<number> {
    // Every path is checked before the first is deleted.
    const refs = args.map((a) => ({ given: a, ref: parseBinaryRef(a) }));
    const client = await ctx.client();
    const results: { path: string; deleted: boolean }[] = [];
    for (const { given, ref } of refs) {
      const outcome = await deleteBinary(client, ref, ctx.signal);
      results.push({ path: given, deleted: outcome === 'deleted' });
      if (outcome === 'absent') ctx.logger.warn(`${given} is not on the server (deleted already?)`);
      else if (!ctx.json) ctx.print(`deleted ${given}`);
    }
    if (ctx.json) ctx.printJson(results.length === 1 ? results[0] : results);
    return ExitCode.ok;
  },
};

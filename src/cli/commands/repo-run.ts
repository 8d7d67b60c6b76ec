import { readFile } from 'node:fs/promises';
import { formatBinary, formatRepo, parseRepoRef, repoSegments, type RepoRef } from '../../client/paths.js';
import { ExitCode, FileError, UsageError } from '../../errors.js';
import type { ChacraClient } from '../../client/client.js';
import { Deadline, noAnswerBefore } from '../../operations/deadline.js';
import { waitForRepo } from '../../operations/repo-wait.js';
import { applyRepoDelete, planRepoDelete, type RepoDeletePlan } from '../../operations/repo-delete.js';
import { NoSuchRepoError, rebuildRepo, setRepoType, updateExistingRepo } from '../../operations/simple.js';
import { repoState, type RepoDocument } from '../../types.js';
import type { Context } from '../context.js';
import { shown } from '../format.js';
import { confirm, readAll } from '../io.js';
import { resolveLatestRepo } from '../latest.js';
import { NotInPoolError, readClient } from '../pool.js';
import type { Invocation } from '../grammar.js';
import { CommandFailure } from '../json.js';

/** The server, or with the pool the node that holds the repo. */
function repoClient(ctx: Context, ref: RepoRef, needsCredentials: boolean) {
  return readClient(ctx, 'repos', repoSegments(ref), { needsCredentials });
}

/** The repo's document, and the client that read it; NoSuchRepoError when the server holds no such repo. */
async function existingRepo(ctx: Context, ref: RepoRef, needsCredentials: boolean) {
  const client = await repoClient(ctx, ref, needsCredentials);
  const doc = await client.getRepo(ref, ctx.signal);
  if (!doc) throw new NoSuchRepoError(client, ref);
  return { client, doc };
}

function describe(doc: RepoDocument): string {
  const flavor = doc.flavor === 'default' ? '' : `/flavors/${doc.flavor}`;
  // The server's words: no escape sequence of theirs reaches the terminal.
  return shown(
    `${doc.project_name}/${doc.ref}/${doc.sha1}/${doc.distro}/${doc.distro_version}${flavor}: ${repoState(doc)} (${doc.type}, archs ${doc.archs.join(' ') || '-'})`,
  );
}

/**
 * With --wait (and repo wait), --timeout bounds the whole command from its
 * start: finding the node, asking for the update, and the polls. undefined
 * without --wait.
 */
function waitDeadline(ctx: Context, values: Invocation['values'], wait = values.wait === true): Deadline | undefined {
  return wait ? new Deadline(values.timeout ?? 30 * 60_000, ctx.signal) : undefined;
}

/**
 * Runs what comes before the polls within the deadline: cut there, the
 * server gave no answer in the wait's time, and no verdict can be had.
 */
async function beforeWait<T>(
  ctx: Context,
  deadline: Deadline | undefined,
  run: (ctx: Context) => Promise<T>,
  unanswered = { method: 'GET', what: 'the repo was never seen' },
): Promise<T> {
  if (!deadline) return run(ctx);
  try {
    return await run({ ...ctx, signal: deadline.signal });
  } catch (err) {
    if (!deadline.cut(err)) throw err;
    const settings = ctx.settings();
    const url = settings?.url ?? (settings?.shaman ? `${settings.shaman.url.replace(/\/+$/, '')}/` : '');
    throw noAnswerBefore(deadline, unanswered.method, url, unanswered.what);
  } finally {
    deadline.clear();
  }
}

/** An update or recreate cut by the deadline: whether the server took it is unknown. */
const ASKED = { method: 'POST', what: 'whether the server took the request is unknown' };

async function maybeWait(
  ctx: Context,
  client: ChacraClient,
  ref: RepoRef,
  doc: RepoDocument | undefined,
  values: Invocation['values'],
  deadline: Deadline | undefined,
): Promise<RepoDocument> {
  if (!deadline) return doc!;
  return waitForRepo(client, ref, {
    // With --wait, --timeout bounds the wait, as in `repo wait --timeout 30m`, from the command's start.
    timeoutMs: deadline.timeoutMs,
    startedAt: deadline.at - deadline.timeoutMs,
    seen: doc === undefined ? undefined : repoState(doc),
    intervalMs: values.interval ?? 5000,
    signal: ctx.signal,
    onState: (state) => ctx.logger.info(`${formatRepo(ref)}: ${state}`),
  });
}

/** The repo and its state, after what was done to it, if anything: "update requested: P/R/S/D/V: requested (...)". */
function report(ctx: Context, doc: RepoDocument, verb?: string): void {
  if (ctx.json) ctx.printJson({ ...doc, state: repoState(doc) });
  else ctx.print(verb ? `${verb} ${describe(doc)}` : describe(doc));
}

export async function runRepoUpdate({ args, values }: Invocation, ctx: Context): Promise<number> {
  const ref = parseRepoRef(args[0]!);
  const deadline = waitDeadline(ctx, values);
  const { client, doc } = await beforeWait(
    ctx,
    deadline,
    async (c) => {
      const client = await repoClient(c, ref, true);
      return { client, doc: await updateExistingRepo(client, ref, c.signal) };
    },
    ASKED,
  );
  report(ctx, await maybeWait(ctx, client, ref, doc, values, deadline), values.wait ? undefined : 'update requested:');
  return ExitCode.ok;
}

export async function runRepoRecreate({ args, values }: Invocation, ctx: Context): Promise<number> {
  const ref = parseRepoRef(args[0]!);
  const deadline = waitDeadline(ctx, values);
  const { client, doc, updatedInstead } = await beforeWait(
    ctx,
    deadline,
    async (c) => {
      const client = await repoClient(c, ref, true);
      return { client, ...(await rebuildRepo(client, ref, c.signal)) };
    },
    ASKED,
  );
  if (updatedInstead) ctx.logger.info(`${formatRepo(ref)} was never built: asked for an update instead of a recreate`);
  report(ctx, await maybeWait(ctx, client, ref, doc, values, deadline), values.wait ? undefined : updatedInstead ? 'update requested:' : 'recreate requested:');
  return ExitCode.ok;
}

export async function runRepoSetRaw({ args }: Invocation, ctx: Context): Promise<number> {
  const ref = parseRepoRef(args[0]!);
  const doc = await setRepoType(await repoClient(ctx, ref, true), ref, 'raw', ctx.signal);
  report(ctx, doc, 'set to raw:');
  return ExitCode.ok;
}

const binaryPath = formatBinary;

function describeDelete(plan: RepoDeletePlan): string {
  const doc = plan.doc!;
  const archs = [...new Set(plan.binaries.map((b) => b.arch))];
  return (
    `repo ${formatRepo(plan.repo)} (${doc.type}, ${repoState(doc)})` +
    (doc.path === null ? '' : ', its built tree') +
    `, and ${plan.binaries.length} binar${plan.binaries.length === 1 ? 'y' : 'ies'}${archs.length ? ` (${archs.join(', ')})` : ''}`
  );
}

export async function runRepoDelete({ args, values }: Invocation, ctx: Context): Promise<number> {
  const ref = parseRepoRef(args[0]!);
  const dryRun = values['dry-run'] === true;
  const jobs = values.jobs ?? 4;
  const client = await repoClient(ctx, ref, !dryRun).catch((err: unknown) => {
    // A repo no node holds is gone already, as a repo the one server lacks.
    if (err instanceof NotInPoolError) return undefined;
    throw err;
  });
  // With no client, no node holds the repo: plan.doc is undefined and nothing below runs.
  const plan: RepoDeletePlan = client ? await planRepoDelete(client, ref, ctx.signal) : { repo: ref, doc: undefined, binaries: [] };

  const paths = plan.binaries.map(binaryPath);
  if (plan.doc === undefined) {
    ctx.logger.warn(`there is no repo ${formatRepo(ref)} (deleted already?): nothing to delete`);
    if (ctx.json) ctx.printJson({ repo: formatRepo(ref), existed: false, dryRun, binaries: [] });
    return ExitCode.ok;
  }
  if (dryRun) {
    if (ctx.json) ctx.printJson({ repo: formatRepo(ref), existed: true, dryRun, builtTree: plan.doc.path, binaries: paths });
    else {
      ctx.print(`would delete ${describeDelete(plan)}`);
      for (const p of paths) ctx.print(`  ${p}`);
    }
    return ExitCode.ok;
  }
  if (values.yes !== true) {
    ctx.io.stderr.write(`This deletes ${describeDelete(plan)}.\n`);
    if (!(await confirm(ctx.io, 'Delete it?'))) {
      ctx.logger.error('not confirmed: nothing was deleted');
      ctx.failure(new CommandFailure('failed', 'not confirmed: nothing was deleted'));
      return ExitCode.failed;
    }
  }
  const result = await applyRepoDelete(client!, plan, {
    signal: ctx.signal,
    logger: ctx.logger,
    jobs,
    onDeleted: (b, outcome) => ctx.logger.info(`${outcome === 'deleted' ? 'deleted' : 'gone already:'} ${binaryPath(b)}`),
  });
  if (ctx.json)
    ctx.printJson({
      repo: formatRepo(ref),
      existed: true,
      dryRun,
      builtTree: plan.doc.path,
      binaries: paths,
      deleted: result.deleted.length,
      goneAlready: result.absent.length,
    });
  else ctx.print(`deleted ${describeDelete(plan)}`);
  return ExitCode.ok;
}

export async function runRepoShow({ args }: Invocation, ctx: Context): Promise<number> {
  const ref = parseRepoRef(args[0]!);
  const { doc } = await existingRepo(ctx, ref, false);
  if (ctx.json) {
    ctx.printJson({ ...doc, state: repoState(doc) });
    return ExitCode.ok;
  }
  ctx.print(describe(doc));
  for (const key of ['type', 'path', 'needs_update', 'is_queued', 'is_updating', 'modified', 'size', 'signed'] as const)
    ctx.print(`  ${key.padEnd(13)} ${shown(String(doc[key]))}`);
  if (Object.keys(doc.extra).length) ctx.print(`  ${'extra'.padEnd(13)} ${shown(JSON.stringify(doc.extra))}`);
  return ExitCode.ok;
}

export async function runRepoWait({ args, values }: Invocation, ctx: Context): Promise<number> {
  const ref = parseRepoRef(args[0]!);
  const deadline = waitDeadline(ctx, values, true);
  // The first poll says whether the repo is there (NoSuchRepoError when not).
  const client = await beforeWait(ctx, deadline, (c) => repoClient(c, ref, false));
  report(ctx, await maybeWait(ctx, client, ref, undefined, values, deadline));
  return ExitCode.ok;
}

export async function runRepoExtra({ args }: Invocation, ctx: Context): Promise<number> {
  const ref = parseRepoRef(args[0]!);
  const source = args[1]!;
  let text: string;
  if (source === '-') {
    text = (await readAll(ctx.io.stdin)).toString('utf8');
  } else {
    text = await readFile(source, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new FileError(`cannot read ${source}: ${err.code}`);
    });
  }
  let extra: unknown;
  try {
    extra = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${source === '-' ? 'standard input' : source} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof extra !== 'object' || extra === null || Array.isArray(extra))
    throw new UsageError('the extra metadata must be a JSON object, such as {"version": "18.2.0"}');
  const { client } = await existingRepo(ctx, ref, true);
  const doc = await client.setRepoExtra(ref, extra as Record<string, unknown>, ctx.signal);
  report(ctx, doc, 'extra stored:');
  return ExitCode.ok;
}

export async function runRepoFile({ args }: Invocation, ctx: Context): Promise<number> {
  const ref = await resolveLatestRepo(ctx, parseRepoRef(args[0]!));
  const client = await repoClient(ctx, ref, false);
  const text = await client.getRepoFile(ref, ctx.signal);
  if (text === undefined) throw new NoSuchRepoError(client, ref);
  if (ctx.json) ctx.printJson({ repo: formatRepo(ref), text });
  else if (text === '') ctx.logger.warn(`${formatRepo(ref)} is a raw repo: there is no repo file`);
  else ctx.io.stdout.write(text.endsWith('\n') ? text : text + '\n');
  return ExitCode.ok;
}

// locate --wait (and --build-url): every platform of --distros with a repo
// that answers on its node, one sha1 for all with --sha1 latest. Replaces
// build_container's search loop, the `curl --fail -L .../repo; sleep 30`
// loops and wait_for_shaman_sha1.py.
import { nodeOfRepo } from '../../client/shaman.js';
import { type ChacraError, ExitCode } from '../../errors.js';
import {
  BuildWaitTimeout,
  findBuilds,
  repoLocation,
  seenMissing,
  waitForBuilds,
  type BuildWaitOptions,
  type BuildWaitResult,
  type MissingPlatform,
} from '../../operations/build-wait.js';
import { PoolNoVerdictError } from '../../operations/pool-reads.js';
import type { Context } from '../context.js';
import { shown } from '../format.js';
import { CommandFailure } from '../json.js';
import type { Invocation } from '../grammar.js';

/** The client of a node for the repo probes: the pool's, else one made for the node with the configured credentials. */
async function nodeClients(ctx: Context): Promise<BuildWaitOptions['clientFor']> {
  const pool = await ctx.pool();
  if (pool) return (node) => pool.clientFor(node);
  const clients = new Map<string, ReturnType<Context['client']>>();
  return (node) => {
    let client = clients.get(node);
    if (!client) {
      client = ctx.client({ url: node, needsCredentials: false });
      clients.set(node, client);
    }
    return client;
  };
}

export async function runLocateWait({ args, values }: Pick<Invocation, 'args' | 'values'>, ctx: Context): Promise<number> {
  const project = args[0]!;
  const shaman = await ctx.shaman({ needsCredentials: false });
  const clientFor = await nodeClients(ctx);
  let said = '';
  const options: BuildWaitOptions = {
    project,
    ref: values.ref,
    sha1: values.sha1,
    distros: values.distros?.split(',').filter(Boolean),
    flavor: values.flavor,
    ready: values.ready === true,
    buildUrl: values['build-url'],
    // With --wait, --timeout bounds the wait, as in repo wait; without it, one look.
    timeoutMs: values.wait === true ? (values.timeout ?? 30 * 60_000) : 0,
    intervalMs: values.interval ?? 5000,
    signal: ctx.signal,
    clientFor,
    // Said when what is missing changes, not at every look: a wait of an hour at 1m is not 60 lines.
    onMissing: (missing) => {
      const text = `waiting for ${missing.map((m) => `${m.platform} (${m.reason})`).join('; ')}`;
      if (text !== said) ctx.logger.info(text);
      said = text;
    },
  };
  let result: BuildWaitResult;
  // --json: { repos } as locate's without --wait, each record with its platform; none, and each platform
  // missing with why, when one is missing. "Missing" is a verdict (1) only when shaman and every node of
  // the platform's records answered; a node that could not be asked, or no answer before the deadline,
  // leaves it open (3), said after the rest.
  const missed = (err: ChacraError, missing: MissingPlatform[]) => {
    if (ctx.json) ctx.printJson({ repos: [], missing: missing.map((m) => ({ platform: m.platform, reason: m.reason })) });
    if (seenMissing(missing)) {
      ctx.failure(err);
      return ExitCode.failed;
    }
    const unasked = missing.flatMap((m) => m.unasked);
    const question = `whether ${missing.map((m) => m.platform).join(', ')} ${missing.length === 1 ? 'has' : 'have'} a repo`;
    const failure = unasked.length
      ? new PoolNoVerdictError(question, unasked)
      : new CommandFailure('timeout', `could not tell ${question}: shaman or a node never answered before the deadline`);
    ctx.logger.error(failure.message);
    if (failure.hint) ctx.logger.error(`hint: ${failure.hint}`);
    ctx.failure(failure);
    return ExitCode.unreachable;
  };
  if (values.wait === true) {
    try {
      result = await waitForBuilds(shaman, options);
    } catch (err) {
      if (!(err instanceof BuildWaitTimeout)) throw err;
      const builds = `${project}/${values.ref ?? 'REF'}/${values.sha1 && values.sha1 !== 'latest' ? values.sha1 : 'SHA1'}`;
      const timeout = new BuildWaitTimeout(err.missing, err.timeoutMs, `wait longer (--timeout), or look at the builds: chacractl build ls ${builds}`);
      ctx.logger.error(timeout.message);
      ctx.logger.error(`hint: ${timeout.hint}`);
      return missed(timeout, timeout.missing);
    }
  } else {
    const look = await findBuilds(shaman, options);
    if (!look.found) {
      const message = `no repo of ${project} counts for ${look.missing.map((m) => `${m.platform} (${m.reason})`).join('; ')}`;
      ctx.logger.error(message);
      return missed(new CommandFailure('not-found', message), look.missing);
    }
    result = look.found;
  }
  // Each record with the platform it counts for and its node; every platform's, in the order of --distros.
  const rows = result.platforms.flatMap((p) => p.repos.map((r) => ({ platform: p.platform, node: repoLocation(r)?.node ?? nodeOfRepo(r), ...r })));
  if (ctx.json) ctx.printJson({ repos: rows });
  // -q: only the sha1, for SHA1=$(chacractl locate ... --sha1 latest --wait -q).
  else if (ctx.quiet) ctx.print(shown(result.sha1 ?? [...new Set(rows.map((r) => r.sha1))].join('\n'), '\n'));
  else
    for (const r of rows)
      ctx.print(shown(`${r.platform}  ${r.sha1}  ${r.status}  ${r.archs.join(',') || '-'}  ${r.modified.slice(0, 19)}  ${r.node}  ${r.url}`));
  return ExitCode.ok;
}

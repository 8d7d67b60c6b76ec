// locate --wait (and --build-url): every platform of --distros with a repo
// that answers on its node, one sha1 for all with --sha1 latest. Replaces
// build_container's search loop, the `curl --fail -L .../repo; sleep 30`
// loops and wait_for_shaman_sha1.py.
import { ExitCode } from '../../errors.js';
import {
  BuildWaitTimeout,
  findBuilds,
  type MissingPlatform,
  repoLocation,
  seenMissing,
  waitForBuilds,
  type BuildWaitOptions,
  type BuildWaitResult,
} from '../../operations/build-wait.js';
import { PoolNoVerdictError } from '../../operations/pool-reads.js';
import type { Context } from '../context.js';
import type { Invocation } from '../grammar.js';
import { CommandFailure } from '../json.js';

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
  // --json holds the records under repos, as locate's without --wait (schemas/v1/locate.json): none when a platform is missing.
  // "Missing" is a verdict (1) only when shaman and every node of the platform's records answered;
  // a node that could not be asked, or no answer before the deadline, leaves it open (3).
  const missed = (missing: MissingPlatform[]) => {
    if (ctx.json) ctx.printJson({ repos: [] });
    if (seenMissing(missing)) return ExitCode.failed;
    const unasked = missing.flatMap((m) => m.unasked);
    const platforms = missing.map((m) => m.platform).join(', ');
    const failure = unasked.length
      ? new PoolNoVerdictError(`whether ${platforms} ${missing.length === 1 ? 'has' : 'have'} a repo`, unasked)
      : new CommandFailure(
          'timeout',
          `could not tell whether ${platforms} ${missing.length === 1 ? 'has' : 'have'} a repo: shaman or a node never answered before the deadline`,
        );
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
      ctx.logger.error(err.message);
      const builds = `${project}/${values.ref ?? 'REF'}/${values.sha1 && values.sha1 !== 'latest' ? values.sha1 : 'SHA1'}`;
      ctx.logger.error(`hint: wait longer (--timeout), or look at the builds: chacractl build ls ${builds}`);
      return missed(err.missing);
    }
  } else {
    const look = await findBuilds(shaman, options);
    if (!look.found) {
      ctx.logger.error(`no repo of ${project} counts for ${look.missing.map((m) => `${m.platform} (${m.reason})`).join('; ')}`);
      return missed(look.missing);
    }
    result = look.found;
  }
  // Each record with the platform it counts for and its node; every platform's, in the order of --distros.
  const rows = result.platforms.flatMap((p) => p.repos.map((r) => ({ platform: p.platform, node: repoLocation(r)?.node ?? null, ...r })));
  if (ctx.json) ctx.printJson({ repos: rows });
  // -q: only the sha1, for SHA1=$(chacractl locate ... --sha1 latest --wait -q).
  else if (ctx.quiet) ctx.print(result.sha1 ?? [...new Set(rows.map((r) => r.sha1))].join('\n'));
  else for (const r of rows) ctx.print(`${r.platform}  ${r.sha1}  ${r.status}  ${r.archs.join(',') || '-'}  ${r.modified.slice(0, 19)}  ${r.node}  ${r.url}`);
  return ExitCode.ok;
}

// locate --wait (and --build-url): every platform of --distros with a repo
// that answers on its node, one sha1 for all with --sha1 latest. Replaces
// build_container's search loop, the `curl --fail -L .../repo; sleep 30`
// loops and wait_for_shaman_sha1.py.
import { ExitCode } from '../../errors.js';
import {
  BuildWaitTimeout,
  findBuilds,
  repoLocation,
  waitForBuilds,
  type BuildWaitOptions,
  type BuildWaitResult,
  type MissingPlatform,
} from '../../operations/build-wait.js';
import type { Context } from '../context.js';
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
  const missed = (missing: MissingPlatform[]) => {
    if (ctx.json) ctx.printJson({ sha1: null, platforms: [], missing });
    return ExitCode.failed;
  };
  if (values.wait === true) {
    try {
      result = await waitForBuilds(shaman, options);
    } catch (err) {
      if (!(err instanceof BuildWaitTimeout)) throw err;
      ctx.logger.error(err.message);
      ctx.logger.error(`hint: wait longer (--timeout), or look at the builds: chacractl build ls ${project}/REF/SHA1`);
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
  const rows = result.platforms.map((p) => ({ platform: p.platform, repos: p.repos.map((r) => ({ node: repoLocation(r)?.node ?? null, ...r })) }));
  if (ctx.json) ctx.printJson({ sha1: result.sha1 ?? null, platforms: rows });
  // -q: only the sha1, for SHA1=$(chacractl locate ... --sha1 latest --wait -q).
  else if (ctx.quiet) ctx.print(result.sha1 ?? [...new Set(rows.flatMap((p) => p.repos.map((r) => r.sha1)))].join('\n'));
  else
    for (const p of rows)
      for (const r of p.repos) ctx.print(`${p.platform}  ${r.sha1}  ${r.status}  ${r.archs.join(',') || '-'}  ${r.modified.slice(0, 19)}  ${r.node}  ${r.url}`);
  return ExitCode.ok;
}

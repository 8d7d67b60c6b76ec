// The pool of chacra nodes behind shaman: which node is next, which nodes
// there are, and where builds live.
import { NoHealthyNodeError, nodeOfRepo } from '../../client/shaman.js';
import { ExitCode, HttpError, UsageError } from '../../errors.js';
import type { ShamanRepo } from '../../types.js';
import type { Context } from '../context.js';
import { shown } from '../format.js';
import { NoVerdictError } from '../no-verdict.js';
import type { Invocation } from '../grammar.js';
import { CommandFailure } from '../json.js';

export async function runNodeNext(_: Invocation, ctx: Context): Promise<number> {
  const shaman = await ctx.shaman({ needsCredentials: true });
  // A URL on stdout only when shaman answered one: `chacra_url=$(chacractl node next)` must never hold anything else.
  const node = await shaman.nextNode(ctx.signal).catch((err: unknown) => {
    if (err instanceof HttpError && !(err instanceof NoHealthyNodeError)) throw new NoVerdictError('which node is next', err);
    throw err;
  });
  if (ctx.json) ctx.printJson({ node });
  else ctx.print(node);
  return ExitCode.ok;
}

export async function runNodeLs(_: Invocation, ctx: Context): Promise<number> {
  const shaman = await ctx.shaman({ needsCredentials: false });
  const nodes = Object.values(await shaman.nodes(ctx.signal)).sort((a, b) => a.host.localeCompare(b.host));
  const rows = nodes.map((n) => ({ ...n, url: `${shaman.nodeScheme}://${n.host}/` }));
  if (ctx.json) {
    ctx.printJson({ nodes: rows });
    return ExitCode.ok;
  }
  if (rows.length === 0) ctx.logger.warn(`shaman at ${shaman.baseUrl} knows no node`);
  const width = Math.max(4, ...rows.map((r) => r.url.length));
  if (ctx.io.stdout.isTTY) ctx.print(`${'NODE'.padEnd(width)}  ${'HEALTH'.padEnd(9)}  FAILED  ${'LAST USED'.padEnd(19)}  LAST REGISTERED`);
  for (const r of rows)
    ctx.print(
      `${r.url.padEnd(width)}  ${(r.healthy ? 'healthy' : 'down').padEnd(9)}  ${String(r.down_count).padStart(6)}  ${shown(r.last_used.slice(0, 19)).padEnd(19)}  ${shown(r.last_check.slice(0, 19))}`,
    );
  return ExitCode.ok;
}

export async function runLocate({ args, values }: Invocation, ctx: Context): Promise<number> {
  const project = args[0]!;
  if (project.includes('/'))
    throw new UsageError(`locate takes a project name, not a path: ${JSON.stringify(project)}`, {
      hint: 'use --ref, --sha1, --distros and --flavor to narrow it',
    });
  // Waiting, or keeping one build's repos: every record looked at, each probed on its node (locate-wait-run.ts).
  if (values.wait === true || values['build-url'] !== undefined) return (await import('./locate-wait-run.js')).runLocateWait({ args, values }, ctx);
  const shaman = await ctx.shaman({ needsCredentials: false });
  const repos = await shaman.search(
    {
      project,
      ref: values.ref,
      sha1: values.sha1,
      distros: values.distros,
      flavor: values.flavor,
      status: values.ready === true ? 'ready' : undefined,
    },
    ctx.signal,
  );
  const rows = repos.map((r) => ({ node: nodeOfRepo(r), ...r }));
  if (ctx.json) ctx.printJson({ repos: rows });
  else for (const r of rows) ctx.print(describeRepo(r));
  if (rows.length === 0) {
    ctx.logger.warn(`no repo of ${project} matches`);
    ctx.failure(new CommandFailure('not-found', `no repo of ${project} matches`));
  }
  return rows.length ? ExitCode.ok : ExitCode.failed;
}

function describeRepo(r: ShamanRepo & { node: string }): string {
  return shown(`${repoPathOf(r)}  ${r.status}  ${r.archs.join(',') || '-'}  ${r.modified.slice(0, 19)}  ${r.node}  ${r.url}`);
}

/** The repo's path as chacra stored it (shaman recomputes distro_version: "22.04" for jammy), from its chacra_url. */
function repoPathOf(r: ShamanRepo): string {
  const parts = decodeURIComponent(new URL(r.chacra_url).pathname).split('/').filter(Boolean);
  const at = parts.indexOf('repos');
  const path = parts.slice(at + 1);
  if (path.at(-2) === 'flavors' && path.at(-1) === 'default') path.splice(-2);
  return path.join('/');
}

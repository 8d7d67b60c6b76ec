// The pool of chacra nodes behind shaman: which node is next, which nodes
// there are, and where builds live.
import { nodeOfRepo } from '../../client/shaman.js';
import { ExitCode, UsageError } from '../../errors.js';
import type { ShamanRepo } from '../../types.js';
import type { Context } from '../context.js';
import type { CommandSpec, Invocation } from '../grammar.js';

const SHAMAN_OPTIONS = ['shaman', 'insecure', 'ca', 'log', 'json', 'quiet', 'timeout', 'retries', 'retry-delay', 'help', 'version'];

export const nodeNext: CommandSpec = {
  path: ['node', 'next'],
  summary: 'print the chacra node shaman hands out next (one line: its URL); exit 3 when none is healthy',
  description: [
    'A drop-in for the line Ceph jobs run today:',
    '  chacra_url=$(curl -u "$SHAMAN_API_USER:$SHAMAN_API_KEY" https://shaman.ceph.com/api/nodes/next/)',
    'shaman health-checks the node it picks (about 2 s) and moves its rotation on.',
  ].join('\n'),
  args: [],
  options: [],
  globalOptions: SHAMAN_OPTIONS,
  examples: ['chacra_url=$(chacractl node next)', 'chacractl --shaman https://shaman.ceph.com node next'],
  async run(_: Invocation, ctx: Context): Promise<number> {
    const shaman = await ctx.shaman({ needsCredentials: true });
    const node = await shaman.nextNode(ctx.signal);
    if (ctx.json) ctx.printJson({ node });
    else ctx.print(node);
    return ExitCode.ok;
  },
};

export const nodeLs: CommandSpec = {
  path: ['node', 'ls'],
  summary: 'list the chacra nodes of the pool: health, failed checks, last use',
  args: [],
  options: [],
  globalOptions: SHAMAN_OPTIONS,
  examples: ['chacractl node ls', "chacractl node ls --json | jq -r '.[] | select(.healthy) | .url'"],
  async run(_: Invocation, ctx: Context): Promise<number> {
    const shaman = await ctx.shaman({ needsCredentials: false });
    const nodes = Object.values(await shaman.nodes(ctx.signal)).sort((a, b) => a.host.localeCompare(b.host));
    const rows = nodes.map((n) => ({ ...n, url: `${shaman.nodeScheme}://${n.host}/` }));
    if (ctx.json) {
      ctx.printJson(rows);
      return ExitCode.ok;
    }
    if (rows.length === 0) ctx.logger.warn(`shaman at ${shaman.baseUrl} knows no node`);
    const width = Math.max(4, ...rows.map((r) => r.url.length));
    if (ctx.io.stdout.isTTY) ctx.print(`${'NODE'.padEnd(width)}  ${'HEALTH'.padEnd(9)}  FAILED  ${'LAST USED'.padEnd(19)}  LAST REGISTERED`);
    for (const r of rows)
      ctx.print(
        `${r.url.padEnd(width)}  ${(r.healthy ? 'healthy' : 'down').padEnd(9)}  ${String(r.down_count).padStart(6)}  ${r.last_used.slice(0, 19).padEnd(19)}  ${r.last_check.slice(0, 19)}`,
      );
    return ExitCode.ok;
  },
};

export const locate: CommandSpec = {
  path: ['locate'],
  summary: 'show where builds are in the pool: node, repo URL, status, archs, time (exit 1 when none matches)',
  description: [
    "Asks shaman's search. --sha1 latest is the sha1 whose repos changed status last (with --distros: one",
    'that has a repo for each); --ready keeps ready repos only, before latest is chosen. --distros is a',
    'comma list of DISTRO/VERSION[/ARCH]; use codenames for ubuntu and debian releases shaman does not map.',
  ].join('\n'),
  args: [{ name: 'PROJECT', required: true }],
  options: ['ref', 'sha1', 'distros', 'flavor', 'ready'],
  globalOptions: SHAMAN_OPTIONS,
  optionHelp: { sha1: 'a build sha1, or latest', flavor: 'flavor, such as default or crimson' },
  examples: ['chacractl locate ceph --ref main --sha1 latest --distros centos/9/x86_64 --ready', 'chacractl locate ceph --sha1 1a2b3c --json'],
  async run({ args, values }: Invocation, ctx: Context): Promise<number> {
    const project = args[0]!;
    if (project.includes('/'))
      throw new UsageError(`locate takes a project name, not a path: ${JSON.stringify(project)}`, {
        hint: 'use --ref, --sha1, --distros and --flavor to narrow it',
      });
    const distros = values.distros as string | undefined;
    if (distros !== undefined)
      for (const d of distros.split(',')) {
        const parts = d.split('/');
        if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === ''))
          throw new UsageError(`--distros takes DISTRO/VERSION[/ARCH],... not ${JSON.stringify(distros)}`, { hint: 'such as centos/9,ubuntu/jammy/amd64' });
      }
    const shaman = await ctx.shaman({ needsCredentials: false });
    const repos = await shaman.search(
      {
        project,
        ref: values.ref as string | undefined,
        sha1: values.sha1 as string | undefined,
        distros,
        flavor: values.flavor as string | undefined,
        status: values.ready === true ? 'ready' : undefined,
      },
      ctx.signal,
    );
    const rows = repos.map((r) => ({ node: nodeOfRepo(r), ...r }));
    if (ctx.json) ctx.printJson(rows);
    else for (const r of rows) ctx.print(describeRepo(r));
    if (rows.length === 0) ctx.logger.warn(`no repo of ${project} matches`);
    return rows.length ? ExitCode.ok : ExitCode.failed;
  },
};

function describeRepo(r: ShamanRepo & { node: string }): string {
  return `${repoPathOf(r)}  ${r.status}  ${r.archs.join(',') || '-'}  ${r.modified.slice(0, 19)}  ${r.node}  ${r.url}`;
}

/** The repo's path as chacra stored it (shaman recomputes distro_version: "22.04" for jammy), from its chacra_url. */
function repoPathOf(r: ShamanRepo): string {
  const parts = decodeURIComponent(new URL(r.chacra_url).pathname).split('/').filter(Boolean);
  const at = parts.indexOf('repos');
  const path = parts.slice(at + 1);
  if (path.at(-2) === 'flavors' && path.at(-1) === 'default') path.splice(-2);
  return path.join('/');
}

import { splitUrlPart, parseBinaryRef } from '../../client/paths.js';
import { ExitCode, HttpError } from '../../errors.js';
import { repoState, type BinaryMetadata, type RepoDocument } from '../../types.js';
import type { Context } from '../context.js';
import { formatBytes } from '../format.js';
import type { CommandSpec, Invocation } from '../grammar.js';

function isMetadata(v: unknown): v is BinaryMetadata {
  return typeof v === 'object' && v !== null && 'checksum' in v && 'size' in v;
}

function isRepoDocument(v: unknown): v is RepoDocument {
  return typeof v === 'object' && v !== null && 'needs_update' in v && 'archs' in v;
}

/** Binaries as a table on a terminal, or one name per line when piped. */
export function printBinaries(ctx: Context, items: BinaryMetadata[], long: boolean): void {
  if (!ctx.io.stdout.isTTY) {
    for (const b of items) ctx.print(b.name);
    return;
  }
  const rows = items.map((b) => [b.name, formatBytes(b.size), b.flavor, b.modified.slice(0, 19), long ? b.checksum : b.checksum.slice(0, 12)]);
  const head = ['NAME', 'SIZE', 'FLAVOR', 'MODIFIED (UTC)', 'SHA512'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [head, ...rows]) ctx.print(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
}

export const ls: CommandSpec = {
  path: ['ls'],
  summary: 'list what the server holds under binaries/ (or repos/ with --repos), at any depth',
  args: [{ name: 'PATH' }],
  options: ['repos', 'long'],
  examples: ['chacractl ls', 'chacractl ls ceph/main', 'chacractl ls ceph/main/1a2b3c/centos/9/x86_64 --long', 'chacractl ls --repos ceph/main/1a2b3c/centos'],
  async run({ args, values }: Invocation, ctx: Context): Promise<number> {
    const root = values.repos ? 'repos' : 'binaries';
    const path = args[0] ?? '';
    const segments = path.replace(/^\/+|\/+$/g, '') === '' ? [] : splitUrlPart(path, 'PROJECT/REF/SHA1/DISTRO/VERSION/ARCH[/flavors/FLAVOR]', 'path');
    const client = await ctx.client({ needsCredentials: false });
    const data = await client.listing<unknown>(root, segments, ctx.signal);
    if (data === undefined) {
      ctx.logger.error(`${root}/${segments.join('/')} does not exist`);
      return ExitCode.failed;
    }
    if (ctx.json) {
      ctx.printJson(data);
      return ExitCode.ok;
    }
    if (Array.isArray(data)) {
      for (const item of data.map(String).sort()) ctx.print(item);
    } else if (isRepoDocument(data)) {
      ctx.print(`${data.project_name}/${data.ref}/${data.sha1}/${data.distro}/${data.distro_version} [${data.flavor}]: ${repoState(data)}`);
    } else if (data && typeof data === 'object') {
      const entries = Object.entries(data as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
      if (entries.length && entries.every(([, v]) => isMetadata(v))) printBinaries(ctx, entries.map(([, v]) => v as BinaryMetadata), values.long === true);
      else if (!ctx.io.stdout.isTTY) for (const [k] of entries) ctx.print(k);
      else for (const [k, v] of entries) ctx.print(`${k}/  ${Array.isArray(v) ? v.slice().sort().join(' ') : ''}`);
    }
    return ExitCode.ok;
  },
};

export const binaryShow: CommandSpec = {
  path: ['binary', 'show'],
  summary: "show one binary's metadata: size, sha512, flavor, dates",
  args: [{ name: 'URLPART', required: true }],
  options: [],
  examples: ['chacractl binary show ceph/main/1a2b3c/centos/9/x86_64/ceph-18.2.0-1.el9.x86_64.rpm'],
  async run({ args }: Invocation, ctx: Context): Promise<number> {
    const ref = parseBinaryRef(args[0]!);
    const client = await ctx.client({ needsCredentials: false });
    // The flavor level for flavored binaries: the arch level mixes flavors (#40).
    const meta = (await client.listTarget(ref, ctx.signal))?.[ref.name];
    if (!meta) {
      ctx.logger.error(`${args[0]} does not exist`);
      return ExitCode.failed;
    }
    if (ctx.json) ctx.printJson(meta);
    else for (const [k, v] of Object.entries(meta)) ctx.print(`${k.padEnd(15)} ${v === null ? '-' : String(v)}`);
    return ExitCode.ok;
  },
};

export const health: CommandSpec = {
  path: ['health'],
  summary: 'exit 0 when the server says it is healthy, 1 when it says it is not',
  args: [],
  options: [],
  examples: ['chacractl health'],
  async run(_: Invocation, ctx: Context): Promise<number> {
    const client = await ctx.client({ needsCredentials: false });
    const result = await client.health(ctx.signal).catch((err: unknown) => {
      if (err instanceof HttpError) return { healthy: false, message: err.message };
      throw err;
    });
    if (ctx.json) ctx.printJson({ url: client.baseUrl, ...result });
    else ctx.print(result.healthy ? `${client.baseUrl} is healthy` : `${client.baseUrl} is not healthy${result.message ? `: ${result.message}` : ''}`);
    return result.healthy ? ExitCode.ok : ExitCode.failed;
  },
};

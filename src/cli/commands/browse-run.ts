import { formatApiPath, parseBinaryRef, splitUrlPart, targetSegments } from '../../client/paths.js';
import { isBinaryMetadata, isRepoDocument, listingKind } from '../../client/shapes.js';
import { ExitCode, HttpError, UsageError } from '../../errors.js';
import { listOnNodes } from '../../operations/pool-reads.js';
import { repoState, type BinaryMetadata, type BinaryRef, type SearchQuery } from '../../types.js';
import type { Context } from '../context.js';
import { formatBytes, shown } from '../format.js';
import { NoVerdictError } from '../no-verdict.js';
import { readClient } from '../pool.js';
import type { Invocation } from '../grammar.js';
import { CommandFailure } from '../json.js';
import { CLIENT_KEYS, filterEntries, SERVER_KEYS } from './browse.js';

/** Binaries as a table on a terminal, or one name per line when piped; with the pool and --long, the nodes that hold each. */
export function printBinaries(ctx: Context, items: BinaryMetadata[], long: boolean, holders?: Record<string, string[]>): void {
  if (!ctx.io.stdout.isTTY) {
    for (const b of items) ctx.print(shown(b.name) + (long && holders ? `  ${(holders[b.name] ?? []).join(' ')}` : ''));
    return;
  }
  const rows = items.map((b) => {
    const row = [shown(b.name), formatBytes(b.size), shown(b.flavor), shown(b.modified.slice(0, 19)), shown(long ? b.checksum : b.checksum.slice(0, 12))];
    return long && holders ? [...row, (holders[b.name] ?? []).join(' ')] : row;
  });
  const head = ['NAME', 'SIZE', 'FLAVOR', 'MODIFIED (UTC)', 'SHA512', ...(long && holders ? ['NODES'] : [])];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [head, ...rows]) ctx.print(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
}

export async function runLs({ args, values }: Invocation, ctx: Context): Promise<number> {
  let root: 'binaries' | 'repos' = values.repos ? 'repos' : 'binaries';
  const path = args[0] ?? '';
  let segments = path.replace(/^\/+|\/+$/g, '') === '' ? [] : splitUrlPart(path, 'PROJECT/REF/SHA1/DISTRO/VERSION/ARCH[/flavors/FLAVOR]', 'path');
  // binaries/... and repos/..., as exists takes them (a project named binaries or repos: list it from the root).
  if (segments[0] === 'binaries' || segments[0] === 'repos') {
    if (segments[0] === 'binaries' && values.repos)
      throw new UsageError(`--repos lists repos/, and ${JSON.stringify(path)} is under binaries/`, { hint: 'drop --repos, or write the path under repos/' });
    root = segments[0];
    segments = segments.slice(1);
  }
  // A binary's own path answers its bytes: show what its target's listing says of it instead.
  if (root === 'binaries' && listingKind(root, segments) === 'binary') return showBinary(ctx, binaryOf(segments), formatApiPath(root, segments));
  const pool = await ctx.pool();
  let data: unknown;
  let holders: Record<string, string[]> | undefined;
  if (pool) {
    // Through the pool, the union over the nodes: each holds some builds.
    const found = await listOnNodes(pool.shaman, root, segments, { clientFor: (node) => pool.clientFor(node), signal: ctx.signal });
    data = found?.listing;
    holders = found?.holders;
  } else data = await (await readClient(ctx, root, segments)).listing<unknown>(root, segments, ctx.signal);
  if (data === undefined) throw new CommandFailure('not-found', `${formatApiPath(root, segments)} does not exist${pool ? ' on any node of the pool' : ''}`);
  if (ctx.json) {
    // Nested: a listing's keys are the server's names, which may be anything.
    ctx.printJson({ path: formatApiPath(root, segments), listing: data, ...(holders ? { nodes: holders } : {}) });
    return ExitCode.ok;
  }
  const long = values.long === true;
  const nodesOf = (name: string) => (long && holders ? `  ${(holders[name] ?? []).join(' ')}` : '');
  if (Array.isArray(data)) {
    for (const item of (data as string[]).slice().sort()) ctx.print(shown(item) + nodesOf(item));
  } else if (isRepoDocument(data)) {
    ctx.print(
      `${shown(`${data.project_name}/${data.ref}/${data.sha1}/${data.distro}/${data.distro_version} [${data.flavor}]`)}: ${repoState(data)}${nodesOf('')}`,
    );
  } else if (data && typeof data === 'object') {
    const entries = Object.entries(data as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
    if (entries.length && entries.every(([, v]) => isBinaryMetadata(v)))
      printBinaries(
        ctx,
        entries.map(([, v]) => v as BinaryMetadata),
        long,
        holders,
      );
    else if (!ctx.io.stdout.isTTY) for (const [k] of entries) ctx.print(shown(k) + nodesOf(k));
    else for (const [k, v] of entries) ctx.print(`${shown(k)}/  ${Array.isArray(v) ? shown(v.slice().sort().join(' ')) : ''}${nodesOf(k)}`);
  }
  return ExitCode.ok;
}

/** A binary's ref from its path's segments below binaries/. */
function binaryOf(segments: readonly string[]): BinaryRef {
  const [project, ref, sha1, distro, version, arch] = segments as [string, string, string, string, string, string];
  return { project, ref, sha1, distro, version, arch, flavor: segments.length === 9 ? segments[7] : undefined, name: segments.at(-1) as string };
}

/** One binary's metadata, as its target lists it; exit 1 when the target does not list it. */
async function showBinary(ctx: Context, ref: BinaryRef, path: string): Promise<number> {
  const client = await readClient(ctx, 'binaries', [...targetSegments(ref), ref.name]);
  // listTarget reads the flavor level, default included: the arch level mixes flavors (#40).
  const meta = (await client.listTarget(ref, ctx.signal))?.[ref.name];
  if (!meta) throw new CommandFailure('not-found', `${path} does not exist`);
  if (ctx.json) ctx.printJson(meta);
  else for (const [k, v] of Object.entries(meta)) ctx.print(`${k.padEnd(15)} ${v === null ? '-' : shown(String(v))}`);
  return ExitCode.ok;
}

export async function runBinaryShow({ args }: Invocation, ctx: Context): Promise<number> {
  return showBinary(ctx, parseBinaryRef(args[0]!), args[0]!);
}

export async function runHealth(_: Invocation, ctx: Context): Promise<number> {
  const client = await ctx.client({ needsCredentials: false });
  // Its verdict is a 2xx (healthy) or a 5xx (not healthy); any other answer is not chacra's health.
  const result = await client.health(ctx.signal).catch((err: unknown) => {
    if (err instanceof HttpError) throw new NoVerdictError(`whether ${client.baseUrl} is healthy`, err);
    throw err;
  });
  if (!result.healthy)
    ctx.failure(
      new CommandFailure('http', `${client.baseUrl} is not healthy: it answered ${result.status}${result.message ? ` "${result.message}"` : ''}`, {
        status: result.status,
      }),
    );
  if (ctx.json) ctx.printJson({ url: client.baseUrl, healthy: result.healthy, status: result.status, message: result.message ?? null });
  else if (result.healthy) ctx.print(`${client.baseUrl} is healthy`);
  else ctx.print(`${client.baseUrl} is not healthy: it answered ${result.status}${result.message ? ` "${shown(result.message)}"` : ''}`);
  return result.healthy ? ExitCode.ok : ExitCode.failed;
}

export function binaryPath(b: BinaryMetadata): string {
  const flavor = b.flavor === 'default' ? '' : `/flavors/${b.flavor}`;
  return `${b.project}/${b.ref}/${b.sha1}/${b.distro}/${b.distro_version}/${b.arch}${flavor}/${b.name}`;
}

export async function runSearch({ values }: Invocation, ctx: Context): Promise<number> {
  const query: SearchQuery = {};
  for (const [option, key] of filterEntries(SERVER_KEYS)) {
    const value = values[option];
    if (value !== undefined) query[key] = String(value);
  }
  const local = filterEntries(CLIENT_KEYS).filter(([option]) => values[option] !== undefined);
  if (Object.keys(query).length === 0 && local.length === 0)
    throw new UsageError('search needs at least one filter', { hint: "run 'chacractl search --help'" });
  // With only local filters, ask for every binary: a name containing "" is any name.
  if (Object.keys(query).length === 0) query['name-has'] = '';
  const client = await ctx.client({ needsCredentials: false });
  const found = (await client.search(query, ctx.signal))
    .filter((b) => local.every(([option, key]) => b[key] === values[option]))
    .sort((a, b) => binaryPath(a).localeCompare(binaryPath(b)));
  if (found.length === 0) ctx.failure(new CommandFailure('not-found', 'no binary matches'));
  if (ctx.json) ctx.printJson({ binaries: found });
  else if (!ctx.io.stdout.isTTY) for (const b of found) ctx.print(shown(binaryPath(b)));
  else
    printBinaries(
      ctx,
      found.map((b) => ({ ...b, name: binaryPath(b) })),
      values.long === true,
    );
  return found.length ? ExitCode.ok : ExitCode.failed;
}

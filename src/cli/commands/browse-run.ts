import { formatApiPath, parseBinaryRef, splitUrlPart, targetSegments } from '../../client/paths.js';
import { ExitCode, HttpError, UsageError } from '../../errors.js';
import { repoState, type BinaryMetadata, type RepoDocument, type SearchQuery } from '../../types.js';
import type { Context } from '../context.js';
import { formatBytes } from '../format.js';
import { readClient } from '../pool.js';
import type { Invocation } from '../grammar.js';
import { CommandFailure } from '../json.js';
import { CLIENT_KEYS, filterEntries, SERVER_KEYS } from './browse.js';

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
  const client = await readClient(ctx, root, segments);
  const data = await client.listing<unknown>(root, segments, ctx.signal);
  if (data === undefined) throw new CommandFailure('not-found', `${formatApiPath(root, segments)} does not exist`);
  if (ctx.json) {
    // Nested: a listing's keys are the server's names, which may be anything.
    ctx.printJson({ path: formatApiPath(root, segments), listing: data });
    return ExitCode.ok;
  }
  if (Array.isArray(data)) {
    for (const item of data.map(String).sort()) ctx.print(item);
  } else if (isRepoDocument(data)) {
    ctx.print(`${data.project_name}/${data.ref}/${data.sha1}/${data.distro}/${data.distro_version} [${data.flavor}]: ${repoState(data)}`);
  } else if (data && typeof data === 'object') {
    const entries = Object.entries(data as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
    if (entries.length && entries.every(([, v]) => isMetadata(v)))
      printBinaries(
        ctx,
        entries.map(([, v]) => v as BinaryMetadata),
        values.long === true,
      );
    else if (!ctx.io.stdout.isTTY) for (const [k] of entries) ctx.print(k);
    else for (const [k, v] of entries) ctx.print(`${k}/  ${Array.isArray(v) ? v.slice().sort().join(' ') : ''}`);
  }
  return ExitCode.ok;
}

export async function runBinaryShow({ args }: Invocation, ctx: Context): Promise<number> {
  const ref = parseBinaryRef(args[0]!);
  const client = await readClient(ctx, 'binaries', [...targetSegments(ref), ref.name]);
  // listTarget reads the flavor level, default included: the arch level mixes flavors (#40).
  const meta = (await client.listTarget(ref, ctx.signal))?.[ref.name];
  if (!meta) throw new CommandFailure('not-found', `${args[0]} does not exist`);
  if (ctx.json) ctx.printJson(meta);
  else for (const [k, v] of Object.entries(meta)) ctx.print(`${k.padEnd(15)} ${v === null ? '-' : String(v)}`);
  return ExitCode.ok;
}

export async function runHealth(_: Invocation, ctx: Context): Promise<number> {
  const client = await ctx.client({ needsCredentials: false });
  const result = await client.health(ctx.signal).catch((err: unknown) => {
    if (err instanceof HttpError) return { healthy: false, status: err.status, message: err.serverMessage };
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
  else ctx.print(`${client.baseUrl} is not healthy: it answered ${result.status}${result.message ? ` "${result.message}"` : ''}`);
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
  else if (!ctx.io.stdout.isTTY) for (const b of found) ctx.print(binaryPath(b));
  else
    printBinaries(
      ctx,
      found.map((b) => ({ ...b, name: binaryPath(b) })),
      values.long === true,
    );
  return found.length ? ExitCode.ok : ExitCode.failed;
}

// "latest" in place of a sha1 (repo file ceph/main/latest/centos/9, exists
// repos/ceph/main/latest/centos/9), with the pool: the newest ready repo of the
// ref for that distro version (and flavor, and arch for a binaries path) that
// answers on its node, found through shaman. What the jobs fetched with
// `curl --fail -L https://shaman.ceph.com/api/repos/P/REF/latest/D/V/repo`,
// without the redirect to a node that may no longer hold the repo.
import type { RepoRef } from '../client/paths.js';
import { ChacraError } from '../errors.js';
import { findBuilds, type MissingPlatform } from '../operations/build-wait.js';
import { PoolNoVerdictError, reasonOf } from '../operations/pool-reads.js';
import { apiPath } from '../operations/simple.js';
import type { Context } from './context.js';

/** No ready repo of the ref and platform answers on any node. */
export class NoLatestRepoError extends ChacraError {
  constructor(
    readonly asked: string,
    readonly missing: MissingPlatform[],
  ) {
    super(`no ready repo for ${asked}: ${missing.map((m) => m.reason).join('; ')}`, {
      hint: 'chacractl locate PROJECT --ref REF --distros DISTRO/VERSION shows what shaman has; --wait waits for it',
    });
  }
}

/**
 * The sha1 of the newest ready repo of project/ref on distro/version[/arch]
 * in flavor; undefined when the pool is not in use (a chacra url is set: it
 * knows no "latest"). NoLatestRepoError when none answers: shaman has no
 * record, or every record's node answered that it has no such repo.
 * PoolNoVerdictError when none answers and a record's node could not be
 * asked: its repo may be there. (shaman that cannot be asked throws its own
 * error, no verdict either.)
 */
async function latestSha1(ctx: Context, p: { project: string; ref: string; platform: string; flavor: string; asked: string }): Promise<string | undefined> {
  const pool = await ctx.pool();
  if (!pool) return undefined;
  const look = await findBuilds(pool.shaman, {
    project: p.project,
    ref: p.ref,
    sha1: 'latest',
    distros: [p.platform],
    flavor: p.flavor,
    ready: true,
    signal: ctx.signal,
    clientFor: (node) => pool.clientFor(node),
  });
  if (!look.found?.sha1) {
    const unasked = look.missing.flatMap((m) => m.unasked);
    if (unasked.length) throw new PoolNoVerdictError(`whether there is a ready repo for ${p.asked}`, unasked);
    throw new NoLatestRepoError(p.asked, look.missing);
  }
  ctx.logger.info(`${p.asked}: the newest ready repo is of sha1 ${look.found.sha1}`);
  // A newer one whose node could not be asked is not usable now either: said, not hidden.
  for (const f of look.found.passedOver ?? [])
    ctx.logger.warn(`${p.asked}: passed over a newer ready repo on ${f.node}, which could not be asked: ${reasonOf(f.error)}`);
  return look.found.sha1;
}

/** The repo with "latest" resolved, with the pool; as it is otherwise. */
export async function resolveLatestRepo(ctx: Context, ref: RepoRef): Promise<RepoRef> {
  if (ref.sha1 !== 'latest') return ref;
  const flavor = ref.flavor ?? 'default';
  const asked = `${ref.project}/${ref.ref}/latest/${ref.distro}/${ref.version}${flavor === 'default' ? '' : `/flavors/${flavor}`}`;
  const sha1 = await latestSha1(ctx, { project: ref.project, ref: ref.ref, platform: `${ref.distro}/${ref.version}`, flavor, asked });
  return sha1 === undefined ? ref : { ...ref, sha1 };
}

/**
 * Segments below binaries/ or repos/ with a "latest" sha1 resolved, with the
 * pool; as they are otherwise, and for paths above the distro version.
 */
export async function resolveLatestSegments(ctx: Context, root: 'binaries' | 'repos', segments: readonly string[]): Promise<readonly string[]> {
  if (segments[2] !== 'latest' || segments.length < 5) return segments;
  const [project, ref, , distro, version] = segments as [string, string, string, string, string];
  const flavorAt = root === 'binaries' ? 6 : 5;
  const flavor = segments[flavorAt] === 'flavors' && segments[flavorAt + 1] !== undefined ? segments[flavorAt + 1]! : 'default';
  const arch = root === 'binaries' ? segments[5] : undefined;
  const platform = [distro, version, arch].filter((s) => s !== undefined).join('/');
  const sha1 = await latestSha1(ctx, { project, ref, platform, flavor, asked: `${root}/${segments.join('/')}` });
  return sha1 === undefined ? segments : [project, ref, sha1, ...segments.slice(3)];
}

/**
 * An exists PATH (binaries/... or repos/...) with "latest" resolved, with the
 * pool; undefined when no ready repo answers for it and every node asked said
 * so (the path does not exist). PoolNoVerdictError when a node could not be asked.
 */
export async function resolveLatestPath(ctx: Context, path: string): Promise<string | undefined> {
  const { root, segments } = apiPath(path);
  if (segments[2] !== 'latest') return path;
  try {
    return `${root}/${(await resolveLatestSegments(ctx, root, segments)).join('/')}`;
  } catch (err) {
    if (!(err instanceof NoLatestRepoError)) throw err;
    ctx.logger.info(err.message);
    return undefined;
  }
}

// URL parts as users write them (P/REF/SHA1/DISTRO/VER/ARCH[/flavors/F]) and
// the checks that run before any request: a malformed part must never reach
// the server as some other, valid-looking URL.
import { UsageError } from '../errors.js';

export type { BinaryRef, BinaryTarget, RepoRef } from '../types.js';
import type { BinaryRef, BinaryTarget, RepoRef } from '../types.js';

export const TARGET_SHAPE = 'PROJECT/REF/SHA1/DISTRO/VERSION/ARCH[/flavors/FLAVOR]';
export const BINARY_SHAPE = 'PROJECT/REF/SHA1/DISTRO/VERSION/ARCH[/flavors/FLAVOR]/NAME';
export const REPO_SHAPE = 'PROJECT/REF/SHA1/DISTRO/VERSION[/flavors/FLAVOR]';

/** Checks one segment; returns a reason when it is unusable. */
export function segmentProblem(segment: string): string | undefined {
  if (segment === '') return 'an empty segment';
  if (segment === '.' || segment === '..') return `a "${segment}" segment`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(segment)) return 'a control character';
  if (/%(2f|5c)/i.test(segment)) return 'a percent-encoded slash';
  if (segment.includes('\\')) return 'a backslash';
  return undefined;
}

/** Splits a user's URL part into checked segments; one leading or trailing slash is tolerated. */
export function splitUrlPart(input: string, shape: string, what: string): string[] {
  const trimmed = input.replace(/^\/(?!\/)/, '').replace(/(?<!\/)\/$/, '');
  const segments = trimmed.split('/');
  for (const segment of segments) {
    const problem = segmentProblem(segment);
    if (problem)
      throw new UsageError(`invalid ${what} ${JSON.stringify(input)}: it has ${problem}`, {
        hint: `expected ${shape}`,
      });
  }
  return segments;
}

function withFlavor(segments: string[], fixed: number, input: string, shape: string, what: string): string | undefined {
  if (segments.length === fixed) return undefined;
  if (segments.length === fixed + 2 && segments[fixed] === 'flavors') return segments[fixed + 1];
  throw new UsageError(`invalid ${what} ${JSON.stringify(input)}: it has ${segments.length} segments`, { hint: `expected ${shape}` });
}

/**
 * Drops a leading root segment (binaries or repos, as an exists path starts)
 * when the segments have the shape only with it dropped: a project of that
 * name keeps its place when the count fits without dropping it.
 */
function dropRoot(segments: string[], root: string, fits: (count: number) => boolean): string[] {
  return segments[0] === root && !fits(segments.length) && fits(segments.length - 1) ? segments.slice(1) : segments;
}

export function parseBinaryTarget(input: string): BinaryTarget {
  const what = 'upload target';
  const s = dropRoot(splitUrlPart(input, TARGET_SHAPE, what), 'binaries', (n) => n === 6 || n === 8);
  const flavor = withFlavor(s, 6, input, TARGET_SHAPE, what);
  const [project, ref, sha1, distro, version, arch] = s as [string, string, string, string, string, string];
  return { project, ref, sha1, distro, version, arch, flavor };
}

/**
 * What a segment of a new repo may hold: chacra builds the repo's URL from
 * them (/r/PROJECT/REF/SHA1/DISTRO/VERSION/flavors/FLAVOR/) and writes it as
 * the baseurl of a .repo file or the URL of an apt line, which yum and apt
 * read up to the first blank, where yum expands $variables and where #, ? and
 * % change what the URL means. Ceph's builds use letters, digits and . _ - in
 * every segment, + and ~ in versions, and @ = , : occur in git refs: those,
 * and only those, are taken.
 */
const REPO_SEGMENT = /^[A-Za-z0-9._+~@=,:-]+$/;

/** Why a segment cannot make a usable repo, or undefined when it can. */
export function repoSegmentProblem(segment: string): string | undefined {
  if (REPO_SEGMENT.test(segment)) return undefined;
  const bad = [...segment].find((ch) => !REPO_SEGMENT.test(ch))!;
  const shown = /\s/.test(bad) ? (bad === ' ' ? 'a space' : 'a blank') : JSON.stringify(bad);
  const why = /\s/.test(bad)
    ? "yum and apt read a repo's URL up to the first blank"
    : bad === '$'
      ? 'yum expands $ in a baseurl'
      : bad === '#' || bad === '?' || bad === '%'
        ? `${bad} changes what the repo's URL means`
        : "it has no place in a repo's URL as it is";
  return `${shown}, which cannot make a usable repo: ${why}`;
}

const ROLES = ['project', 'ref', 'sha1', 'distro', 'version', 'arch'] as const;
const REPO_CHARACTERS = 'letters, digits and . _ - + ~ @ = , :';

/**
 * An upload target, whose segments will name a new repo: each must make a
 * usable repo URL (see repoSegmentProblem), or it is a usage error before
 * anything is sent. Reads, deletes and downloads take any target the server
 * holds (parseBinaryTarget), so that what exists can still be cleaned up.
 */
export function parseUploadTarget(input: string): BinaryTarget {
  const target = parseBinaryTarget(input);
  const named: [string, string | undefined][] = [...ROLES.map((role): [string, string] => [role, target[role]]), ['flavor', target.flavor]];
  for (const [role, segment] of named) {
    const problem = segment === undefined ? undefined : repoSegmentProblem(segment);
    if (problem)
      throw new UsageError(`invalid upload target ${JSON.stringify(input)}: its ${role} ${JSON.stringify(segment)} has ${problem}`, {
        hint: `each segment of ${TARGET_SHAPE} holds ${REPO_CHARACTERS} only`,
      });
  }
  return target;
}

export function parseBinaryRef(input: string): BinaryRef {
  const what = 'binary path';
  const s = dropRoot(splitUrlPart(input, BINARY_SHAPE, what), 'binaries', (n) => n === 7 || n === 9);
  const name = s.pop() as string;
  if (s.length !== 6 && !(s.length === 8 && s[6] === 'flavors'))
    throw new UsageError(`invalid ${what} ${JSON.stringify(input)}: it has ${s.length + 1} segments`, {
      hint: `expected ${BINARY_SHAPE}`,
    });
  const [project, ref, sha1, distro, version, arch] = s as [string, string, string, string, string, string];
  return { project, ref, sha1, distro, version, arch, flavor: s[7], name };
}

export function parseRepoRef(input: string): RepoRef {
  const what = 'repo path';
  const s = dropRoot(splitUrlPart(input, REPO_SHAPE, what), 'repos', (n) => n === 5 || n === 7);
  const flavor = withFlavor(s, 5, input, REPO_SHAPE, what);
  const [project, ref, sha1, distro, version] = s as [string, string, string, string, string];
  return { project, ref, sha1, distro, version, flavor };
}

export function parseProjectName(input: string): string {
  const s = splitUrlPart(input, 'PROJECT', 'project name');
  if (s.length !== 1) throw new UsageError(`invalid project name ${JSON.stringify(input)}: it holds a slash`, { hint: 'expected PROJECT' });
  // A new project names the repos of its builds: it must make a usable repo URL.
  const problem = repoSegmentProblem(s[0]!);
  if (problem)
    throw new UsageError(`invalid project name ${JSON.stringify(input)}: it has ${problem}`, { hint: `a project name holds ${REPO_CHARACTERS} only` });
  return s[0] as string;
}

export function targetSegments(t: BinaryTarget): string[] {
  const s = [t.project, t.ref, t.sha1, t.distro, t.version, t.arch];
  return t.flavor === undefined ? s : [...s, 'flavors', t.flavor];
}

export function repoSegments(r: RepoRef): string[] {
  const s = [r.project, r.ref, r.sha1, r.distro, r.version];
  return r.flavor === undefined ? s : [...s, 'flavors', r.flavor];
}

/** The URL part a user would write for a target, for messages. */
export function formatTarget(t: BinaryTarget): string {
  return targetSegments(t).join('/');
}

/** A binary as a user writes it: its target, then its name. */
export function formatBinary(b: BinaryRef): string {
  return [...targetSegments(b), b.name].join('/');
}

/** A path below the API root, as `exists` takes it: binaries/... or repos/... */
export function formatApiPath(root: 'binaries' | 'repos', segments: readonly string[]): string {
  return [root, ...segments].join('/');
}

export function formatRepo(r: RepoRef): string {
  return repoSegments(r).join('/');
}

/** Percent-encodes each segment and joins them with a trailing slash, as chacra wants (#15, #41-#51). */
export function encodePath(segments: readonly string[]): string {
  return segments.map((s) => encodeURIComponent(s)).join('/') + (segments.length ? '/' : '');
}

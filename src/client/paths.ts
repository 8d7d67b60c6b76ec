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

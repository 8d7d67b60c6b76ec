// The order of a fresh target's first uploads, which chacra cannot take at once.
import { formatRepo, formatTarget } from '../client/paths.js';
import type { Plan, Work } from './upload-types.js';

/**
 * chacra creates a binary's repo record, and its project, on the first upload
 * without a lock: concurrent first uploads into one repo leave duplicate repo
 * records that split its binaries, and concurrent first uploads into a new
 * project fail with a 500 for all but one. Both seen on a real chacra. So where
 * a target held nothing when planned, one upload, the smallest, goes first:
 * alone in its project, then one per repo, then the rest. Puts those first
 * in the plan's work, and returns, by repo, what each file waits for.
 */
export function firstUploadsAlone(plan: Plan): { repos: ReadonlySet<string>; waitFor: (w: Work) => string | undefined } {
  /** Each fresh repo's first upload, by its place in the plan's work. */
  const byRepo = new Map<string, number>();
  /** The repo whose first upload is each project's first. */
  const byProject = new Map<string, string>();
  /** Fresh targets: their files wait for their repo's first upload. */
  const fresh = new Set<string>();
  /** What each repo's first upload waits for: the first of its project. */
  const repoWaits = new Map<string, string>();
  for (const [name, { target, smallest, fresh: isFresh }] of plan.targets) {
    if (!isFresh) continue;
    fresh.add(name);
    const repo = formatRepo(target);
    if (byRepo.has(repo)) continue;
    byRepo.set(repo, smallest);
    const first = byProject.get(target.project);
    if (first === undefined) byProject.set(target.project, repo);
    else repoWaits.set(repo, first);
  }
  // The pioneers are sent first, so that nothing waits holding a lane for long.
  if (byRepo.size > 0) plan.work.leadWith([...byRepo.values()]);
  return {
    repos: new Set(byRepo.keys()),
    waitFor: (w) => {
      if (w.pioneer) return repoWaits.get(formatRepo(w.target));
      return fresh.has(formatTarget(w.target)) ? formatRepo(w.target) : undefined;
    },
  };
}

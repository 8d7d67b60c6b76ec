// The build pipeline's talk with shaman: reporting a build's state, listing
// the builds, and waiting for a build on every platform (locate --wait).
import { splitUrlPart } from '../../client/paths.js';
import { BUILD_STATES, type ShamanBuild } from '../../client/shaman-builds.js';
import { ExitCode, HttpError, UsageError } from '../../errors.js';
import { buildReportOf, jenkinsExtra, parseBuildTarget, reportBuild } from '../../operations/build-report.js';
import type { Context } from '../context.js';
import { shown } from '../format.js';
import { CommandFailure } from '../json.js';
import type { Invocation } from '../grammar.js';

/** --extra KEY=VALUE, in order: a later key wins. */
function extraOf(texts: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of texts) {
    const eq = t.indexOf('=');
    if (eq <= 0) throw new UsageError(`--extra takes KEY=VALUE, not ${JSON.stringify(t)}`, { hint: 'such as --extra package_manager_version=19.2.0-1.el9' });
    out[t.slice(0, eq)] = t.slice(eq + 1);
  }
  return out;
}

export async function runBuildUpdate({ args, values }: Invocation, ctx: Context): Promise<number> {
  const state = args[0]!;
  if (!(BUILD_STATES as readonly string[]).includes(state))
    throw new UsageError(`unknown build state ${JSON.stringify(state)}`, { hint: `one of ${BUILD_STATES.join(', ')}` });
  const target = parseBuildTarget(args[1]!);
  const buildUrl = values['build-url'] ?? (ctx.io.env.BUILD_URL || undefined);
  if (buildUrl === undefined)
    throw new UsageError('a build report needs the build url', { hint: 'pass --build-url URL, or run it where Jenkins sets BUILD_URL' });
  const input = {
    state,
    target,
    buildUrl,
    logUrl: values['log-url'],
    version: values['build-version'],
    extra: { ...jenkinsExtra(ctx.io.env), ...extraOf(values.extra ?? []) },
  };
  const shaman = await ctx.shaman({ needsCredentials: true });
  let result: Awaited<ReturnType<typeof reportBuild>>;
  try {
    result = await reportBuild(shaman, input, ctx.signal);
  } catch (err) {
    // Any refusal is loud and no verdict: shaman still says what it said before (exit 3, its words).
    if (!(err instanceof HttpError)) throw err;
    const refused = new HttpError(
      { method: err.method, url: err.url, status: err.status, serverMessage: err.serverMessage, hint: err.hint ?? "see shaman's log" },
      `shaman did not record the build: ${err.message}`,
    );
    ctx.logger.error(refused.message);
    // The advice names shaman's settings for a refused key, as the --json document's hint does.
    const { advice } = await import('../advice.js');
    ctx.logger.error(`hint: ${advice(refused, ctx.settings()) ?? "see shaman's log"}`);
    // --json: the body that was not recorded; the envelope's error holds shaman's status and words.
    if (ctx.json) ctx.printJson({ sent: buildReportOf(input), answer: null });
    ctx.failure(refused);
    return ExitCode.unreachable;
  }
  if (ctx.json) ctx.printJson(result);
  else
    ctx.print(
      `${state} ${[target.project, target.ref, target.sha1, target.distro, target.version, target.arch].filter((p) => p !== undefined).join('/')} [${target.flavor}] ${result.sent.url}`,
    );
  return ExitCode.ok;
}

function platformOf(b: ShamanBuild): string {
  const version = b.distro_codename ?? b.distro_version;
  return b.distro ? [b.distro, version, b.distro_arch].filter((p) => p !== null).join('/') : '-';
}

export async function runBuildLs({ args }: Invocation, ctx: Context): Promise<number> {
  const path = (args[0] ?? '').replace(/^\/+|\/+$/g, '');
  const parts = path === '' ? [] : splitUrlPart(path, 'PROJECT[/REF[/SHA1]]', 'path');
  if (parts.length > 3) throw new UsageError(`build ls takes PROJECT[/REF[/SHA1]], not ${JSON.stringify(args[0])}`);
  const shaman = await ctx.shaman({ needsCredentials: false });
  const [project, ref, sha1] = parts;
  // Each depth has its own key in --json: projects (each with its refs), refs, sha1s, builds; empty when none.
  const none = (what: string, data: object) => {
    ctx.logger.error(what);
    if (ctx.json) ctx.printJson(data);
    ctx.failure(new CommandFailure('not-found', what));
    return ExitCode.failed;
  };
  if (project === undefined) {
    const projects = Object.entries(await shaman.buildProjects(ctx.signal)).filter(([, refs]) => refs.length > 0);
    if (projects.length === 0) return none(`shaman at ${shaman.baseUrl} has no builds`, { projects: {} });
    if (ctx.json) ctx.printJson({ projects: Object.fromEntries(projects) });
    else for (const [p] of projects.sort(([a], [b]) => a.localeCompare(b))) ctx.print(shown(p));
    return ExitCode.ok;
  }
  if (ref === undefined || sha1 === undefined) {
    const key = ref === undefined ? 'refs' : 'sha1s';
    const names = ref === undefined ? await shaman.buildRefs(project, ctx.signal) : await shaman.buildSha1s(project, ref, ctx.signal);
    if (names === undefined) return none(`shaman knows no project ${project}`, { [key]: [] });
    if (names.length === 0) return none(`no builds of ${path}`, { [key]: [] });
    if (ctx.json) ctx.printJson({ [key]: [...names].sort() });
    else for (const n of [...names].sort()) ctx.print(shown(n));
    return ExitCode.ok;
  }
  const builds = await shaman.builds(project, ref, sha1, ctx.signal);
  if (builds === undefined) return none(`shaman knows no project ${project}`, { builds: [] });
  if (builds.length === 0) return none(`no builds of ${path}`, { builds: [] });
  const newest = [...builds].sort((a, b) => (a.modified < b.modified ? 1 : a.modified > b.modified ? -1 : 0));
  if (ctx.json) {
    ctx.printJson({ builds: newest });
    return ExitCode.ok;
  }
  // shaman's words: no escape sequence of theirs reaches the terminal.
  const rows = newest.map((b) =>
    [platformOf(b), b.flavor, b.status, (b.started ?? '-').slice(0, 19), (b.completed ?? '-').slice(0, 19), b.url ?? '-'].map((c) => shown(c)),
  );
  const head = ['PLATFORM', 'FLAVOR', 'STATUS', 'STARTED (UTC)', 'COMPLETED (UTC)', 'URL'];
  const all = ctx.io.stdout.isTTY ? [head, ...rows] : rows;
  const widths = head.map((_, i) => Math.max(0, ...all.map((r) => r[i]!.length)));
  for (const r of all) ctx.print(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
  return ExitCode.ok;
}

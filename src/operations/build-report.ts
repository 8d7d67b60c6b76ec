// Reporting a build's state to shaman: what ceph-build's submit_build_status
// (scripts/build_utils.sh, and its copy update_shaman.sh) did with a heredoc
// and `curl` without -f. Here the body is JSON whatever its values hold, and
// a refusal is an error, not a page nobody reads.
import { segmentProblem } from '../client/paths.js';
import type { BuildReport } from '../client/shaman-builds.js';
import type { ShamanClient } from '../client/shaman.js';
import { UsageError } from '../errors.js';

export const BUILD_TARGET_SHAPE = 'PROJECT/REF/SHA1[/DISTRO/VERSION/ARCH][/flavors/FLAVOR]';

export interface BuildTarget {
  project: string;
  ref: string;
  sha1: string;
  /** Absent for a job that builds no platform (ceph-dev-setup, a trigger). */
  distro?: string | undefined;
  version?: string | undefined;
  arch?: string | undefined;
  flavor: string;
}

/** PROJECT/REF/SHA1[/DISTRO/VERSION/ARCH][/flavors/FLAVOR]; a UsageError says what is wrong. */
export function parseBuildTarget(input: string): BuildTarget {
  const parts = input.replace(/^\/+|\/+$/g, '').split('/');
  let flavor = 'default';
  const at = parts.indexOf('flavors');
  if (at >= 0) {
    if (at !== parts.length - 2) throw new UsageError(`${JSON.stringify(input)} is not ${BUILD_TARGET_SHAPE}: flavors/ takes one name, at the end`);
    flavor = parts[at + 1]!;
    parts.splice(at);
  }
  if (parts.length !== 3 && parts.length !== 6)
    throw new UsageError(`${JSON.stringify(input)} is not ${BUILD_TARGET_SHAPE}`, {
      hint: 'a build of one platform names DISTRO/VERSION/ARCH, such as ceph/main/1a2b3c/centos/9/x86_64; a job with no platform stops at the sha1',
    });
  for (const p of [...parts, flavor]) {
    const problem = segmentProblem(p);
    if (problem) throw new UsageError(`${JSON.stringify(input)}: ${problem}`);
  }
  const [project, ref, sha1, distro, version, arch] = parts as [string, string, string, string?, string?, string?];
  return { project, ref, sha1, distro, version, arch, flavor };
}

export interface BuildReportInput {
  /** queued, started, completed or failed: shaman stores any word, its pages know these. */
  state: string;
  target: BuildTarget;
  /** The Jenkins run ($BUILD_URL): with the platform, the record this report moves. */
  buildUrl: string;
  /** Default: the build url + /consoleFull, as the jobs send it. */
  logUrl?: string | undefined;
  /** The build's version ($vers in the jobs), extra.version. */
  version?: string | undefined;
  /** Put in extra as they are; `version` above wins over a version here. */
  extra?: Record<string, unknown> | undefined;
}

/** The body submit_build_status sent (#81), as JSON. */
export function buildReportOf(input: BuildReportInput): BuildReport {
  const { target } = input;
  const extra: Record<string, unknown> = { ...input.extra };
  if (input.version !== undefined) extra.version = input.version;
  return {
    url: input.buildUrl,
    log_url: input.logUrl ?? `${input.buildUrl.replace(/\/+$/, '')}/consoleFull`,
    status: input.state,
    ref: target.ref,
    sha1: target.sha1,
    flavor: target.flavor,
    ...(target.distro === undefined ? {} : { distro: target.distro, distro_version: target.version, distro_arch: target.arch }),
    extra,
  };
}

/** Jenkins' variables that the jobs put in extra, by the names they gave them there. */
export const JENKINS_EXTRA = { JOB_NAME: 'job_name', NODE_NAME: 'node_name', ROOT_BUILD_CAUSE: 'root_build_cause', BUILD_USER: 'build_user' } as const;

/** extra from Jenkins' environment: each variable that is set. */
export function jenkinsExtra(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [variable, key] of Object.entries(JENKINS_EXTRA)) {
    const value = env[variable];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** Reports the build; the body sent and shaman's answer ({} from the real one). */
export async function reportBuild(shaman: ShamanClient, input: BuildReportInput, signal?: AbortSignal): Promise<{ sent: BuildReport; answer: unknown }> {
  const sent = buildReportOf(input);
  const answer = await shaman.reportBuild(input.target.project, sent, signal);
  return { sent, answer };
}

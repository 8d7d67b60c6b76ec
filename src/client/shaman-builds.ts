// shaman's builds API (../shared/shaman-api.md, "Builds"): the record of
// Jenkins builds that Ceph's jobs report (`submit_build_status` in ceph-build)
// and that people read on shaman's /builds/ pages. Every answer is checked for
// shape before use: a server is not trusted.
import { HttpError } from '../errors.js';
import { encodePath } from './paths.js';
import type { Transport } from './transport.js';

/** A build's state as the jobs report it; shaman stores any word (#95), these are the ones its pages know. */
export const BUILD_STATES = ['queued', 'started', 'completed', 'failed'] as const;
export type BuildState = (typeof BUILD_STATES)[number];

/** The body of POST /api/builds/PROJECT/ (#81). `distro`, `distro_version` and `distro_arch` may be left out (#92). */
export interface BuildReport {
  /** The Jenkins run: with the platform, which record the POST changes (#86, #90). */
  url: string;
  log_url: string | null;
  status: string;
  ref: string;
  sha1: string;
  flavor: string;
  distro?: string | undefined;
  distro_version?: string | undefined;
  distro_arch?: string | undefined;
  extra: Record<string, unknown>;
}

/** A build object (#85): what GET /api/builds/P/REF/SHA1/ lists, newest change first. */
export interface ShamanBuild {
  project: string;
  url: string | null;
  log_url: string | null;
  ref: string;
  sha1: string;
  flavor: string;
  status: string;
  extra: Record<string, unknown>;
  distro: string | null;
  /** Recomputed as for repos: ubuntu jammy comes back as "22.04", codename "jammy" (#91). */
  distro_version: string | null;
  distro_codename: string | null;
  distro_arch: string | null;
  /** "2026-11-24 20:56:03.852461+00:00" */
  modified: string;
  started: string | null;
  /** Set by a POST of status completed (#87). */
  completed: string | null;
}

/** shaman answered something that is not its builds API: a wrong url, a proxy's page. */
export class UnexpectedAnswerError extends HttpError {}

const isString = (v: unknown): v is string => typeof v === 'string';
const isStringOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether `v` has a build object's shape: the fields scripts read, with their types. */
export function isShamanBuild(v: unknown): v is ShamanBuild {
  if (!isObject(v)) return false;
  return (
    isString(v.ref) &&
    isString(v.sha1) &&
    isString(v.status) &&
    isString(v.modified) &&
    ['url', 'log_url', 'distro', 'distro_version', 'distro_codename', 'distro_arch', 'started', 'completed'].every((k) => isStringOrNull(v[k])) &&
    (v.extra === null || isObject(v.extra))
  );
}

function unexpected(transport: Transport, path: string, what: string): UnexpectedAnswerError {
  return new UnexpectedAnswerError(
    {
      method: 'GET',
      url: `${transport.baseUrl}${path}`,
      status: 200,
      hint: "check that the url is shaman's root (such as https://shaman.ceph.com/), not a page in front of it",
    },
    `GET ${transport.baseUrl}${path} answered 200 with ${what}, not shaman's builds API`,
  );
}

/** A listing of names: refs or sha1s. undefined for a project shaman does not know (#78). */
async function names(transport: Transport, path: string, signal?: AbortSignal): Promise<string[] | undefined> {
  const data = await transport.jsonOrMissing<unknown>({ method: 'GET', path, signal });
  if (data === undefined) return undefined;
  if (!Array.isArray(data) || !data.every(isString)) throw unexpected(transport, path, 'something other than a list of names');
  return data;
}

/** The builds API over one transport; ShamanClient's methods of the same names call these. */
export const buildsApi = {
  /** POST /api/builds/PROJECT/: creates the project, then the record, or moves it on (#81, #86, #90). */
  async report(transport: Transport, project: string, report: BuildReport, signal?: AbortSignal): Promise<unknown> {
    const text = JSON.stringify(report);
    const res = await transport.json<unknown>({
      method: 'POST',
      path: `api/builds/${encodePath([project])}`,
      auth: true,
      headers: { 'content-type': 'application/json' },
      body: () => text,
      signal,
    });
    return res.data;
  },

  /** Every project shaman knows, with the refs it has builds of ([] for a project with repos only, #83). */
  async projects(transport: Transport, signal?: AbortSignal): Promise<Record<string, string[]>> {
    const path = 'api/builds/';
    const { data } = await transport.json<unknown>({ method: 'GET', path, signal });
    if (!isObject(data) || !Object.values(data).every((v) => Array.isArray(v) && v.every(isString)))
      throw unexpected(transport, path, 'something other than projects and their refs');
    return data as Record<string, string[]>;
  },

  /** The refs of a project with builds; undefined when shaman knows no such project (#78, #82). */
  refs(transport: Transport, project: string, signal?: AbortSignal): Promise<string[] | undefined> {
    return names(transport, `api/builds/${encodePath([project])}`, signal);
  },

  /** The sha1s of a ref with builds; [] for a ref it does not know (#84, #97), undefined for an unknown project. */
  sha1s(transport: Transport, project: string, ref: string, signal?: AbortSignal): Promise<string[] | undefined> {
    return names(transport, `api/builds/${encodePath([project, ref])}`, signal);
  },

  /** The builds of a sha1, newest change first (#85, #91); [] when there is none (#96), undefined for an unknown project. */
  async builds(transport: Transport, project: string, ref: string, sha1: string, signal?: AbortSignal): Promise<ShamanBuild[] | undefined> {
    const path = `api/builds/${encodePath([project, ref, sha1])}`;
    const data = await transport.jsonOrMissing<unknown>({ method: 'GET', path, signal });
    if (data === undefined) return undefined;
    if (!Array.isArray(data) || !data.every(isShamanBuild)) throw unexpected(transport, path, 'something other than a list of build objects');
    return data.map((b) => ({
      ...b,
      project: isString(b.project) ? b.project : project,
      flavor: isString(b.flavor) ? b.flavor : 'default',
      extra: b.extra ?? {},
    }));
  },
};

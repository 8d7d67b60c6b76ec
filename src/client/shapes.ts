// The shapes of chacra's and shaman's JSON answers, checked before any use: a
// server is not trusted, and a proxy, a captive portal or another service on
// the port can answer 200 with anything. A body of another shape would print
// "[object Object]" or "undefined/..." as a result, or send a request to a
// path the server never named.
import { HttpError } from '../errors.js';
import { headerValue } from './http-errors.js';
import type { BinaryMetadata, RepoDocument, ShamanNode, ShamanRepo } from '../types.js';

/**
 * The one error for "the server answered, but not as chacra (or shaman)
 * does": no verdict can be drawn from it. An HttpError of status 200 until
 * the transport has a type of its own for it.
 */
export function unexpectedAnswer(method: string, url: string, what: string, detail?: string): HttpError {
  return new HttpError(
    { method, url, status: 200, hint: 'is the url that of a chacra server (or shaman), and is no proxy answering in its place?' },
    `${method} ${url} answered 200 with JSON that is not ${what}${detail ? `: ${detail}` : ''}`,
  );
}

/**
 * Why a name a server gave cannot be one of its path segments: empty, "." and
 * ".." would address another level than the one named, a slash another path.
 */
export function nameProblem(name: string): string | undefined {
  if (name === '') return 'an empty name';
  if (name === '.' || name === '..') return `the name "${name}"`;
  if (name.includes('/')) return `the name ${JSON.stringify(name)}, which holds a slash`;
  return undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);

/** What a listing level holds: names (of refs, sha1s, archs, flavors...), binaries by name, one repo document, or the bytes of one binary. */
export type ListingKind = 'names' | 'binaries' | 'repo' | 'binary';

/** The kind of a path below binaries/ or repos/, by its depth (see chacra's URL model). */
export function listingKind(root: 'binaries' | 'repos', segments: readonly string[]): ListingKind {
  const n = segments.length;
  const flavors = segments[root === 'binaries' ? 6 : 5] === 'flavors';
  if (root === 'binaries') {
    if (n === 6 || (n === 8 && flavors)) return 'binaries';
    if ((n === 7 && !flavors) || (n === 9 && flavors)) return 'binary';
    return 'names';
  }
  if (n === 5 || (n === 7 && flavors)) return 'repo';
  return 'names';
}

const METADATA_STRINGS = ['name', 'project', 'ref', 'sha1', 'distro', 'distro_version', 'arch', 'flavor', 'checksum', 'modified'] as const;

export function isBinaryMetadata(v: unknown): v is BinaryMetadata {
  return isObject(v) && METADATA_STRINGS.every((k) => isString(v[k])) && typeof v.size === 'number' && Number.isFinite(v.size);
}

/** Why a binary's metadata cannot be used; undefined when it can. */
export function metadataProblem(v: unknown): string | undefined {
  if (!isBinaryMetadata(v)) return `${short(v)} is not a binary's metadata`;
  for (const k of ['name', 'project', 'ref', 'sha1', 'distro', 'distro_version', 'arch', 'flavor'] as const) {
    const problem = nameProblem(v[k]);
    if (problem) return `its ${k} is ${problem}`;
  }
  return undefined;
}

/** Why a search answer is not a list of binaries; undefined when it is one. */
export function searchProblem(data: unknown): string | undefined {
  if (!Array.isArray(data)) return `${short(data)} is not a list`;
  for (const [i, b] of data.entries()) {
    const problem = metadataProblem(b);
    if (problem) return `item ${i}: ${problem}`;
  }
  return undefined;
}

const REPO_STRINGS = ['project_name', 'ref', 'sha1', 'distro', 'distro_version', 'flavor', 'type'] as const;
const REPO_FLAGS = ['needs_update', 'is_queued', 'is_updating'] as const;

export function isRepoDocument(v: unknown): v is RepoDocument {
  return (
    isObject(v) &&
    REPO_STRINGS.every((k) => isString(v[k])) &&
    REPO_FLAGS.every((k) => typeof v[k] === 'boolean') &&
    isStringArray(v.archs) &&
    (v.path === null || isString(v.path))
  );
}

/** What a listing of `kind` must be, for messages. */
export const LISTING_WHAT: Record<ListingKind, string> = {
  names: 'a listing',
  binaries: 'a listing of binaries',
  repo: 'a repo document',
  binary: 'a listing',
};

/** Why `data` is not a listing of `kind`; undefined when it is one. */
export function listingProblem(kind: ListingKind, data: unknown): string | undefined {
  switch (kind) {
    case 'repo':
      return isRepoDocument(data) ? undefined : `${short(data)} is not one`;
    case 'binaries': {
      if (!isObject(data)) return `${short(data)} is not an object of binaries by name`;
      for (const [name, meta] of Object.entries(data)) {
        const problem = nameProblem(name) ?? metadataProblem(meta);
        if (problem) return `at ${JSON.stringify(name)}: ${problem}`;
      }
      return undefined;
    }
    default: {
      // A level lists names (#60, #62), or names each with the names below it (#55-#59).
      const names = Array.isArray(data) ? data : isObject(data) ? Object.keys(data) : undefined;
      if (names === undefined || !names.every(isString)) return `${short(data)} is not a list of names`;
      if (isObject(data)) {
        const bad = Object.entries(data).find(([, v]) => !isStringArray(v));
        if (bad) return `at ${JSON.stringify(bad[0])}: ${short(bad[1])} is not a list of names`;
      }
      const all = [...names, ...(isObject(data) ? Object.values(data).flat() : [])] as string[];
      for (const name of all) {
        const problem = nameProblem(name);
        if (problem) return `it holds ${problem}, which no chacra path can hold`;
      }
      return undefined;
    }
  }
}

/** A host as shaman names a node: host or host:port, nothing that would change the URL made of it. */
export function isHost(v: unknown): v is string {
  return isString(v) && /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/.test(v);
}

export function isShamanNode(v: unknown): v is ShamanNode {
  return isObject(v) && isHost(v.host) && typeof v.healthy === 'boolean' && typeof v.down_count === 'number' && isString(v.last_used) && isString(v.last_check);
}

/** An http(s) URL with a host: what shaman hands out and points at. */
export function isHttpUrl(v: unknown): v is string {
  if (!isString(v)) return false;
  try {
    const url = new URL(v);
    return (url.protocol === 'http:' || url.protocol === 'https:') && isHost(url.host);
  } catch {
    return false;
  }
}

export function isShamanRepo(v: unknown): v is ShamanRepo {
  return (
    isObject(v) &&
    ['project', 'ref', 'sha1', 'flavor', 'distro', 'status', 'modified'].every((k) => isString(v[k])) &&
    isStringArray(v.archs) &&
    isHttpUrl(v.chacra_url) &&
    isString(v.url)
  );
}

/** The first few characters of a value, for a message. */
export function short(v: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = String(v);
  }
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

/** A content type of an HTML page: what a portal or a proxy answers, never chacra's JSON. */
export function isHtml(contentType: string | string[] | undefined): boolean {
  return /^\s*text\/html/i.test(headerValue(contentType) ?? '');
}

/** Why a body is not a repo file: an HTML page, or a JSON document. */
export function repoFileProblem(text: string): string | undefined {
  const start = text.trimStart();
  if (/^<(?:!doctype|html|head|body)\b/i.test(start)) return 'an HTML page';
  if (/^[{["]/.test(start)) {
    try {
      JSON.parse(text);
      return 'a JSON document';
    } catch {
      // a yum .repo file starts with its [section]
    }
  }
  return undefined;
}

export function isEmptyObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;
}

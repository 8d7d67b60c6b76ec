// Shapes of chacra's JSON documents, shared by the client and the local server.

/** Where binaries are uploaded: an arch level, or a flavor under it. The client and the local server both address binaries so. */
export interface BinaryTarget {
  project: string;
  ref: string;
  sha1: string;
  distro: string;
  version: string;
  arch: string;
  /** Absent for chacra's "default" flavor. */
  flavor?: string | undefined;
}

/** One binary: its target and its name. */
export interface BinaryRef extends BinaryTarget {
  name: string;
}

/** A repository: P/REF/SHA1/DISTRO/VER and an optional flavor. */
export interface RepoRef {
  project: string;
  ref: string;
  sha1: string;
  distro: string;
  version: string;
  flavor?: string | undefined;
}

/** One binary as chacra lists it at an arch or flavor level and in search results. */
export interface BinaryMetadata {
  name: string;
  project: string;
  ref: string;
  sha1: string;
  distro: string;
  distro_version: string;
  arch: string;
  /** "default" unless uploaded under flavors/F/. */
  flavor: string;
  size: number;
  /** sha512 of the stored file, lowercase hex. */
  checksum: string;
  /** "YYYY-MM-DD HH:MM:SS.ffffff", UTC without a zone. */
  created: string;
  modified: string;
  /** Human text such as "3 minutes, 2 seconds ago". */
  last_changed: string;
  signed: boolean;
  built_by: string | null;
  /** Server-side file path. */
  path: string;
}

/** An arch or flavor level listing: binary name -> metadata. */
export type BinaryListing = Record<string, BinaryMetadata>;

export interface RepoDocument {
  project_name: string;
  ref: string;
  sha1: string;
  distro: string;
  distro_version: string;
  flavor: string;
  type: RepoType;
  archs: string[];
  /** null until the repo is first built. */
  path: string | null;
  size: number;
  signed: boolean;
  needs_update: boolean;
  is_queued: boolean;
  is_updating: boolean;
  modified: string;
  extra: Record<string, unknown>;
}

export type RepoType = 'rpm' | 'deb' | 'raw' | (string & {});

export interface RootDocument {
  description: string;
  documentation: string;
  binaries: string[];
  repos: string[];
}

/** Keys the server's /search/ endpoint accepts. */
export const SEARCH_KEYS = ['name', 'name-has', 'distro', 'distro_version', 'arch', 'ref', 'built_by', 'size'] as const;
export type SearchKey = (typeof SEARCH_KEYS)[number];
export type SearchQuery = Partial<Record<SearchKey, string>>;

/** The keys a POST to a repo document may change (#74, #75). */
export interface RepoFieldsUpdate {
  distro?: string;
  distro_version?: string;
  needs_update?: boolean;
  ref?: string;
  type?: RepoType;
}

/** Where a repo stands in its life: requested -> queued -> building -> ready. */
export type RepoState = 'never built' | 'requested' | 'queued' | 'building' | 'ready';

export function repoState(doc: Pick<RepoDocument, 'needs_update' | 'is_queued' | 'is_updating' | 'path'>): RepoState {
  if (doc.is_updating) return 'building';
  if (doc.is_queued) return 'queued';
  if (doc.needs_update) return 'requested';
  return doc.path === null ? 'never built' : 'ready';
}

/** A chacra node as shaman lists it (/api/nodes/). Timestamps are naive UTC, "YYYY-MM-DD HH:MM:SS.ffffff". */
export interface ShamanNode {
  host: string;
  last_used: string;
  last_check: string;
  healthy: boolean;
  down_count: number;
}

/** A repo as shaman knows it from its node's callbacks (/api/search/, /api/repos/...). */
export interface ShamanRepo {
  project: string;
  ref: string;
  sha1: string;
  flavor: string;
  distro: string;
  /** Recomputed by shaman: "22.04" for ubuntu jammy, null for a codename it does not know. */
  distro_version: string | null;
  distro_codename: string | null;
  archs: string[];
  status: string;
  extra: Record<string, unknown>;
  /** With "+00:00"; changes on every status callback. */
  modified: string;
  /** The repo tree on its node, https://NODE/r/... */
  url: string;
  /** chacra's repo document on its node, https://NODE/repos/...: shaman's key for the repo. */
  chacra_url: string;
}

/** Keys of shaman's /api/search/. */
export interface ShamanSearch {
  project: string;
  /** DISTRO/VERSION[/ARCH], several joined by commas. */
  distros?: string | undefined;
  /** A sha1, or "latest": the newest (by last status change) with a repo for every listed distro. */
  sha1?: string | undefined;
  ref?: string | undefined;
  flavor?: string | undefined;
  status?: string | undefined;
}

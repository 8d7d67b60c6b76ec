// ChacraClient: one typed method per endpoint of chacra's API. It knows HTTP
// and chacra's quirks, nothing of argv or terminals.
import type { Readable } from 'node:stream';
import { HttpError, UsageError } from '../errors.js';
import type { BinaryListing, RepoDocument, RepoFieldsUpdate, RootDocument, BinaryMetadata, SearchQuery } from '../types.js';
import { multipartUpload, type MultipartFile } from './multipart.js';
import { encodePath, repoSegments, targetSegments, type BinaryRef, type BinaryTarget, type RepoRef } from './paths.js';
import type { RetryPolicy } from './retry.js';
import type { RetryMode } from './retry-rules.js';
import { headerValue, httpErrorOf } from './http-errors.js';
import { type ListingOptions, scanTargetListing } from './listing-scan.js';
import {
  isEmptyObject,
  isHtml,
  isRepoDocument,
  LISTING_WHAT,
  listingKind,
  listingProblem,
  repoFileProblem,
  searchProblem,
  short,
  unexpectedAnswer,
} from './shapes.js';
import { Transport } from './transport.js';
import type { TransportOptions } from './transport-options.js';

export type { ListingOptions };

export type ChacraClientOptions = TransportOptions;

export interface UploadBinaryOptions {
  /** Replace a binary of the same name (chacra's multipart `force` field). */
  force?: boolean;
  signal?: AbortSignal | undefined;
  onBytes?: ((n: number) => void) | undefined;
  /** Called when the whole body has been handed to the connection; the answer is still to come. */
  onSent?: (() => void) | undefined;
  /**
   * Not an option of one upload: uploads at once are uploadBinaries' `jobs`.
   * Declared so that a batch's UploadOptions passed here does not compile,
   * rather than lose its `jobs` without a word.
   */
  jobs?: never;
}

export type UploadResult = { outcome: 'created' | 'replaced'; sha512: string; bytesSent: number } | { outcome: 'exists'; bytesSent: number };

/** A binary as a listing names it: all that uploads and downloads decide on. */
export interface ListedBinary {
  name: string;
  checksum: string;
  /** The listed size: that of the first upload under the name (#94-#100). */
  size: number;
}

export interface Download {
  body: Readable;
  size: number | undefined;
  filename: string | undefined;
}

function binaryPath(ref: BinaryRef): string {
  return 'binaries/' + encodePath([...targetSegments(ref), ref.name]);
}

function repoPath(ref: RepoRef, action?: string): string {
  return 'repos/' + encodePath(action ? [...repoSegments(ref), action] : repoSegments(ref));
}

export class ChacraClient {
  private readonly transport: Transport;

  constructor(options: ChacraClientOptions) {
    this.transport = new Transport(options);
  }

  get baseUrl(): string {
    return this.transport.baseUrl;
  }

  /** How often, and after how long, a failed request is tried again. */
  get retryPolicy(): RetryPolicy {
    return this.transport.retryPolicy;
  }

  /** Requests sent so far, retries included. */
  get requestCount(): number {
    return this.transport.requestCount;
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  /** GET / : the server's description and its projects. */
  async root(signal?: AbortSignal): Promise<RootDocument> {
    const data = (await this.transport.json<Partial<RootDocument> | null>({ method: 'GET', path: '', signal })).data;
    const problem = listingProblem('names', data?.binaries) ?? listingProblem('names', data?.repos);
    if (problem) throw this.unexpected('GET', '', "chacra's root document", problem);
    return data as RootDocument;
  }

  /**
   * GET a listing under binaries/ or repos/ at any depth (segments not yet
   * encoded). Returns undefined when the path does not exist.
   */
  async listing<T = unknown>(root: 'binaries' | 'repos', segments: readonly string[], signal?: AbortSignal): Promise<T | undefined> {
    const kind = listingKind(root, segments);
    const path = `${root}/` + encodePath(segments);
    // A binary's own URL answers its bytes, hundreds of MiB of them: never read as a listing.
    if (kind === 'binary')
      throw new UsageError(`${root}/${segments.join('/')} is a binary, not a listing`, { hint: "its metadata is in its target's listing" });
    const data = await this.transport.jsonOrMissing<unknown>({ method: 'GET', path, signal });
    if (data === undefined) return undefined;
    const problem = listingProblem(kind, data);
    if (problem) throw this.unexpected('GET', path, LISTING_WHAT[kind], problem);
    return data as T;
  }

  /**
   * The binaries of an upload target, of its flavor only; undefined when it
   * has none yet. A default-flavor target is read at flavors/default/: the
   * arch level mixes every flavor and keeps one binary per name (#40).
   */
  async listTarget(target: BinaryTarget, signal?: AbortSignal, options: ListingOptions = {}): Promise<BinaryListing | undefined> {
    // Keyed by the server's names: no prototype, so that "__proto__" is kept and "constructor" is not found where it is not listed.
    const listing: BinaryListing = Object.create(null) as BinaryListing;
    const found = await scanTargetListing(this.transport, target, signal, options, (name, entry) => (listing[name] = entry));
    return found ? listing : undefined;
  }

  /**
   * What uploads and downloads decide on, of each binary of a target: its
   * checksum and listed size, by name. Read as the listing streams, so that
   * tens of thousands of binaries cost their names and checksums alone (#23).
   */
  async listChecksums(target: BinaryTarget, signal?: AbortSignal, options: ListingOptions = {}): Promise<Map<string, ListedBinary> | undefined> {
    const listing = new Map<string, ListedBinary>();
    const found = await this.scanChecksums(target, (entry) => listing.set(entry.name, entry), signal, options);
    return found ? listing : undefined;
  }

  /**
   * Each binary of a target handed to `visit` as the listing streams, and
   * none kept: what a caller that looks for a few names, or checks each
   * against what it holds, needs of a listing of any length. False when the
   * target does not exist. A listing read again after a failure hands its
   * entries again: `visit` must not mind seeing a name twice.
   */
  async scanChecksums(target: BinaryTarget, visit: (entry: ListedBinary) => void, signal?: AbortSignal, options: ListingOptions = {}): Promise<boolean> {
    return scanTargetListing(this.transport, target, signal, options, (name, entry) => visit({ name, checksum: entry.checksum, size: entry.size }));
  }

  /** One binary of a target as its listing names it; undefined when the listing does not hold it. */
  async listedBinary(ref: BinaryRef, signal?: AbortSignal, options: ListingOptions = {}): Promise<ListedBinary | undefined> {
    let found: ListedBinary | undefined;
    await this.scanChecksums(
      ref,
      (entry) => {
        if (entry.name === ref.name) found = entry;
      },
      signal,
      options,
    );
    return found;
  }

  /** The answer was not what chacra sends: no verdict can be drawn from it. */
  private unexpected(method: string, path: string, what: string, detail?: string): HttpError {
    return unexpectedAnswer(method, this.transport.urlOf(path), what, detail);
  }

  /** The flavors of an arch and the names under each. */
  async listFlavors(target: Omit<BinaryTarget, 'flavor'>, signal?: AbortSignal): Promise<Record<string, string[]> | undefined> {
    return this.listing('binaries', [...targetSegments({ ...target, flavor: undefined }), 'flavors'], signal);
  }

  /** HEAD a path below the API root (segments not yet encoded): true on 200, false on 404. */
  async exists(root: 'binaries' | 'repos', segments: readonly string[], signal?: AbortSignal): Promise<boolean> {
    const path = `${root}/` + encodePath(segments);
    const res = await this.transport.send({ method: 'HEAD', path, signal });
    await res.body.dump();
    // chacra answers HEAD with the type of what GET would send, never a page: a 200 page is a portal's or a proxy's.
    if (res.status === 200 && isHtml(res.headers['content-type'])) throw this.unexpected('HEAD', path, "chacra's answer", 'an HTML page');
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw await httpErrorOf(res, 'HEAD');
  }

  /** HEAD one binary. */
  async binaryExists(ref: BinaryRef, signal?: AbortSignal): Promise<boolean> {
    return this.exists('binaries', [...targetSegments(ref), ref.name], signal);
  }

  /**
   * POST one file to a target, streamed from disk and hashed on the way. Sent
   * once: whether a failed upload may be sent again depends on what the server
   * kept, which the caller checks (see operations/upload).
   */
  async uploadBinary(target: BinaryTarget, file: MultipartFile, options: UploadBinaryOptions = {}): Promise<UploadResult> {
    const upload = multipartUpload(file, options.force ? { force: 'true' } : {}, options.onBytes, options.onSent);
    const res = await this.transport.send({
      method: 'POST',
      path: 'binaries/' + encodePath(targetSegments(target)),
      headers: { 'content-type': upload.contentType, 'content-length': String(upload.length) },
      body: () => upload.body,
      auth: true,
      retry: 'never',
      signal: options.signal,
    });
    if (res.status === 201 || res.status === 200) {
      await res.body.dump();
      return { outcome: res.status === 201 ? 'created' : 'replaced', sha512: upload.sha512 as string, bytesSent: upload.bytesSent };
    }
    const error = await httpErrorOf(res, 'POST');
    // #12: the name is taken and force was not used.
    if (res.status === 400 && /already exists/.test(error.serverMessage ?? '')) return { outcome: 'exists', bytesSent: upload.bytesSent };
    throw error;
  }

  /**
   * GET one binary's bytes as a stream; the caller must consume or destroy it.
   * A failure while it is read (a cut, a stall) is a NetworkError on the stream.
   * Sent once by default: a download is retried whole, body included, by its
   * caller (operations/download), whose tries would otherwise multiply these.
   */
  async downloadBinary(ref: BinaryRef, signal?: AbortSignal, options: { retry?: RetryMode } = {}): Promise<Download> {
    const res = await this.transport.stream({ method: 'GET', path: binaryPath(ref), retry: options.retry ?? 'never', signal });
    const length = headerValue(res.headers['content-length']);
    const disposition = headerValue(res.headers['content-disposition']);
    return {
      body: res.stream,
      size: length === undefined ? undefined : Number(length),
      filename: disposition ? /filename=(.*)$/.exec(disposition)?.[1] : undefined,
    };
  }

  /** DELETE one binary: true when deleted, false when it was not there (#89). */
  async deleteBinary(ref: BinaryRef, signal?: AbortSignal): Promise<boolean> {
    const res = await this.transport.send({ method: 'DELETE', path: binaryPath(ref), auth: true, retry: 'idempotent', signal });
    await res.body.dump();
    // chacra answers 204 (#88): a page is a portal's or a proxy's, and nothing was deleted.
    if (res.status === 200 && isHtml(res.headers['content-type'])) throw this.unexpected('DELETE', binaryPath(ref), "chacra's answer", 'an HTML page');
    if (res.status === 204 || res.status === 200) return true;
    if (res.status === 404) return false;
    throw await httpErrorOf(res, 'DELETE');
  }

  /** POST /binaries/NAME/: creates an empty project; also 200 when it exists (#52, #53). */
  async createProject(name: string, signal?: AbortSignal): Promise<void> {
    await this.transport.json({ method: 'POST', path: 'binaries/' + encodePath([name]), auth: true, retry: 'idempotent', signal });
  }

  /** The repo document; undefined when there is no such repo. */
  async getRepo(ref: RepoRef, signal?: AbortSignal): Promise<RepoDocument | undefined> {
    return this.listing<RepoDocument>('repos', repoSegments(ref), signal);
  }

  /** The flavors of a repo's distro version. */
  async listRepoFlavors(ref: Omit<RepoRef, 'flavor'>, signal?: AbortSignal): Promise<string[] | undefined> {
    return this.listing<string[]>('repos', [...repoSegments({ ...ref, flavor: undefined }), 'flavors'], signal);
  }

  private async repoAction(ref: RepoRef, action: 'update' | 'recreate' | 'extra' | undefined, body: unknown, signal?: AbortSignal): Promise<RepoDocument> {
    const json = body === undefined ? undefined : JSON.stringify(body);
    const res = await this.transport.json<unknown>({
      method: 'POST',
      path: repoPath(ref, action),
      headers: json === undefined ? {} : { 'content-type': 'application/json' },
      body: json === undefined ? undefined : () => json,
      auth: true,
      // Marking a repo for an update, or setting its fields, is the same the second time.
      retry: 'unsafe',
      signal,
    });
    if (!isRepoDocument(res.data)) throw this.unexpected('POST', repoPath(ref, action), 'a repo document', `${short(res.data)} is not one`);
    return res.data;
  }

  /** Asks for a rebuild (#71). On a repo that does not exist the server crashes (#68): check with getRepo first. */
  updateRepo(ref: RepoRef, signal?: AbortSignal): Promise<RepoDocument> {
    return this.repoAction(ref, 'update', undefined, signal);
  }

  /** Removes the built tree and rebuilds (#77). Crashes on a repo never built (#70). */
  recreateRepo(ref: RepoRef, signal?: AbortSignal): Promise<RepoDocument> {
    return this.repoAction(ref, 'recreate', undefined, signal);
  }

  /** Stores a JSON object as the repo's `extra` (#78). */
  setRepoExtra(ref: RepoRef, extra: Record<string, unknown>, signal?: AbortSignal): Promise<RepoDocument> {
    return this.repoAction(ref, 'extra', extra, signal);
  }

  /** Changes a repo's fields, such as its type (#74). Unknown keys are refused by the server (#75). */
  updateRepoFields(ref: RepoRef, fields: RepoFieldsUpdate, signal?: AbortSignal): Promise<RepoDocument> {
    return this.repoAction(ref, undefined, fields, signal);
  }

  /**
   * DELETE a repo document. On the real chacra this never deletes the repo:
   * it removes the built tree from disk, then crashes (500) while the repo
   * holds binaries (#102), and answers 500 "could not remove repo path" when
   * the tree is gone already (#105). Those 500s come back as `failed` with the
   * server's words; the repo goes only with its last binary (see
   * operations/repo-delete). 401 and other refusals throw.
   */
  async deleteRepo(
    ref: RepoRef,
    signal?: AbortSignal,
  ): Promise<{ outcome: 'deleted' | 'absent' } | { outcome: 'failed'; status: number; message: string | undefined }> {
    const res = await this.transport.send({ method: 'DELETE', path: repoPath(ref), auth: true, retry: 'unsafe', signal });
    if (res.status === 204 || res.status === 200 || res.status === 404) {
      await res.body.dump();
      return { outcome: res.status === 404 ? 'absent' : 'deleted' };
    }
    const error = await httpErrorOf(res, 'DELETE');
    if (res.status === 500) return { outcome: 'failed', status: res.status, message: error.serverMessage };
    throw error;
  }

  /** The text that installs a repo: a yum .repo file or an apt line; empty for raw repos (#80). */
  async getRepoFile(ref: RepoRef, signal?: AbortSignal): Promise<string | undefined> {
    const res = await this.transport.send({ method: 'GET', path: repoPath(ref, 'repo'), signal });
    if (res.status === 404) {
      await res.body.dump();
      return undefined;
    }
    if (res.status !== 200 && res.status !== 204) throw await httpErrorOf(res, 'GET');
    // chacra renders it with a template, as text/html: only the text tells a .repo file or an apt line (#80) from a page or a document.
    const text = await res.body.text();
    const problem = repoFileProblem(text);
    if (problem) throw this.unexpected('GET', repoPath(ref, 'repo'), 'a repo file', problem);
    return text;
  }

  /** GET /search/ with the server's keys; an empty query answers nothing (#85). */
  async search(query: SearchQuery, signal?: AbortSignal): Promise<BinaryMetadata[]> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.append(k, v);
    if ([...params.keys()].length === 0) return [];
    // URLSearchParams writes spaces as "+", which a server may read as a plus sign.
    const qs = params.toString().replace(/\+/g, '%20');
    const path = `search/?${qs}`;
    const res = await this.transport.json<unknown>({ method: 'GET', path, signal });
    // No key the server knows answers {} (#85).
    if (isEmptyObject(res.data)) return [];
    const problem = searchProblem(res.data);
    if (problem) throw this.unexpected('GET', path, 'a list of binaries', problem);
    return res.data as BinaryMetadata[];
  }

  /**
   * GET /health/: chacra answers 204 when its checks pass (#110), so any 2xx
   * is healthy; a 5xx is unhealthy, with the server's own words when it gave any (#93).
   */
  async health(signal?: AbortSignal): Promise<{ healthy: boolean; status: number; message?: string | undefined }> {
    const res = await this.transport.send({ method: 'GET', path: 'health/', retry: 'never', signal });
    if (res.status >= 200 && res.status < 300) {
      await res.body.dump();
      // A captive portal's or a proxy's page says nothing of chacra's health.
      if (res.status !== 204 && isHtml(res.headers['content-type'])) throw this.unexpected('GET', 'health/', "chacra's health answer", 'an HTML page');
      return { healthy: true, status: res.status };
    }
    const err = await httpErrorOf(res, 'GET');
    if (res.status >= 500) return { healthy: false, status: res.status, message: err.serverMessage };
    throw err;
  }
}

export { HttpError };

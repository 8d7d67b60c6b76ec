// ShamanClient: shaman's API (the orchestrator of a pool of chacra nodes), one
// typed method per endpoint, over a transport of its own: shaman's credentials
// go to shaman's origin only, as chacra's go to the nodes only.
import { HttpError } from '../errors.js';
import type { ShamanNode, ShamanRepo, ShamanSearch } from '../types.js';
import { encodePath } from './paths.js';
import { httpErrorOf } from './http-errors.js';
import { buildsApi, type BuildReport, type ShamanBuild } from './shaman-builds.js';
import { isHtml, isHttpUrl, isShamanNode, isShamanRepo, short, unexpectedAnswer } from './shapes.js';
import { Transport } from './transport.js';
import type { TransportOptions } from './transport-options.js';

export interface ShamanClientOptions extends TransportOptions {
  /**
   * The scheme of the nodes' URLs: shaman names nodes by host and hands them
   * out as https://HOST/; a local pool without TLS serves them over http.
   */
  nodeScheme?: 'https' | 'http' | undefined;
}

/** shaman has no healthy node to hand out (its 404, #27): the pool cannot take writes, whatever the status says. */
export class NoHealthyNodeError extends HttpError {}

export class ShamanClient {
  private readonly transport: Transport;
  readonly nodeScheme: 'https' | 'http';

  constructor(options: ShamanClientOptions) {
    this.transport = new Transport(options);
    this.nodeScheme = options.nodeScheme ?? 'https';
  }

  get baseUrl(): string {
    return this.transport.baseUrl;
  }

  get requestCount(): number {
    return this.transport.requestCount;
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  /** Reports a build's state (POST /api/builds/PROJECT/, with credentials): see shaman-builds.ts. */
  reportBuild(project: string, report: BuildReport, signal?: AbortSignal): Promise<unknown> {
    return buildsApi.report(this.transport, project, report, signal);
  }

  /** Every project, with the refs it has builds of. */
  buildProjects(signal?: AbortSignal): Promise<Record<string, string[]>> {
    return buildsApi.projects(this.transport, signal);
  }

  /** The refs of a project with builds; undefined for a project shaman does not know. */
  buildRefs(project: string, signal?: AbortSignal): Promise<string[] | undefined> {
    return buildsApi.refs(this.transport, project, signal);
  }

  /** The sha1s of a ref with builds; undefined for a project shaman does not know. */
  buildSha1s(project: string, ref: string, signal?: AbortSignal): Promise<string[] | undefined> {
    return buildsApi.sha1s(this.transport, project, ref, signal);
  }

  /** The builds of a sha1, newest change first; undefined for a project shaman does not know. */
  builds(project: string, ref: string, sha1: string, signal?: AbortSignal): Promise<ShamanBuild[] | undefined> {
    return buildsApi.builds(this.transport, project, ref, sha1, signal);
  }

  /**
   * The next healthy node, as `https://HOST/`: the least recently used one,
   * which shaman health-checks first (about 2 s on a real pool) and marks used.
   * Each call moves the rotation on, so it is never retried after an answer.
   * shaman's 401 carries no challenge: credentials go with the first request.
   */
  async nextNode(signal?: AbortSignal): Promise<string> {
    const res = await this.transport.send({ method: 'GET', path: 'api/nodes/next/', auth: true, retry: 'unsafe', signal });
    if (res.status === 200) {
      // shaman answers text/plain "https://HOST/" (#9); a page, a cut body or a word is no node to write to.
      const html = isHtml(res.headers['content-type']);
      const text = (await res.body.text()).trim().replace(/^"|"$/g, '');
      const url = text.endsWith('/') ? text : `${text}/`;
      if (html || !isHttpUrl(url) || new URL(url).href !== url || new URL(url).pathname !== '/')
        throw unexpectedAnswer('GET', this.transport.urlOf('api/nodes/next/'), "a node's URL", html ? 'an HTML page' : short(text));
      return url;
    }
    const error = await httpErrorOf(res, 'GET');
    if (res.status === 404)
      throw new NoHealthyNodeError({
        method: 'GET',
        url: error.url,
        status: 404,
        serverMessage: error.serverMessage,
        hint: 'no chacra node passes its health check now',
      });
    throw error;
  }

  /** Every node of the pool, keyed by host (#3), healthy or not. */
  async nodes(signal?: AbortSignal): Promise<Record<string, ShamanNode>> {
    const { data } = await this.transport.json<unknown>({ method: 'GET', path: 'api/nodes/', signal });
    const what = 'the nodes of a pool';
    if (typeof data !== 'object' || data === null || Array.isArray(data))
      throw this.unexpected('api/nodes/', what, `${short(data)} is not an object of nodes by host`);
    for (const [host, node] of Object.entries(data))
      if (!isShamanNode(node) || node.host !== host) throw this.unexpected('api/nodes/', what, `at ${JSON.stringify(host)}: ${short(node)} is not a node`);
    return data as Record<string, ShamanNode>;
  }

  /** One node; undefined when shaman does not know it (#6). */
  async node(host: string, signal?: AbortSignal): Promise<ShamanNode | undefined> {
    const path = `api/nodes/${encodePath([host])}`;
    const node = await this.transport.jsonOrMissing<unknown>({ method: 'GET', path, signal });
    if (node !== undefined && !isShamanNode(node)) throw this.unexpected(path, 'a node', `${short(node)} is not one`);
    return node;
  }

  /** Registers a node, or checks it again: the only way a node marked down comes back (#32). */
  async registerNode(host: string, signal?: AbortSignal): Promise<void> {
    await this.transport.json({ method: 'POST', path: `api/nodes/${encodePath([host])}`, auth: true, retry: 'unsafe', signal });
  }

  /** Repos by project, distros, sha1 (or "latest"), ref, flavor and status; newest first (#54-#68). */
  async search(query: ShamanSearch, signal?: AbortSignal): Promise<ShamanRepo[]> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.append(k, v);
    // shaman splits distros on "/" and ",": keep them readable, as its clients write them.
    const qs = params.toString().replace(/\+/g, '%20').replace(/%2F/gi, '/').replace(/%2C/gi, ',');
    const path = `api/search/?${qs}`;
    const { data } = await this.transport.json<unknown>({ method: 'GET', path, signal });
    if (!Array.isArray(data)) throw this.unexpected(path, 'a list of repos', `${short(data)} is not a list`);
    const bad = data.findIndex((r) => !isShamanRepo(r));
    if (bad >= 0) throw this.unexpected(path, 'a list of repos', `item ${bad}: ${short(data[bad])} is not a repo`);
    return data as ShamanRepo[];
  }

  /** shaman answered, but not as shaman does: no verdict can be drawn from it. */
  private unexpected(path: string, what: string, detail: string): HttpError {
    return unexpectedAnswer('GET', this.transport.urlOf(path), what, detail);
  }

  /**
   * shaman's own health: 204 when fine (#2), 500 while its trigger file
   * exists (#36). As chacra's: any other answer (a 404 of a wrong url, a
   * proxy's 401 or redirect, a portal's page) is no verdict, and throws.
   */
  async health(signal?: AbortSignal): Promise<{ healthy: boolean; status: number; message?: string | undefined }> {
    const res = await this.transport.send({ method: 'GET', path: '_health/', retry: 'never', signal });
    if (res.status >= 200 && res.status < 300) {
      await res.body.dump();
      if (res.status !== 204 && isHtml(res.headers['content-type'])) throw this.unexpected('_health/', "shaman's health answer", 'an HTML page');
      return { healthy: true, status: res.status };
    }
    const error = await httpErrorOf(res, 'GET');
    if (res.status >= 500) return { healthy: false, status: res.status, message: error.serverMessage };
    throw error;
  }
}

/** The API root of the node a shaman repo lives on: its chacra_url's origin. */
export function nodeOfRepo(repo: Pick<ShamanRepo, 'chacra_url'>): string {
  const url = new URL(repo.chacra_url);
  return `${url.origin}/`;
}

/** A node's API root from its shaman host, as shaman itself names it: https://HOST/. */
export function nodeUrl(host: string, scheme = 'https'): string {
  return `${scheme}://${host}/`;
}

// ShamanClient: shaman's API (the orchestrator of a pool of chacra nodes), one
// typed method per endpoint, over a transport of its own: shaman's credentials
// go to shaman's origin only, as chacra's go to the nodes only.
import { HttpError } from '../errors.js';
import type { ShamanNode, ShamanRepo, ShamanSearch } from '../types.js';
import { encodePath } from './paths.js';
import { httpErrorOf } from './http-errors.js';
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

  /**
   * The next healthy node, as `https://HOST/`: the least recently used one,
   * which shaman health-checks first (about 2 s on a real pool) and marks used.
   * Each call moves the rotation on, so it is never retried after an answer.
   * shaman's 401 carries no challenge: credentials go with the first request.
   */
  async nextNode(signal?: AbortSignal): Promise<string> {
    const res = await this.transport.send({ method: 'GET', path: 'api/nodes/next/', auth: true, retry: 'unsafe', signal });
    if (res.status === 200) {
      const text = (await res.body.text()).trim().replace(/^"|"$/g, '');
      return text.endsWith('/') ? text : `${text}/`;
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
    return (await this.transport.json<Record<string, ShamanNode>>({ method: 'GET', path: 'api/nodes/', signal })).data ?? {};
  }

  /** One node; undefined when shaman does not know it (#6). */
  async node(host: string, signal?: AbortSignal): Promise<ShamanNode | undefined> {
    return this.transport.jsonOrMissing<ShamanNode>({ method: 'GET', path: `api/nodes/${encodePath([host])}`, signal });
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
    const res = await this.transport.json<ShamanRepo[] | null>({ method: 'GET', path: `api/search/?${qs}`, signal });
    return Array.isArray(res.data) ? res.data : [];
  }

  /** shaman's own health: 204 when fine (#2), 500 while its trigger file exists (#36). */
  async health(signal?: AbortSignal): Promise<{ healthy: boolean; status: number; message?: string | undefined }> {
    const res = await this.transport.send({ method: 'GET', path: '_health/', retry: 'never', signal });
    if (res.status >= 200 && res.status < 300) {
      await res.body.dump();
      return { healthy: true, status: res.status };
    }
    const error = await httpErrorOf(res, 'GET');
    return { healthy: false, status: res.status, message: error.serverMessage };
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

// A local pool as Ceph runs chacra: a shaman and N chacra nodes, each node
// posting repo status callbacks to shaman, registered with it as
// real-chacra/shaman.sh does (POST /api/nodes/127.0.0.1:PORT/).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type RunningServer, type ServerOptions } from './index.js';
import { basicAuth, send } from './net.js';
import { startShaman, type RunningShaman } from './shaman.js';

export interface PoolOptions {
  /** Each node keeps its data in DATADIR/node-1, node-2, ... */
  dataDir: string;
  /** Number of chacra nodes (default 2). */
  nodes?: number;
  host?: string;
  /** shaman's port (0, the default, picks a free one); nodes always take free ports. */
  port?: number;
  /** Credentials of the chacra nodes (default admin / secret). */
  user?: string;
  key?: string;
  /** shaman's api_user / api_key, also the nodes' callback credentials (default shaman / shamankey). */
  shamanUser?: string;
  shamanKey?: string;
  /**
   * Nodes serve HTTPS and shaman answers next with https://, as the real one;
   * shaman gets a TLS front too. `ca` is what shaman trusts for its health
   * checks (default: the certificate itself, enough when it is self-signed).
   */
  tls?: { cert: string | Buffer; key: string | Buffer; ca?: string | Buffer } | undefined;
  /** The time a chacra health check takes (default 2000, as chacra's ~2 s). */
  healthCheckDelayMs?: number;
  /** Step of each node's repo worker (default 1000). */
  repoStepMs?: number;
  /** Wait before a node retries a failed callback (default 1000, doubled each time). */
  callbackRetryDelayMs?: number;
  /** More options for every node (latency, workers, faults). */
  node?: Partial<Omit<ServerOptions, 'dataDir' | 'callback' | 'tls' | 'user' | 'key' | 'repoStepMs'>>;
  onError?: (err: Error) => void;
}

export interface RunningPool {
  /** shaman over plain HTTP, as the nodes' callbacks reach it. */
  shamanUrl: string;
  /** shaman's TLS front, with `tls`. */
  shamanTlsUrl: string | undefined;
  shaman: RunningShaman;
  nodes: RunningServer[];
  /** HOST:PORT of each node, as registered and as next answers it. */
  hosts: string[];
  /** SCHEME://HOST:PORT of each node: what next answers, without its trailing slash. */
  nodeUrls: string[];
  /** Fails node i's /health/ from now on, as `shaman.sh fail PORT`; shaman learns of it at its next check. */
  failNode(i: number): void;
  /** Heals node i and registers every node again, as `shaman.sh heal PORT`. */
  healNode(i: number): Promise<void>;
  /** POST /api/nodes/HOST/ for node i, or for every node in order. */
  register(i?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startPool(options: PoolOptions): Promise<RunningPool> {
  const count = options.nodes ?? 2;
  if (!Number.isInteger(count) || count < 1) throw new Error(`a pool needs at least one node, not ${count}`);
  const host = options.host ?? '127.0.0.1';
  const shamanUser = options.shamanUser ?? 'shaman';
  const shamanKey = options.shamanKey ?? 'shamankey';
  const scheme = options.tls ? 'https' : 'http';
  const shaman = await startShaman({
    host,
    port: options.port ?? 0,
    user: shamanUser,
    key: shamanKey,
    tls: options.tls,
    nodeScheme: scheme,
    ca: options.tls ? (options.tls.ca ?? options.tls.cert) : undefined,
    healthCheckDelayMs: options.healthCheckDelayMs ?? 2000,
  });
  const nodes: RunningServer[] = [];
  const close = async () => {
    // Nodes first: their queued callbacks are dropped, not retried against a closed shaman.
    await Promise.all(nodes.map((n) => n.close()));
    await shaman.close();
  };
  try {
    for (let i = 0; i < count; i++) {
      const dataDir = join(options.dataDir, `node-${i + 1}`);
      mkdirSync(dataDir, { recursive: true });
      nodes.push(
        await startServer({
          ...options.node,
          dataDir,
          host,
          port: 0,
          user: options.user ?? 'admin',
          key: options.key ?? 'secret',
          tls: options.tls ? { cert: options.tls.cert, key: options.tls.key } : undefined,
          repoStepMs: options.repoStepMs ?? 1000,
          callback: { url: `${shaman.url}/api/repos/`, user: shamanUser, key: shamanKey, retryDelayMs: options.callbackRetryDelayMs ?? 1000 },
          ...(options.onError ? { onError: options.onError } : {}),
        }),
      );
    }
  } catch (err) {
    await close();
    throw err;
  }
  const hosts = nodes.map((n) => `${host.includes(':') ? `[${host}]` : host}:${n.port}`);
  const registerOne = async (i: number) => {
    const res = await send(`${shaman.url}/api/nodes/${hosts[i]}/`, { method: 'POST', headers: { authorization: basicAuth(shamanUser, shamanKey) } });
    if (res.status !== 200) throw new Error(`shaman answered ${res.status} to the registration of ${hosts[i]}`);
  };
  const register = async (i?: number) => {
    if (i !== undefined) return registerOne(i);
    // At once, each check taking its time, but created in order: ties of last_used go to the first registered.
    const posts: Promise<void>[] = [];
    for (const [n, h] of hosts.entries()) {
      const post = registerOne(n);
      const created = shaman.waitFor(() => shaman.records.nodes.has(h), 10_000);
      // Both are awaited below or settle unseen: neither may reject unhandled.
      for (const p of [post, created]) p.catch(() => undefined);
      posts.push(post);
      await Promise.race([created, post]).catch(() => undefined);
    }
    await Promise.all(posts);
  };
  try {
    await register();
  } catch (err) {
    await close();
    throw err;
  }
  const node = (i: number) => {
    const n = nodes[i];
    if (!n) throw new Error(`the pool has nodes 0 to ${nodes.length - 1}, not ${i}`);
    return n;
  };
  return {
    shamanUrl: shaman.url,
    shamanTlsUrl: shaman.tlsUrl,
    shaman,
    nodes,
    hosts,
    nodeUrls: hosts.map((h) => `${scheme}://${h}`),
    failNode: (i) => node(i).setHealthy(false),
    async healNode(i) {
      node(i).setHealthy(true);
      await register();
    },
    register,
    close,
  };
}

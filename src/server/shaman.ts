// A local shaman: the API of ../shared/shaman-api.md over HTTP (and a TLS
// front, as nginx gives the real one), in memory. It keeps the pool of chacra
// nodes (rotation, inline health checks, down counts) and the repos the
// nodes report in their status callbacks.
import { EventEmitter } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { listen } from './net.js';
import { BuildBook, handleBuilds, type BuildRecord } from './shaman-builds.js';
import { NodePool, type NodeCheckStats, type NodeRecord } from './shaman-nodes.js';
import { atIndex, handleRepos, RepoBook, type RepoRecord } from './shaman-repos.js';
import { abort, fail, parseExchange, sendJson, sendText, type ShamanExchange } from './shaman-respond.js';
import { search } from './shaman-search.js';

export interface ShamanOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** shaman's api_user and api_key (default shaman / shamankey). */
  user?: string;
  key?: string;
  /** Also serve HTTPS on `port` (0: a free one), as the real shaman's nginx front does. */
  tls?: { cert: string | Buffer; key: string | Buffer; port?: number } | undefined;
  /**
   * The scheme of next's answers and of health checks. The real shaman
   * hard-codes https; a local pool whose nodes serve plain HTTP needs http.
   */
  nodeScheme?: 'http' | 'https';
  /** CA trusted for the nodes' certificates (shaman's chacra_verify_ssl). */
  ca?: string | Buffer | undefined;
  /** Time a chacra health check takes, on top of the request (chacra: about 2 s). Default 2000. */
  healthCheckDelayMs?: number;
  /** Failed checks by next that take a node out of rotation (shaman's health_check_retries, 3). */
  healthCheckRetries?: number;
  /** Default 60 s, as shaman's requests.get(timeout=60). */
  healthCheckTimeoutMs?: number;
}

export interface ShamanStats {
  total: number;
  byMethod: Record<string, number>;
  /** Accepted status callbacks, by status. */
  callbacks: Record<string, number>;
  /** POST /api/nodes/HOST/ with credentials. */
  registrations: number;
  /** next and the health checks it and registrations made. */
  nodes: NodeCheckStats;
  /** Every Authorization header received: tests check whose credentials reach shaman. */
  authorizations: Set<string>;
}

export interface RunningShaman {
  url: string;
  /** The TLS front, when `tls` was given. */
  tlsUrl: string | undefined;
  port: number;
  stats: ShamanStats;
  /** The nodes as /api/nodes/ lists them, by host. */
  nodes(): Record<string, { host: string; last_used: string; last_check: string | null; healthy: boolean; down_count: number }>;
  /** The repos as search lists them, in the order they were first reported. */
  repos(): Record<string, unknown>[];
  /** The live records, for tests that look closer. */
  records: { nodes: ReadonlyMap<string, NodeRecord>; repos(): readonly RepoRecord[]; builds(): readonly BuildRecord[] };
  /** false: /_health/ fails, as with shaman's fail_check_trigger_path; true heals. */
  setHealthy(healthy: boolean): void;
  /** Resolves once `predicate` holds, checked now and after each change of nodes or repos; rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startShaman(options: ShamanOptions = {}): Promise<RunningShaman> {
  const user = options.user ?? 'shaman';
  const key = options.key ?? 'shamankey';
  // shaman splits the credentials on ":" into exactly two: such a key could never be used.
  if (user.includes(':') || key.includes(':')) throw new Error('shaman cannot authenticate a user or key that contains ":"');
  const changes = new EventEmitter();
  changes.setMaxListeners(0);
  const changed = () => changes.emit('change');
  const pool = new NodePool({
    scheme: options.nodeScheme ?? 'https',
    ca: options.ca,
    healthCheckDelayMs: options.healthCheckDelayMs ?? 2000,
    healthCheckRetries: options.healthCheckRetries ?? 3,
    healthCheckTimeoutMs: options.healthCheckTimeoutMs ?? 60_000,
    onChange: changed,
  });
  const book = new RepoBook(changed);
  const builds = new BuildBook(book.projects, changed);
  const stats: ShamanStats = { total: 0, byMethod: {}, callbacks: book.callbacks, registrations: 0, nodes: pool.stats, authorizations: new Set() };
  const health = { ok: true };
  const context: Context = { pool, book, builds, stats, health, user, key };

  const handler = (scheme: string) => (req: IncomingMessage, res: ServerResponse) => {
    stats.total++;
    stats.byMethod[req.method ?? '?'] = (stats.byMethod[req.method ?? '?'] ?? 0) + 1;
    if (req.headers.authorization) stats.authorizations.add(req.headers.authorization);
    const x = parseExchange(req, res, `${scheme}://${req.headers.host ?? 'localhost'}`);
    route(x, context).catch(() => {
      // No request may stop the server: what a handler failed on is gunicorn's 500.
      if (res.headersSent) res.destroy();
      else fail(x);
    });
  };
  const servers: Server[] = [];
  const host = options.host ?? '127.0.0.1';
  try {
    const plain = createHttpServer(handler('http'));
    servers.push(plain);
    await listen(plain, options.port ?? 0, host);
    if (options.tls) {
      const front = createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler('https'));
      servers.push(front);
      await listen(front, options.tls.port ?? 0, host);
    }
  } catch (err) {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    throw err;
  }
  const urlOf = (server: Server, scheme: string) => {
    const a = server.address() as AddressInfo;
    return `${scheme}://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  };
  return {
    url: urlOf(servers[0]!, 'http'),
    tlsUrl: servers[1] ? urlOf(servers[1], 'https') : undefined,
    port: (servers[0]!.address() as AddressInfo).port,
    stats,
    nodes: () => Object.fromEntries([...pool.nodes.values()].map((n) => [n.host, pool.json(n) as ReturnType<RunningShaman['nodes']>[string]])),
    repos: () => book.repos.map((r) => book.json(r)),
    records: { nodes: pool.nodes, repos: () => book.repos, builds: () => builds.builds },
    setHealthy(healthy: boolean) {
      health.ok = healthy;
    },
    waitFor(predicate: () => boolean, timeoutMs = 30_000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!predicate()) return;
          clearTimeout(timer);
          changes.off('change', check);
          resolve();
        };
        const timer = setTimeout(() => {
          changes.off('change', check);
          reject(new Error(`shaman did not reach the awaited state in ${timeoutMs} ms`));
        }, timeoutMs);
        // The servers keep the process alive while the wait means anything.
        timer.unref();
        changes.on('change', check);
        check();
      });
    },
    async close() {
      pool.close();
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}

interface Context {
  pool: NodePool;
  book: RepoBook;
  builds: BuildBook;
  stats: ShamanStats;
  health: { ok: boolean };
  user: string;
  key: string;
}

/** shaman's auth.basic_auth: the header's second word, base64, split on ":" into exactly two. */
function authorized(x: ShamanExchange, ctx: Context): boolean {
  const token = (x.req.headers.authorization ?? '').split(' ')[1];
  if (!token) return false;
  const parts = Buffer.from(token, 'base64').toString('utf8').split(':');
  return parts.length === 2 && parts[0] === ctx.user && parts[1] === ctx.key;
}

const anyMethod = (x: ShamanExchange) => [x.method === 'HEAD' ? 'GET' : x.method];

async function route(x: ShamanExchange, ctx: Context): Promise<void> {
  const [root, ...s] = x.segments;
  if (root === undefined) {
    x.req.resume();
    const projects = [...ctx.book.projects].map((p) => `<li>${escapeHtml(p)}</li>`).join('');
    return sendText(x, 200, `<html><head><title>shaman</title></head><body><h1>shaman</h1><ul>${projects}</ul></body></html>`, 'text/html; charset=utf-8');
  }
  if (root === '_health' && s.length === 0) {
    if (!atIndex(x, anyMethod(x))) return;
    x.req.resume();
    if (!ctx.health.ok) return abort(x, 500); // #36
    x.res.writeHead(204);
    return void x.res.end(); // #2
  }
  if (root !== 'api') return abort(x, 404);
  const [what, ...rest] = s;
  if (what === undefined) {
    if (!atIndex(x, anyMethod(x))) return;
    x.req.resume();
    return sendJson(x, 200, { repos: [...ctx.book.projects] }); // #1, #37
  }
  if (what === 'nodes') return nodes(x, rest, ctx);
  if (what === 'repos') return handleRepos(x, rest, ctx.book, authorized(x, ctx), () => abort(x, 401));
  if (what === 'builds') return handleBuilds(x, rest, ctx.builds, ctx.book.projects, authorized(x, ctx), () => abort(x, 401));
  if (what === 'search' && rest.length === 0) {
    if (!atIndex(x, anyMethod(x))) return;
    x.req.resume();
    return search(x, ctx.book);
  }
  return abort(x, 404);
}

async function nodes(x: ShamanExchange, s: string[], ctx: Context): Promise<void> {
  const [host, ...below] = s;
  if (host === undefined) {
    if (!atIndex(x, anyMethod(x))) return;
    x.req.resume();
    return sendJson(x, 200, Object.fromEntries([...ctx.pool.nodes.values()].map((n) => [n.host, ctx.pool.json(n)]))); // #3: keyed by host
  }
  if (below.length > 0) return abort(x, 404);
  x.req.resume();
  // Any method, with or without the slash (#11, #13); a node cannot be named "next".
  if (host === 'next') {
    if (!authorized(x, ctx)) return abort(x, 401); // #7, #8
    const node = await ctx.pool.next();
    if (!node) return abort(x, 404, 'There are no healthy chacra nodes available.'); // #27
    return sendText(x, 200, ctx.pool.urlOf(node)); // #9: no quotes, no newline
  }
  if (!atIndex(x, ['GET', 'POST'])) return; // #5, #17, #18
  if (x.method !== 'POST') {
    const node = ctx.pool.nodes.get(host);
    return node ? sendJson(x, 200, ctx.pool.json(node)) : abort(x, 404); // #4, #6
  }
  if (!authorized(x, ctx)) return abort(x, 401); // #15
  ctx.stats.registrations++;
  await ctx.pool.register(host);
  return sendJson(x, 200, {}); // #16, #19: whatever the health
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

// A local chacra: the API of ../shared/chacra-api.md over HTTP or HTTPS, with
// state on disk, a repo worker on a timer, and optional chacra-like latency,
// a worker limit and injected faults for benchmarks and tests.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { SEARCH_KEYS } from '../types.js';
import { handleBinaries } from './binaries.js';
import { CallbackSender, type CallbackOptions } from './callbacks.js';
import { applyFault, Faults, type FaultRule } from './faults.js';
import { listen } from './net.js';
import { handleRepos, RepoWorker } from './repos.js';
import {
  badRequest,
  BodyTooLarge,
  crash,
  methodNotAllowed,
  notFound,
  sendEmpty,
  sendJson,
  tooLarge,
  unauthorized,
  unhealthy,
  type Exchange,
} from './respond.js';
import { Store } from './store.js';

export interface ServerOptions {
  dataDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  user?: string;
  key?: string;
  /** PEM certificate and key: serve HTTPS. */
  tls?: { cert: string | Buffer; key: string | Buffer } | undefined;
  /** Time each request takes to handle, like chacra's ~30 ms per upload. */
  delayMs?: number;
  /** Requests handled at once, like gunicorn's workers; others wait. 0: no limit. */
  workers?: number;
  /** Step of the repo worker; 0 disables it (repos stay "requested", /health/ answers 500). */
  repoStepMs?: number;
  faults?: FaultRule[];
  /** Post repo status callbacks to shaman, as chacra does with callback_url. */
  callback?: CallbackOptions;
  /** Told of failures that do not stop the server, such as a failed accept (too many open files). */
  onError?: (err: Error) => void;
}

export interface ServerStats {
  total: number;
  byMethod: Record<string, number>;
  connections: number;
  uploadTypes: Record<string, number>;
  /** First uploads into a repo that overlapped another's: on chacra each made its own repo record. */
  duplicateRepos: number;
  /** Every Authorization header received: tests check whose credentials reach a node. */
  authorizations: Set<string>;
}

export interface RunningServer {
  url: string;
  port: number;
  store: Store;
  faults: Faults;
  /** The repo builder; /health/ passes while it runs. */
  worker: RepoWorker;
  /** Requests received, by method; connections accepted; content types of uploaded files. */
  stats: ServerStats;
  /** The repo status callbacks to shaman, when `callback` was given. */
  callbacks: CallbackSender | undefined;
  /** false: /health/ fails, as with chacra's trigger file (touch /tmp/fail_check); true heals. */
  setHealthy(healthy: boolean): void;
  /** Refuses connections for `ms` (drops those open), then listens again on the same port. */
  outage(ms: number): Promise<void>;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const store = new Store(options.dataDir);
  await store.load();
  const faults = new Faults();
  for (const rule of options.faults ?? []) faults.add(rule);
  const user = options.user ?? 'admin';
  const key = options.key ?? 'secret';
  const repoStepMs = options.repoStepMs ?? 1000;
  const worker = new RepoWorker(store);
  const health = { ok: true };
  const stats: ServerStats = { total: 0, byMethod: {}, connections: 0, uploadTypes: {}, duplicateRepos: 0, authorizations: new Set() };
  const limit = new Limiter(options.workers ?? 0);
  const scheme = options.tls ? 'https' : 'http';

  /**
   * Each connection's last exchange: a request pipelined behind another is
   * handled once that one is answered, as a WSGI server does (#20: POST, GET,
   * DELETE of one binary sent at once answered 201, 404, 404).
   */
  const lastOn = new WeakMap<object, Promise<void>>();
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const before = lastOn.get(req.socket);
    const answered = new Promise<void>((resolve) => {
      res.once('finish', resolve);
      res.once('close', resolve);
    });
    lastOn.set(req.socket, answered);
    if (before) void before.then(() => handle(req, res));
    else handle(req, res);
  };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    stats.total++;
    stats.byMethod[req.method ?? '?'] = (stats.byMethod[req.method ?? '?'] ?? 0) + 1;
    if (req.headers.authorization) stats.authorizations.add(req.headers.authorization);
    const x = exchangeOf(req, res);
    if (!x) {
      res.writeHead(400).end();
      return;
    }
    const fault = faults.choose(x);
    // A worker is freed when its client disconnects, whatever the handler was waiting for.
    const closed = new Promise<void>((resolve) => res.once('close', resolve));
    void limit
      .run(() =>
        Promise.race([
          closed,
          (async () => {
            if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
            if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
            if (fault && (await applyFault(x, fault))) return;
            const base = `${scheme}://${req.headers.host ?? 'localhost'}`;
            await route(x, { store, user, key, base, worker, faults, stats, health });
          })(),
        ]),
      )
      .catch((err: unknown) => {
        // No request may stop the server: what a handler failed on becomes an answer.
        if (res.headersSent) res.destroy();
        else if (err instanceof BodyTooLarge) tooLarge(x);
        else if ((err as NodeJS.ErrnoException | undefined)?.code === 'ENAMETOOLONG') badRequest(x, 'the path is too long for the filesystem');
        else crash(x);
      });
  };

  const server: Server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler) : createHttpServer(handler);
  // Keep-alive as nginx in front of chacra does.
  server.keepAliveTimeout = 30_000;
  server.on('connection', () => stats.connections++);
  await listen(server, options.port ?? 0, options.host ?? '127.0.0.1');
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  // Started once the port is known: its first step may already post a callback naming this node.
  const callbacks = options.callback
    ? new CallbackSender(options.callback, `${scheme}://${options.callback.hostname ?? `${host}:${address.port}`}/`, options.onError)
    : undefined;
  if (callbacks) store.onRepoStatus = (status, repo) => callbacks.post(status, store.repoDocument(repo));
  if (repoStepMs > 0) worker.start(repoStepMs);
  // Once listening, an error (a failed accept) is reported and the server goes on;
  // those of listening again after an outage reject outage() instead.
  server.on('error', (err: NodeJS.ErrnoException) => {
    if (err.syscall !== 'listen') options.onError?.(err);
  });
  return {
    url: `${scheme}://${host === '127.0.0.1' && options.tls ? 'localhost' : host}:${address.port}`,
    port: address.port,
    store,
    faults,
    worker,
    stats,
    callbacks,
    setHealthy(healthy: boolean) {
      health.ok = healthy;
    },
    async outage(ms: number) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await new Promise((resolve) => setTimeout(resolve, ms));
      await listen(server, address.port, address.address);
    },
    async close() {
      worker.stop();
      callbacks?.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      store.saveNow();
    },
  };
}

function exchangeOf(req: IncomingMessage, res: ServerResponse): Exchange | undefined {
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const rawPath = q < 0 ? raw : raw.slice(0, q);
  try {
    const parts = rawPath.split('/').slice(1).map(decodeURIComponent);
    const trailingSlash = parts.at(-1) === '';
    if (trailingSlash) parts.pop();
    return { req, res, method: req.method ?? 'GET', segments: parts, trailingSlash, query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)), rawPath };
  } catch {
    return undefined;
  }
}

interface RouteContext {
  store: Store;
  user: string;
  key: string;
  base: string;
  worker: RepoWorker;
  faults: Faults;
  stats: ServerStats;
  /** Cleared by setHealthy(false): chacra's trigger file. */
  health: { ok: boolean };
}

function authorized(req: IncomingMessage, user: string, key: string): boolean {
  const header = req.headers.authorization ?? '';
  const m = /^Basic\s+(.+)$/i.exec(header);
  if (!m) return false;
  const given = Buffer.from(Buffer.from(m[1]!, 'base64').toString('utf8'));
  const expected = Buffer.from(`${user}:${key}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function route(x: Exchange, ctx: RouteContext): Promise<void> {
  const [root, ...rest] = x.segments;
  const reading = x.method === 'GET' || x.method === 'HEAD';
  // #15: GET and HEAD without the trailing slash are redirected to it.
  if (reading && !x.trailingSlash && x.segments.length > 0) {
    const query = x.query.toString();
    x.res.writeHead(302, { location: `${ctx.base}${x.rawPath}/${query ? `?${query}` : ''}`, 'content-type': 'text/html; charset=UTF-8', 'content-length': 0 });
    return void x.res.end();
  }
  // chacra looks a binary's project up before it checks credentials: a PUT or
  // DELETE under a project that does not exist is a 404 whatever they are
  // (seen on a real chacra); a POST creates the project, so it is checked.
  if ((x.method === 'DELETE' || x.method === 'PUT') && root === 'binaries' && rest.length > 0 && !ctx.store.projects.has(rest[0]!)) {
    x.req.resume();
    return notFound(x);
  }
  if (!reading && !authorized(x.req, ctx.user, ctx.key)) {
    x.req.resume();
    return unauthorized(x);
  }
  const sub: Exchange = { ...x, segments: rest };
  switch (root) {
    case undefined:
      if (!reading) return methodNotAllowed(x, `${x.method} requests to this url are not allowed`);
      return sendJson(x, 200, {
        binaries: [...ctx.store.projects].sort(),
        description: 'chacra is a binary API that allows querying, posting,\nupdating, and retrieving binaries for different projects.',
        documentation: 'https://github.com/ceph/chacra#chacra',
        repos: [...new Set([...ctx.store.repos.values()].filter((r) => r.path !== null).map((r) => r.project))].sort(),
      });
    case 'binaries':
      return handleBinaries(sub, ctx.store, ctx.faults, ctx.stats);
    case 'repos':
      return handleRepos(sub, ctx.store, ctx.base);
    case 'search':
      return search(sub, ctx);
    case 'health':
      if (rest.length) return notFound(x);
      // chacra answers 204 when its checks pass (#110), 500 otherwise (#93).
      return ctx.worker.running && ctx.health.ok ? sendEmpty(x, 204) : unhealthy(x);
    default:
      return notFound(x);
  }
}

function search(x: Exchange, ctx: RouteContext): void {
  if (x.segments.length) return notFound(x);
  const keys = [...new Set(x.query.keys())];
  if (keys.length === 0) return sendJson(x, 200, {}); // #85
  const unknown = keys.filter((k) => !(SEARCH_KEYS as readonly string[]).includes(k));
  if (unknown.length) return methodNotAllowed(x, `invalid query params: ${unknown.join(', ')}`); // #86
  const field: Record<string, string> = { distro_version: 'version' };
  const now = Date.now();
  const found = [...ctx.store.binaries.values()].filter((b) =>
    keys.every((k) => {
      const want = x.query.get(k)!;
      if (k === 'name-has') return b.name.includes(want);
      const value = (b as unknown as Record<string, unknown>)[field[k] ?? (k === 'built_by' ? 'builtBy' : k)];
      return String(value) === want;
    }),
  );
  found.sort((a, b) => a.name.localeCompare(b.name) || a.flavor.localeCompare(b.flavor));
  sendJson(
    x,
    200,
    found.map((b) => ctx.store.binaryMetadata(b, now)),
  );
}

/** At most `size` handlers at once; the rest wait in arrival order. */
class Limiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  constructor(private readonly size: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.size > 0 && this.active >= this.size) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

export { Faults, type FaultRule };

// What every command handler gets: output streams, the logger, the
// interruption signal, and the client built once from the resolved config.
import type { ChacraClient } from '../client/client.js';
import type { ShamanClient } from '../client/shaman.js';
import { resolveConfig, type ResolvedConfig } from '../config/resolve.js';
import { ConfigError, ExitCode, UsageError } from '../errors.js';
import type { NodeMemory } from '../operations/nodes.js';
import type { Values } from './grammar.js';
import type { Io, Paint } from './io.js';
import type { CliLogger } from './log.js';

export interface Context {
  io: Io;
  logger: CliLogger;
  paint: Paint;
  signal: AbortSignal;
  values: Values;
  json: boolean;
  quiet: boolean;
  /** A result line on stdout. */
  print(line: string): void;
  printJson(value: unknown): void;
  /** The settings from flags, environment and file; allowPlaceholder: the template's url is returned, marked (config show). */
  config(options?: { needsCredentials?: boolean; allowPlaceholder?: boolean }): Promise<ResolvedConfig>;
  /**
   * A client of the resolved config, or of `settings` (config init checks what
   * it wrote), or of the node `url` of the pool (with the chacra credentials).
   */
  client(options?: { needsCredentials?: boolean; connections?: number; settings?: ResolvedConfig; url?: string }): Promise<ChacraClient>;
  /** A client of the configured shaman; a ConfigError when none is. */
  shaman(options?: { needsCredentials?: boolean }): Promise<ShamanClient>;
  /** The pool behind shaman, when it is to be used: shaman configured and no chacra url. */
  pool(): Promise<PoolAccess | undefined>;
  close(): Promise<void>;
}

/** Seconds, or a number with a unit: 500ms, 30s, 5m, 1h. */
export function parseDuration(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`--${option} takes a duration such as 30s, 5m or 90, not ${JSON.stringify(text)}`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit]!);
}

/**
 * The status of a run that a signal stopped, as a shell reports a process it
 * killed (128 + the signal's number): 143 for SIGTERM, which bin/chacractl.ts
 * gives as the abort's reason, 130 for SIGINT and any other stop.
 */
export function stoppedStatus(signal: AbortSignal): ExitCode {
  return signal.aborted && signal.reason === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted;
}

export function parseCount(text: string, option: string, min = 0): number {
  if (!/^\d+$/.test(text) || Number(text) < min)
    throw new UsageError(`--${option} takes a whole number${min ? ` from ${min}` : ''}, not ${JSON.stringify(text)}`);
  return Number(text);
}

export interface PoolAccess {
  shaman: ShamanClient;
  memory: NodeMemory;
  clientFor(node: string, connections?: number): ChacraClient;
}

export interface ContextOptions {
  io: Io;
  logger: CliLogger;
  paint: Paint;
  signal: AbortSignal;
  values: Values;
  /** Whether --timeout bounds each request; repo wait and --wait use it for the wait instead. */
  requestTimeout: boolean;
  /** The command will make requests: start loading the HTTP client now. */
  preloadClient?: boolean;
  /** Clients send over node:http, which starts at once, rather than undici's pool (see CommandSpec.bulk). */
  light?: boolean;
}

export function createContext({ io, logger, paint, signal, values, requestTimeout, preloadClient = false, light = false }: ContextOptions): Context {
  /**
   * What every client of this run shares: timeouts, retries, logging, proxies.
   * Unset, the library's defaults apply: 3 retries, and a try given up after
   * 30 s of silence, so that a hung server is left after about two minutes.
   */
  const transportSettings = () => {
    const retries = values.retries === undefined ? 3 : parseCount(str('retries')!, 'retries');
    return {
      timeoutMs: requestTimeout && values.timeout !== undefined ? parseDuration(str('timeout')!, 'timeout') : undefined,
      retry: {
        tries: retries + 1,
        ...(values['retry-delay'] !== undefined ? { baseDelayMs: parseDuration(str('retry-delay')!, 'retry-delay') } : {}),
      },
      logger,
      env: io.env,
      light,
    };
  };
  let resolved: ResolvedConfig | undefined;
  // undici is most of the start-up time, so only bulk commands load it, and
  // they start at once, while they read their config, standard input and files.
  let loading: Promise<typeof import('../client/client.js')> | undefined;
  const clientModule = () => (loading ??= import('../client/client.js'));
  if (preloadClient) {
    void clientModule();
    // Its failure, if any, is the first request's to report.
    if (!light) import('../client/undici-engine.js').catch(() => undefined);
  }
  const clients: { close(): Promise<void> }[] = [];
  let pool: Promise<PoolAccess | undefined> | undefined;
  const str = (name: string) => values[name] as string | undefined;
  const ctx: Context = {
    io,
    logger,
    paint,
    signal,
    values,
    json: values.json === true,
    quiet: values.quiet === true,
    print(line) {
      logger.beforeWrite?.();
      io.stdout.write(logger.redact(line) + '\n');
      logger.afterWrite?.();
    },
    printJson(value) {
      io.stdout.write(logger.redact(JSON.stringify(value, null, 2)) + '\n');
    },
    async config(options = {}) {
      if (resolved) return resolved;
      resolved = await resolveConfig({
        flags: {
          url: str('url'),
          user: str('user'),
          key: str('key'),
          config: str('config'),
          insecure: values.insecure === true,
          ca: str('ca'),
          shaman: str('shaman'),
        },
        env: io.env,
        needsCredentials: options.needsCredentials ?? true,
        allowPlaceholder: options.allowPlaceholder === true,
      });
      logger.addSecret(resolved.key);
      for (const w of resolved.warnings) logger.warn(w);
      if (!resolved.tls.verify) logger.warn('TLS certificate verification is off (ssl_verify = False or --insecure): the server is not authenticated');
      logger.debug(
        `url ${resolved.url} (from ${resolved.sources.url}), user ${resolved.user ?? '(none)'} (from ${resolved.sources.user}), key ${resolved.key ? 'set' : 'not set'} (from ${resolved.sources.key})`,
      );
      return resolved;
    },
    async client(options = {}) {
      const config = options.settings ?? (await ctx.config(options));
      const { ChacraClient } = await clientModule();
      const url = options.url ?? config.url;
      if (url === undefined)
        throw new ConfigError('this command needs a chacra url: the pool behind shaman does not serve it', {
          hint: 'pass --url, set CHACRA_URL, or url in the config file',
        });
      const client = new ChacraClient({
        ...transportSettings(),
        url,
        user: config.user,
        key: config.key,
        tls: config.tls,
        connections: options.connections,
      });
      clients.push(client);
      return client;
    },
    async shaman(options = {}) {
      const config = await ctx.config({ needsCredentials: false });
      if (!config.shaman)
        throw new ConfigError('no shaman is configured', {
          file: config.file,
          hint: 'pass --shaman URL, set CHACRA_SHAMAN_URL, or shaman_url in the config file (with SHAMAN_API_USER and SHAMAN_API_KEY, or shaman_user and shaman_key)',
        });
      const { user, key } = config.shaman;
      if (options.needsCredentials && (user === undefined || key === undefined))
        throw new ConfigError("shaman's user and key are not set", {
          file: config.file,
          hint: 'set SHAMAN_API_USER and SHAMAN_API_KEY, or shaman_user and shaman_key in the config file',
        });
      logger.addSecret(key);
      const { ShamanClient } = await import('../client/shaman.js');
      const client = new ShamanClient({
        ...transportSettings(),
        url: config.shaman.url,
        user,
        key,
        tls: config.tls,
        nodeScheme: io.env.CHACRA_NODE_SCHEME === 'http' ? 'http' : 'https',
      });
      clients.push(client);
      return client;
    },
    pool() {
      pool ??= (async () => {
        const config = await ctx.config({ needsCredentials: false });
        if (config.url !== undefined || config.shaman === undefined) return undefined;
        const shaman = await ctx.shaman();
        const { ChacraClient } = await clientModule();
        const { fileNodeMemory, nodeMemoryPath } = await import('./node-memory.js');
        const nodes = new Map<string, ChacraClient>();
        return {
          shaman,
          memory: fileNodeMemory(nodeMemoryPath(io.env)),
          clientFor(node: string, connections?: number) {
            let client = nodes.get(node);
            if (!client) {
              // The chacra credentials only: shaman's never go to a node.
              client = new ChacraClient({ ...transportSettings(), url: node, user: config.user, key: config.key, tls: config.tls, connections });
              nodes.set(node, client);
              clients.push(client);
            }
            return client;
          },
        };
      })();
      return pool;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
    },
  };
  return ctx;
}

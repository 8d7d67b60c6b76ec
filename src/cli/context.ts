// What every command handler gets: output streams, the logger, the
// interruption signal, and the client built once from the resolved config.
import type { ChacraClient } from '../client/client.js';
import type { InternalTransportOptions } from '../client/transport-options.js';
import { resolveConfig, writeConfigTemplate, type ResolvedConfig } from '../config/resolve.js';
import { type ChacraError, ConfigError, ExitCode } from '../errors.js';
import type { Context, PoolAccess, Values } from './grammar/model.js';
import type { Io, Paint } from './io.js';
import type { CliLogger } from './log.js';

export type { Context, PoolAccess } from './grammar/model.js';

/**
 * The status of a run that a signal stopped, as a shell reports a process it
 * killed (128 + the signal's number): 143 for SIGTERM, which bin/chacractl.ts
 * gives as the abort's reason, 130 for SIGINT and any other stop.
 */
export function stoppedStatus(signal: AbortSignal): ExitCode {
  return signal.aborted && signal.reason === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted;
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
}

/** What a run leaves for its --json document. */
export interface RunOutput {
  data?: object;
  failure?: ChacraError;
  /** The document went out already (serve prints it once it listens). */
  printed?: boolean;
  /** Prints the document now, as a success. */
  publish?: () => void;
}

export function createContext({ io, logger, paint, signal, values, requestTimeout, preloadClient = false }: ContextOptions, output: RunOutput = {}): Context {
  /**
   * What every client of this run shares: timeouts, retries, logging, proxies.
   * Unset, the library's defaults apply: 3 retries, and a try given up after
   * 30 s of silence, so that a hung server is left after about two minutes.
   */
  const transportSettings = (): Omit<InternalTransportOptions, 'url'> => {
    return {
      timeoutMs: requestTimeout ? values.timeout : undefined,
      retry: {
        tries: (values.retries ?? 3) + 1,
        ...(values['retry-delay'] !== undefined ? { baseDelayMs: values['retry-delay'] } : {}),
      },
      logger,
      env: io.env,
      // The process is the CLI's: it may set V8's flags (an option the library does not offer).
      baselineWasm: true,
    };
  };
  let resolved: ResolvedConfig | undefined;
  // The client loads while the command reads its config, standard input and files.
  let loading: Promise<typeof import('../client/client.js')> | undefined;
  const clientModule = () => (loading ??= import('../client/client.js'));
  if (preloadClient) void clientModule();
  const clients: { close(): Promise<void> }[] = [];
  let pool: Promise<PoolAccess | undefined> | undefined;
  const ctx: Context = {
    io,
    logger,
    paint,
    signal,
    values,
    json: values.json === true,
    quiet: values.quiet === true,
    print(line) {
      if (values.json === true) return;
      logger.beforeWrite?.();
      io.stdout.write(logger.redact(line) + '\n');
      logger.afterWrite?.();
    },
    printJson(value) {
      output.data = value;
    },
    failure(err) {
      output.failure ??= err;
    },
    publishJson() {
      if (values.json === true && !output.printed) output.publish?.();
    },
    async config(options = {}) {
      if (resolved) return resolved;
      resolved = await resolveConfig({
        flags: {
          url: values.url,
          user: values.user,
          key: values.key,
          config: values.config,
          insecure: values.insecure === true,
          ca: values.ca,
          shaman: values.shaman,
        },
        env: io.env,
        needsCredentials: options.needsCredentials ?? true,
        allowPlaceholder: options.allowPlaceholder === true,
        // The command line, not the library, writes the first run's template, as the Python client did.
        firstRun: (file) => writeConfigTemplate(file),
      });
      logger.addSecret(resolved.key);
      for (const w of resolved.warnings) logger.warn(w);
      // Said where a person reads it: on a terminal (config show says it everywhere); a CI log would get it on every call.
      if (resolved.exposedKey !== undefined && io.stderr.isTTY === true) logger.warn(resolved.exposedKey);
      if (!resolved.tls.verify) logger.warn('TLS certificate verification is off (ssl_verify = False or --insecure): the server is not authenticated');
      logger.debug(
        `url ${resolved.url} (from ${resolved.sources.url}), user ${resolved.user ?? '(none)'} (from ${resolved.sources.user}), key ${resolved.key ? 'set' : 'not set'} (from ${resolved.sources.key})`,
      );
      return resolved;
    },
    settings() {
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
          // A file is named only when there is one to edit.
          ...(config.fileExists ? { file: config.file } : {}),
          hint: 'pass --shaman URL, set CHACRA_SHAMAN_URL, or shaman_url in the config file (with SHAMAN_API_USER and SHAMAN_API_KEY, or shaman_user and shaman_key)',
        });
      const { user, key } = config.shaman;
      if (options.needsCredentials && (user === undefined || key === undefined))
        throw new ConfigError("shaman's user and key are not set", {
          ...(config.fileExists ? { file: config.file } : {}),
          hint: `set SHAMAN_API_USER and SHAMAN_API_KEY${config.fileExists ? `, or shaman_user and shaman_key in ${config.file}` : ''}`,
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

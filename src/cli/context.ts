// What every command handler gets: output streams, the logger, the
// interruption signal, and the client built once from the resolved config.
import type { ChacraClient } from '../client/client.js';
import { resolveConfig, type ResolvedConfig } from '../config/resolve.js';
import { ExitCode, UsageError } from '../errors.js';
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
  config(options?: { needsCredentials?: boolean }): Promise<ResolvedConfig>;
  client(options?: { needsCredentials?: boolean; connections?: number }): Promise<ChacraClient>;
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

export function createContext({ io, logger, paint, signal, values, requestTimeout, preloadClient = false }: ContextOptions): Context {
  let resolved: ResolvedConfig | undefined;
  // undici is most of the start-up time, so --version and --help never load it;
  // a command that will talk to the server starts loading it at once, while it
  // reads its config, its standard input and its files.
  let loading: Promise<typeof import('../client/client.js')> | undefined;
  const clientModule = () => (loading ??= import('../client/client.js'));
  if (preloadClient) void clientModule();
  const clients: ChacraClient[] = [];
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
        flags: { url: str('url'), user: str('user'), key: str('key'), config: str('config'), insecure: values.insecure === true, ca: str('ca') },
        env: io.env,
        needsCredentials: options.needsCredentials ?? true,
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
      const config = await ctx.config(options);
      const { ChacraClient } = await clientModule();
      const retries = values.retries === undefined ? 3 : parseCount(str('retries')!, 'retries');
      const client = new ChacraClient({
        url: config.url,
        user: config.user,
        key: config.key,
        tls: config.tls,
        connections: options.connections,
        timeoutMs: requestTimeout && values.timeout !== undefined ? parseDuration(str('timeout')!, 'timeout') : undefined,
        retry: {
          tries: retries + 1,
          ...(values['retry-delay'] !== undefined ? { baseDelayMs: parseDuration(str('retry-delay')!, 'retry-delay') } : {}),
        },
        logger,
        env: io.env,
      });
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
    },
  };
  return ctx;
}

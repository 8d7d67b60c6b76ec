// The command grammar's types: options, commands, the parsed invocation and
// the context a command runs with. Types only, so that the parser, the help,
// the context and the commands can all share them without importing each other.
import type { ChacraClient } from '../../client/client.js';
import type { ChacraError } from '../../errors.js';
import type { ShamanClient } from '../../client/shaman.js';
import type { ResolvedConfig } from '../../config/resolve.js';
import type { NodeMemory } from '../../operations/nodes.js';
import type { FaultRule } from '../../server/faults.js';
import type { Io, Paint } from '../io.js';
import type { CliLogger, LogLevel } from '../log.js';

/**
 * How an option's text becomes its value: a flag takes none; a count is a
 * whole number (at least `min`); a duration is milliseconds (30s, 5m, 500ms,
 * 90 for seconds); a url must be http or https; a level is a log level; a
 * window is two durations, AFTER:FOR (5s:10s); distros is a list of
 * DISTRO/VERSION[/ARCH], kept as written (shaman reads that text); a fault is
 * the local server's METHOD:PATH-REGEX:ACTION[:COUNT].
 */
export type OptionKind = 'flag' | 'string' | 'path' | 'url' | 'count' | 'duration' | 'level' | 'window' | 'distros' | 'fault';

/** A stretch of time from a moment: --outage 5s:10s. */
export interface Window {
  after: number;
  length: number;
}

export interface OptionSpec<K extends OptionKind = OptionKind> {
  kind: K;
  short?: string;
  /** Given more than once, its values are kept in order (a list). */
  multiple?: boolean;
  /** The smallest count it takes. */
  min?: number;
  /** The longest duration it takes, in ms: a timer fires longer ones at once. */
  max?: number;
  /** Placeholder shown in help, such as N or PATH. */
  value?: string;
  description: string;
  /** Another spelling that means the same, such as --logging for --log. */
  alias?: string;
}

/** Every option's value after parsing: durations in ms, counts as numbers. */
export interface Values {
  url?: string;
  shaman?: string;
  user?: string;
  key?: string;
  config?: string;
  insecure?: boolean;
  ca?: string;
  log?: LogLevel;
  json?: boolean;
  quiet?: boolean;
  timeout?: number;
  retries?: number;
  'retry-delay'?: number;
  help?: boolean;
  version?: boolean;
  force?: boolean;
  jobs?: number;
  'dry-run'?: boolean;
  yes?: boolean;
  null?: boolean;
  wait?: boolean;
  interval?: number;
  port?: number;
  host?: string;
  data?: string;
  'tls-cert'?: string;
  'tls-key'?: string;
  delay?: number;
  workers?: number;
  'repo-step'?: number;
  repos?: boolean;
  long?: boolean;
  output?: string;
  name?: string;
  'name-has'?: string;
  distro?: string;
  'distro-version'?: string;
  arch?: string;
  ref?: string;
  'built-by'?: string;
  /** Bytes. */
  size?: number;
  project?: string;
  sha1?: string;
  flavor?: string;
  distros?: string;
  ready?: boolean;
  fault?: FaultRule[];
  outage?: Window;
  pool?: number;
  'health-delay'?: number;
  'shaman-user'?: string;
  'shaman-key'?: string;
  'build-url'?: string;
  'log-url'?: string;
  extra?: string[];
  'build-version'?: string;
}

export type OptionName = keyof Values;

/** The kinds whose parser yields a value of type T. */
type KindFor<T> = T extends boolean
  ? 'flag'
  : T extends Window
    ? 'window'
    : T extends number
      ? 'count' | 'duration'
      : T extends FaultRule[]
        ? 'fault'
        : T extends string[]
          ? 'string' | 'path'
          : string extends T
            ? 'string' | 'path' | 'url' | 'distros'
            : 'level';

/** The option table: every option of Values declared, with a kind that yields its type. */
export type OptionTable = { [N in OptionName]-?: OptionSpec<KindFor<NonNullable<Values[N]>>> };

export interface ArgSpec {
  name: string;
  required?: boolean;
  variadic?: boolean;
}

export interface Invocation {
  command: CommandSpec;
  args: string[];
  values: Values;
}

export interface CommandSpec {
  /** Words of the command, such as ['binary', 'create']. */
  path: string[];
  summary: string;
  description?: string;
  args: ArgSpec[];
  /** Names of the options it accepts besides the global ones. */
  options: OptionName[];
  /**
   * The global options that do something for it, where not all do (serve
   * talks to no server): its help lists only these. Every global option is
   * still accepted, as the README promises.
   */
  globalOptions?: OptionName[];
  /** What an option means for this command, where its general description does not say. */
  optionHelp?: Partial<Record<OptionName, string>>;
  examples?: string[];
  /** It talks to no chacra server: the HTTP client is not loaded ahead. */
  offline?: boolean;
  /**
   * It moves many files or big ones: its clients use undici's keep-alive
   * pool, whose start-up the transfer repays; others use node:http.
   */
  bulk?: boolean;
  /** Whether, with these options, it waits for a repo: --timeout then bounds the wait, not each request. */
  waitsForRepo?: (values: Values) => boolean;
  /**
   * Global options that mean something else for this command, spelled the
   * same: `build update --version V` is the build's version, not chacractl's.
   */
  renames?: Partial<Record<OptionName, OptionName>>;
  run(invocation: Invocation, context: Context): Promise<number>;
}

/** What parsing, help and the README reference read: the declarations. */
export interface GrammarData {
  readonly commands: CommandSpec[];
  readonly options: Record<string, OptionSpec>;
  readonly globalOptions: string[];
}

export interface Context {
  io: Io;
  logger: CliLogger;
  paint: Paint;
  signal: AbortSignal;
  values: Values;
  json: boolean;
  quiet: boolean;
  /** A result line on stdout; with --json, stdout is the document's alone, and the line is not printed. */
  print(line: string): void;
  /**
   * The command's data for its --json document (an object: its fields go
   * beside the envelope's). Nothing is printed here: main() prints one
   * document when the run ends, whether it succeeded or not.
   */
  printJson(value: object): void;
  /** Why the run ends non-zero, when the command returns that status rather than throwing: the document's error. */
  failure(err: ChacraError): void;
  /** With --json, prints the document now rather than when the run ends: for a command that runs until stopped (serve). */
  publishJson(): void;
  /** The settings from flags, environment and file; allowPlaceholder: the template's url is returned, marked (config show). */
  config(options?: { needsCredentials?: boolean; allowPlaceholder?: boolean }): Promise<ResolvedConfig>;
  /**
   * A client of the resolved config, or of `settings` (config init checks what
   * it wrote), or of the node `url` of the pool (with the chacra credentials).
   */
  client(options?: { needsCredentials?: boolean; connections?: number; settings?: ResolvedConfig; url?: string }): Promise<ChacraClient>;
  /** The settings, once config() resolved them: for advice that names the right setting and file. */
  settings(): ResolvedConfig | undefined;
  /** A client of the configured shaman; a ConfigError when none is. */
  shaman(options?: { needsCredentials?: boolean }): Promise<ShamanClient>;
  /** The pool behind shaman, when it is to be used: shaman configured and no chacra url. */
  pool(): Promise<PoolAccess | undefined>;
  close(): Promise<void>;
}

export interface PoolAccess {
  shaman: ShamanClient;
  memory: NodeMemory;
  clientFor(node: string, connections?: number): ChacraClient;
}

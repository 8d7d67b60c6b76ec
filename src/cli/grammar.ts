// The command grammar as data: every command and option is declared once, and
// parsing, validation and help all read the same declarations.
import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';
import type { Context } from './context.js';

export interface OptionSpec {
  type: 'boolean' | 'string';
  short?: string;
  multiple?: boolean;
  /** Placeholder shown in help, such as N or PATH. */
  value?: string;
  description: string;
  /** Another spelling that means the same, such as --logging for --log. */
  alias?: string;
}

export interface ArgSpec {
  name: string;
  required?: boolean;
  variadic?: boolean;
}

export type Values = Record<string, string | boolean | string[] | undefined>;

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
  options: string[];
  /**
   * The global options that do something for it, where not all do (serve
   * talks to no server): its help lists only these. Every global option is
   * still accepted, as the README promises.
   */
  globalOptions?: string[];
  /** What an option means for this command, where its general description does not say. */
  optionHelp?: Record<string, string>;
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
  run(invocation: Invocation, context: Context): Promise<number>;
}

type Run = CommandSpec['run'];

/**
 * A command's run code, loaded when the command is chosen: the declarations
 * that parsing and help read stay light, and --version, --help or a quick
 * command do not pay for the code (and the libraries) of every other one.
 */
export function lazyRun<K extends string>(load: () => Promise<{ [name in K]: Run }>, name: K): Run {
  return async (invocation, context) => (await load())[name](invocation, context);
}

export function usageLine(c: CommandSpec): string {
  const args = c.args.map((a) => {
    const name = a.variadic ? `${a.name}...` : a.name;
    return a.required ? name : `[${name}]`;
  });
  return ['chacractl', ...c.path, ...(c.options.length ? ['[options]'] : []), ...args].join(' ');
}

function optionLabel(name: string, spec: OptionSpec): string {
  const long = `--${name}${spec.alias ? `/--${spec.alias}` : ''}${spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : ''}`;
  return spec.short ? `-${spec.short}, ${long}` : `    ${long}`;
}

function table(rows: [string, string][]): string {
  const width = Math.min(34, Math.max(...rows.map(([l]) => l.length)) + 2);
  return rows.map(([l, r]) => `  ${l.padEnd(width)}${l.length >= width ? `\n  ${''.padEnd(width)}` : ''}${r}`).join('\n');
}

export class Grammar {
  constructor(
    readonly commands: CommandSpec[],
    readonly options: Record<string, OptionSpec>,
    readonly globalOptions: string[],
  ) {}

  parse(argv: string[]): { invocation?: Invocation; help?: string; version?: boolean } {
    const config: Record<string, { type: 'boolean' | 'string'; short?: string; multiple?: boolean }> = {};
    for (const [name, spec] of Object.entries(this.options)) {
      config[name] = { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) };
      if (spec.alias) config[spec.alias] = { type: spec.type, ...(spec.multiple ? { multiple: true } : {}) };
    }
    let parsed: ReturnType<typeof parseArgs<{ options: typeof config; allowPositionals: true; tokens: true; strict: true; args: string[] }>>;
    try {
      parsed = parseArgs({ args: this.negativeValues(argv), options: config, allowPositionals: true, strict: true, tokens: true });
    } catch (err) {
      throw this.optionError(err as Error & { code?: string });
    }
    const values: Values = {};
    const given = new Set<string>();
    for (const token of parsed.tokens ?? []) {
      if (token.kind !== 'option') continue;
      const name = this.canonical(token.name);
      given.add(name);
      const spec = this.options[name]!;
      const value = spec.type === 'boolean' ? true : (token.value as string);
      if (spec.multiple) values[name] = [...((values[name] as string[] | undefined) ?? []), value as string];
      else values[name] = value;
    }
    const positionals = parsed.positionals;
    if (values.version && positionals.length === 0) return { version: true };

    // `help binary create` is the same as `binary create --help`.
    let words = positionals;
    let wantsHelp = values.help === true;
    if (words[0] === 'help') {
      words = words.slice(1);
      wantsHelp = true;
    }
    const command = this.match(words);
    if (!command) {
      const group = this.commands.filter((c) => words.length > 0 && c.path[0] === words[0]);
      if (wantsHelp || words.length === 0) return { help: group.length && words.length ? this.groupHelp(words[0]!) : this.mainHelp() };
      if (group.length && words.length === 1)
        throw new UsageError(`'${words[0]}' needs a subcommand: ${group.map((c) => c.path[1]).join(', ')}`, { hint: `run 'chacractl ${words[0]} --help'` });
      const what = group.length ? `${words[0]} ${words[1]}` : words[0];
      const seeAll = `run 'chacractl ${group.length ? `${words[0]} ` : ''}--help' to see the commands`;
      const near = this.suggest(words);
      throw new UsageError(`unknown command '${what}'${near ? `; did you mean '${near}'?` : ''}`, { hint: seeAll });
    }
    if (wantsHelp) return { help: this.commandHelp(command) };
    const allowed = new Set([...this.globalOptions, ...command.options]);
    for (const name of given)
      if (!allowed.has(name))
        throw new UsageError(`'chacractl ${command.path.join(' ')}' has no option --${name}`, { hint: `run 'chacractl ${command.path.join(' ')} --help'` });
    const args = words.slice(command.path.length);
    const required = command.args.filter((a) => a.required).length;
    const variadic = command.args.some((a) => a.variadic);
    if (args.length < required)
      throw new UsageError(
        `'chacractl ${command.path.join(' ')}' needs ${command.args
          .filter((a) => a.required)
          .map((a) => a.name)
          .join(' ')}`,
        {
          hint: `usage: ${usageLine(command)}`,
        },
      );
    if (!variadic && args.length > command.args.length)
      throw new UsageError(`unexpected argument ${JSON.stringify(args[command.args.length])}`, { hint: `usage: ${usageLine(command)}` });
    return { invocation: { command, args, values } };
  }

  /**
   * `--jobs -1`: parseArgs takes -1 for an option and refuses the line; a
   * value that looks like a negative number is the option's value, so that
   * the option's own check says what it takes.
   */
  private negativeValues(argv: string[]): string[] {
    const out: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!;
      if (arg === '--') {
        out.push(...argv.slice(i));
        break;
      }
      const name = this.optionNamed(arg);
      const next = argv[i + 1];
      if (name !== undefined && this.options[name]!.type === 'string' && next !== undefined && /^-\d/.test(next)) {
        out.push(`--${name}=${next}`);
        i++;
      } else out.push(arg);
    }
    return out;
  }

  /** The canonical name of an option as written (--log, --logging, -j), without a value. */
  private optionNamed(arg: string): string | undefined {
    const long = /^--([^=]+)$/.exec(arg);
    if (long) return this.options[long[1]!] || this.aliasOf(long[1]!) ? this.canonical(long[1]!) : undefined;
    const short = /^-([^-])$/.exec(arg);
    if (short) return Object.entries(this.options).find(([, spec]) => spec.short === short[1])?.[0];
    return undefined;
  }

  private aliasOf(name: string): string | undefined {
    return Object.entries(this.options).find(([, spec]) => spec.alias === name)?.[0];
  }

  /** parseArgs' complaints, in our words. */
  private optionError(err: Error & { code?: string }): UsageError {
    const hint = "run 'chacractl --help'; put -- before file names that start with -";
    const written = /^(?:Unknown option|Option) '(?:-[^-], )?(--?[^' ]+)/.exec(err.message)?.[1];
    const name = written === undefined ? undefined : (this.optionNamed(written) ?? written.replace(/^-+/, ''));
    const spec = name === undefined ? undefined : this.options[name];
    const label = `--${name}`;
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && written !== undefined) {
      const near = written.startsWith('--') ? closest(written.slice(2), Object.keys(this.options)) : undefined;
      return new UsageError(`unknown option ${written}`, { hint: near ? `did you mean --${near}? ${hint}` : hint });
    }
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && spec) {
      const value = spec.value ?? 'VALUE';
      if (/does not take an argument/.test(err.message)) return new UsageError(`${label} takes no value`, { hint });
      if (/argument missing/.test(err.message)) return new UsageError(`${label} needs a value: ${label} ${value}`, { hint });
      if (/ambiguous/.test(err.message))
        return new UsageError(`${label} needs a value: ${label} ${value}`, { hint: `for a value that starts with -, write ${label}=-VALUE` });
    }
    return new UsageError(err.message.replace(/\. To specify a positional argument starting with a '-'.*$/s, ''), { hint });
  }

  /** The command closest to what was written, for a typing mistake. */
  private suggest(words: string[]): string | undefined {
    const candidates = [...new Set([...this.commands.map((c) => c.path.join(' ')), ...this.commands.map((c) => c.path[0]!)])];
    let best: { name: string; distance: number } | undefined;
    for (const name of candidates) {
      const count = name.split(' ').length;
      if (words.length < count) continue;
      const distance = editDistance(words.slice(0, count).join(' '), name);
      // Longer names may be off by more; a command of two words beats its group at the same distance.
      const allowed = Math.max(1, Math.floor(name.length / 4));
      if (distance === 0 || distance > allowed) continue;
      if (!best || distance < best.distance || (distance === best.distance && name.length > best.name.length)) best = { name, distance };
    }
    return best?.name;
  }

  private canonical(name: string): string {
    if (this.options[name]) return name;
    const entry = Object.entries(this.options).find(([, spec]) => spec.alias === name);
    return entry ? entry[0] : name;
  }

  private match(words: string[]): CommandSpec | undefined {
    let best: CommandSpec | undefined;
    for (const c of this.commands) if (c.path.every((w, i) => words[i] === w) && (!best || c.path.length > best.path.length)) best = c;
    return best;
  }

  mainHelp(): string {
    const rows = this.commands.map((c): [string, string] => [c.path.join(' '), c.summary]);
    return [
      'chacractl: upload to, and manage, a chacra binary store',
      '',
      'Usage: chacractl [options] COMMAND [options] ARGS',
      '',
      'Commands:',
      table(rows),
      '',
      'Global options:',
      this.optionTable(this.globalOptions),
      '',
      "Run 'chacractl COMMAND --help' for a command's options and examples.",
      'Configuration: ~/.chacractl (url, user, key, ssl_verify); CHACRA_URL, CHACRA_USER, CHACRA_KEY, CHACRACTL_CONFIG.',
      'Exit status: 0 success, 1 failed or not found, 2 usage or configuration error, 3 server unreachable or failing, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).',
    ].join('\n');
  }

  groupHelp(group: string): string {
    const rows = this.commands.filter((c) => c.path[0] === group).map((c): [string, string] => [c.path.join(' '), c.summary]);
    return [
      `Usage: chacractl ${group} SUBCOMMAND [options] ARGS`,
      '',
      'Subcommands:',
      table(rows),
      '',
      `Run 'chacractl ${group} SUBCOMMAND --help' for details.`,
    ].join('\n');
  }

  commandHelp(c: CommandSpec): string {
    const parts = [`Usage: ${usageLine(c)}`, '', c.summary];
    if (c.description) parts.push('', c.description);
    if (c.options.length) parts.push('', 'Options:', this.optionTable(c.options, c.optionHelp));
    parts.push('', 'Global options:', this.optionTable(this.globalOptionsOf(c), c.optionHelp));
    if (c.examples?.length) parts.push('', 'Examples:', ...c.examples.map((e) => `  ${e}`));
    return parts.join('\n');
  }

  /** The global options a command's help lists, in the order of the main help. */
  globalOptionsOf(c: CommandSpec): string[] {
    return c.globalOptions ? this.globalOptions.filter((o) => c.globalOptions!.includes(o)) : this.globalOptions;
  }

  private optionTable(names: string[], help: Record<string, string> = {}): string {
    return table(names.map((n): [string, string] => [optionLabel(n, this.options[n]!), help[n] ?? this.options[n]!.description]));
  }
}

/** Edits (insertions, deletions, substitutions, swaps of neighbours) that turn a into b. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  return d[a.length]![b.length]!;
}

/** The name closest to `word`, when it is close enough to be a typing mistake. */
function closest(word: string, names: string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of names) {
    const distance = editDistance(word, name);
    if (distance <= Math.max(1, Math.floor(name.length / 4)) && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

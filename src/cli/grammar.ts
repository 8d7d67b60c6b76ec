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
  /** Whether, with these options, it waits for a repo: --timeout then bounds the wait, not each request. */
  waitsForRepo?: (values: Values) => boolean;
  run(invocation: Invocation, context: Context): Promise<number>;
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
      parsed = parseArgs({ args: argv, options: config, allowPositionals: true, strict: true, tokens: true });
    } catch (err) {
      throw new UsageError((err as Error).message.replace(/\. To specify a positional argument starting with a '-'.*$/s, ''), {
        hint: "run 'chacractl --help'; put -- before file names that start with -",
      });
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
      throw new UsageError(`unknown command '${what}'`, { hint: `run 'chacractl ${group.length ? `${words[0]} ` : ''}--help' to see the commands` });
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

// argv to an Invocation: words to a command, options checked against it, and
// every option's text turned into its typed value before the command runs.
import { parseArgs } from 'node:util';
import { UsageError } from '../../errors.js';
import { commandHelp, groupHelp, mainHelp, takesValue, usageLine } from './help.js';
import type { CommandSpec, GrammarData, Invocation, Values } from './model.js';
import { parseOptionValue } from './values.js';
import { withRenames } from './renames.js';

export interface Parsed {
  invocation?: Invocation;
  help?: string;
  version?: boolean;
}

export function parseArgv(g: GrammarData, argv: string[]): Parsed {
  const config: Record<string, { type: 'boolean' | 'string'; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(g.options)) {
    const type = takesValue(spec) ? 'string' : 'boolean';
    config[name] = { type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) };
    if (spec.alias) config[spec.alias] = { type, ...(spec.multiple ? { multiple: true } : {}) };
  }
  argv = withRenames(g, argv);
  let parsed: ReturnType<typeof parseArgs<{ options: typeof config; allowPositionals: true; tokens: true; strict: true; args: string[] }>>;
  try {
    parsed = parseArgs({ args: negativeValues(g, argv), options: config, allowPositionals: true, strict: true, tokens: true });
  } catch (err) {
    throw optionError(g, err as Error & { code?: string });
  }
  // The written texts, in order: typed only once the command is known, so that --help still shows help.
  const written = new Map<string, string[]>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option') continue;
    const name = canonical(g, token.name);
    const texts = written.get(name) ?? [];
    written.set(name, g.options[name]!.multiple ? [...texts, token.value ?? ''] : [token.value ?? '']);
  }
  const positionals = parsed.positionals;
  if (written.has('version') && positionals.length === 0) return { version: true };

  // `help binary create` is the same as `binary create --help`.
  let words = positionals;
  let wantsHelp = written.has('help');
  if (words[0] === 'help') {
    words = words.slice(1);
    wantsHelp = true;
  }
  const command = match(g, words);
  if (!command) {
    const group = g.commands.filter((c) => words.length > 0 && c.path[0] === words[0]);
    if (wantsHelp || words.length === 0) return { help: group.length && words.length ? groupHelp(g, words[0]!) : mainHelp(g) };
    if (group.length && words.length === 1)
      throw new UsageError(`'${words[0]}' needs a subcommand: ${group.map((c) => c.path[1]).join(', ')}`, { hint: `run 'chacractl ${words[0]} --help'` });
    const what = group.length ? `${words[0]} ${words[1]}` : words[0];
    const seeAll = `run 'chacractl ${group.length ? `${words[0]} ` : ''}--help' to see the commands`;
    const near = suggest(g, words);
    throw new UsageError(`unknown command '${what}'${near ? `; did you mean '${near}'?` : ''}`, { hint: seeAll });
  }
  if (wantsHelp) return { help: commandHelp(g, command) };
  const allowed = new Set<string>([...g.globalOptions, ...command.options]);
  for (const name of written.keys())
    if (!allowed.has(name))
      throw new UsageError(`'chacractl ${command.path.join(' ')}' has no option --${name}`, { hint: `run 'chacractl ${command.path.join(' ')} --help'` });
  const args = words.slice(command.path.length);
  const required = command.args.filter((a) => a.required);
  if (args.length < required.length)
    throw new UsageError(`'chacractl ${command.path.join(' ')}' needs ${required.map((a) => a.name).join(' ')}`, { hint: `usage: ${usageLine(command)}` });
  if (!command.args.some((a) => a.variadic) && args.length > command.args.length)
    throw new UsageError(`unexpected argument ${JSON.stringify(args[command.args.length])}`, { hint: `usage: ${usageLine(command)}` });
  return { invocation: { command, args, values: typedValues(g, written) } };
}

/**
 * What a line asks for, read leniently: whether --json was given, and which
 * command, even when the line is one parseArgv refuses, so that its usage
 * error still reaches the document that --json promises.
 */
export function peekArgv(g: GrammarData, argv: string[]): { json: boolean; command: string | null } {
  const config: Record<string, { type: 'boolean' | 'string'; short?: string }> = {};
  for (const [name, spec] of Object.entries(g.options)) {
    const type = takesValue(spec) ? 'string' : 'boolean';
    config[name] = { type, ...(spec.short ? { short: spec.short } : {}) };
    if (spec.alias) config[spec.alias] = { type };
  }
  try {
    const { values, positionals } = parseArgs({ args: argv, options: config, allowPositionals: true, strict: false });
    const words = positionals[0] === 'help' ? positionals.slice(1) : positionals;
    return { json: values.json === true, command: match(g, words)?.path.join(' ') ?? null };
  } catch {
    const end = argv.indexOf('--');
    return { json: argv.slice(0, end < 0 ? undefined : end).includes('--json'), command: null };
  }
}

/** Each option's texts through its kind's parser: the first bad one is a usage error. */
function typedValues(g: GrammarData, written: Map<string, string[]>): Values {
  const values: Record<string, unknown> = {};
  for (const [name, texts] of written) {
    const spec = g.options[name]!;
    if (!takesValue(spec)) values[name] = true;
    else if (spec.multiple) values[name] = texts.map((t) => parseOptionValue(name, spec, t));
    else values[name] = parseOptionValue(name, spec, texts[0]!);
  }
  return values as Values;
}

/**
 * `--jobs -1`: parseArgs takes -1 for an option and refuses the line; a
 * value that looks like a negative number is the option's value, so that
 * the option's own check says what it takes.
 */
function negativeValues(g: GrammarData, argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const name = optionNamed(g, arg);
    const next = argv[i + 1];
    if (name !== undefined && takesValue(g.options[name]!) && next !== undefined && /^-\d/.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** The canonical name of an option as written (--log, --logging, -j), without a value. */
function optionNamed(g: GrammarData, arg: string): string | undefined {
  const long = /^--([^=]+)$/.exec(arg);
  if (long) return g.options[long[1]!] || aliasOf(g, long[1]!) ? canonical(g, long[1]!) : undefined;
  const short = /^-([^-])$/.exec(arg);
  if (short) return Object.entries(g.options).find(([, spec]) => spec.short === short[1])?.[0];
  return undefined;
}

function aliasOf(g: GrammarData, name: string): string | undefined {
  return Object.entries(g.options).find(([, spec]) => spec.alias === name)?.[0];
}

function canonical(g: GrammarData, name: string): string {
  return g.options[name] ? name : (aliasOf(g, name) ?? name);
}

/** parseArgs' complaints, in our words. */
function optionError(g: GrammarData, err: Error & { code?: string }): UsageError {
  const hint = "run 'chacractl --help'; put -- before file names that start with -";
  const written = /^(?:Unknown option|Option) '(?:-[^-], )?(--?[^' ]+)/.exec(err.message)?.[1];
  const name = written === undefined ? undefined : (optionNamed(g, written) ?? written.replace(/^-+/, ''));
  const spec = name === undefined ? undefined : g.options[name];
  const label = `--${name}`;
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && written !== undefined) {
    const near = written.startsWith('--') ? closest(written.slice(2), Object.keys(g.options)) : undefined;
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
function suggest(g: GrammarData, words: string[]): string | undefined {
  const candidates = [...new Set([...g.commands.map((c) => c.path.join(' ')), ...g.commands.map((c) => c.path[0]!)])];
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

function match(g: GrammarData, words: string[]): CommandSpec | undefined {
  let best: CommandSpec | undefined;
  for (const c of g.commands) if (c.path.every((w, i) => words[i] === w) && (!best || c.path.length > best.path.length)) best = c;
  return best;
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

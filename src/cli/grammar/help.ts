// Help texts and the pieces the README reference shares with them: both are
// made from the declarations, so that neither drifts from the parser.
import type { CommandSpec, GrammarData, OptionSpec } from './model.js';

export function usageLine(c: CommandSpec): string {
  const args = c.args.map((a) => {
    const name = a.variadic ? `${a.name}...` : a.name;
    return a.required ? name : `[${name}]`;
  });
  return ['chacractl', ...c.path, ...(c.options.length ? ['[options]'] : []), ...args].join(' ');
}

/** Whether the option is followed by a value (every kind but a flag). */
export function takesValue(spec: OptionSpec): boolean {
  return spec.kind !== 'flag';
}

/** `--name/--alias VALUE`, the option as help and the reference spell it; `sep` joins the alias. */
export function optionSpelling(name: string, spec: OptionSpec, sep: string): string {
  return `--${name}${spec.alias ? `${sep}--${spec.alias}` : ''}${takesValue(spec) ? ` ${spec.value ?? 'VALUE'}` : ''}`;
}

function optionLabel(name: string, spec: OptionSpec): string {
  const long = optionSpelling(name, spec, '/');
  return spec.short ? `-${spec.short}, ${long}` : `    ${long}`;
}

function table(rows: [string, string][]): string {
  const width = Math.min(34, Math.max(...rows.map(([l]) => l.length)) + 2);
  return rows.map(([l, r]) => `  ${l.padEnd(width)}${l.length >= width ? `\n  ${''.padEnd(width)}` : ''}${r}`).join('\n');
}

function optionTable(g: GrammarData, names: string[], help: Record<string, string> = {}): string {
  return table(names.map((n): [string, string] => [optionLabel(n, g.options[n]!), help[n] ?? g.options[n]!.description]));
}

/** The global options a command's help lists, in the order of the main help. */
export function globalOptionsOf(g: GrammarData, c: CommandSpec): string[] {
  return c.globalOptions ? g.globalOptions.filter((o) => (c.globalOptions as string[]).includes(o)) : g.globalOptions;
}

export function mainHelp(g: GrammarData): string {
  const rows = g.commands.map((c): [string, string] => [c.path.join(' '), c.summary]);
  return [
    'chacractl: upload to, and manage, a chacra binary store',
    '',
    'Usage: chacractl [options] COMMAND [options] ARGS',
    '',
    'Commands:',
    table(rows),
    '',
    'Global options:',
    optionTable(g, g.globalOptions),
    '',
    "Run 'chacractl COMMAND --help' for a command's options and examples.",
    'Configuration: ~/.chacractl (url, user, key, ssl_verify); CHACRA_URL, CHACRA_USER, CHACRA_KEY, CHACRACTL_CONFIG.',
    'Exit status: 0 success, 1 failed or not found, 2 usage or configuration error, 3 server unreachable or failing, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).',
  ].join('\n');
}

export function groupHelp(g: GrammarData, group: string): string {
  const rows = g.commands.filter((c) => c.path[0] === group).map((c): [string, string] => [c.path.join(' '), c.summary]);
  return [
    `Usage: chacractl ${group} SUBCOMMAND [options] ARGS`,
    '',
    'Subcommands:',
    table(rows),
    '',
    `Run 'chacractl ${group} SUBCOMMAND --help' for details.`,
  ].join('\n');
}

export function commandHelp(g: GrammarData, c: CommandSpec): string {
  const help = c.optionHelp as Record<string, string> | undefined;
  const parts = [`Usage: ${usageLine(c)}`, '', c.summary];
  if (c.description) parts.push('', c.description);
  if (c.options.length) parts.push('', 'Options:', optionTable(g, c.options, help));
  parts.push('', 'Global options:', optionTable(g, globalOptionsOf(g, c), help));
  if (c.examples?.length) parts.push('', 'Examples:', ...c.examples.map((e) => `  ${e}`));
  return parts.join('\n');
}

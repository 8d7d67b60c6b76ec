// The command grammar as data: every command and option is declared once, and
// parsing, validation and help all read the same declarations. The types are
// in grammar/model.ts, argv parsing in grammar/parse.ts, the option parsers in
// grammar/values.ts and the help texts in grammar/help.ts.
import { commandHelp, globalOptionsOf, groupHelp, mainHelp } from './grammar/help.js';
import type { CommandSpec, GrammarData, OptionSpec } from './grammar/model.js';
import { type Parsed, parseArgv, peekArgv } from './grammar/parse.js';

export { usageLine } from './grammar/help.js';
export type {
  ArgSpec,
  CommandSpec,
  Invocation,
  OptionKind,
  OptionName,
  OptionSpec,
  OptionTable,
  Values,
} from './grammar/model.js';
export { editDistance } from './grammar/parse.js';

type Run = CommandSpec['run'];

/**
 * A command's run code, loaded when the command is chosen: the declarations
 * that parsing and help read stay light, and --version, --help or a quick
 * command do not pay for the code (and the libraries) of every other one.
 */
export function lazyRun<K extends string>(load: () => Promise<{ [name in K]: Run }>, name: K): Run {
  return async (invocation, context) => (await load())[name](invocation, context);
}

export class Grammar implements GrammarData {
  readonly options: Record<string, OptionSpec>;

  constructor(
    readonly commands: CommandSpec[],
    options: { [name: string]: OptionSpec },
    readonly globalOptions: string[],
  ) {
    this.options = options;
  }

  parse(argv: string[]): Parsed {
    return parseArgv(this, argv);
  }

  /** Whether the line asks for --json, and its command, even when parse() refuses it. */
  peek(argv: string[]): { json: boolean; command: string | null } {
    return peekArgv(this, argv);
  }

  mainHelp(): string {
    return mainHelp(this);
  }

  groupHelp(group: string): string {
    return groupHelp(this, group);
  }

  commandHelp(c: CommandSpec): string {
    return commandHelp(this, c);
  }

  /** The global options a command's help lists, in the order of the main help. */
  globalOptionsOf(c: CommandSpec): string[] {
    return globalOptionsOf(this, c);
  }
}

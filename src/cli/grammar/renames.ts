// A global option that means something else for one command, spelled the
// same: `build update --version V` carries the build's version (as the jobs'
// $vers), where elsewhere --version prints chacractl's. Such a spelling is
// rewritten to the command's own option before the line is parsed, since the
// parser knows each name once.
import { takesValue } from './help.js';
import type { CommandSpec, GrammarData } from './model.js';

/** The command the line's words name, read past options and their values. */
function commandOf(g: GrammarData, argv: readonly string[]): CommandSpec | undefined {
  const words: string[] = [];
  for (let i = 0; i < argv.length && words.length < 2; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    if (!arg.startsWith('-') || arg === '-') {
      words.push(arg);
      continue;
    }
    const long = /^--([^=]+)$/.exec(arg)?.[1];
    const short = /^-([^-])$/.exec(arg)?.[1];
    const spec = long !== undefined ? g.options[long] : short !== undefined ? Object.values(g.options).find((o) => o.short === short) : undefined;
    if (spec && takesValue(spec)) i++;
  }
  let best: CommandSpec | undefined;
  for (const c of g.commands) if (c.path.every((w, i) => words[i] === w) && (!best || c.path.length > best.path.length)) best = c;
  return best;
}

export function withRenames(g: GrammarData, argv: string[]): string[] {
  const renames = commandOf(g, argv)?.renames;
  if (!renames) return argv;
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const m = /^--([^=]+)(?:=(.*))?$/s.exec(arg);
    const to = m ? renames[m[1] as keyof typeof renames] : undefined;
    if (!m || to === undefined) out.push(arg);
    else if (m[2] !== undefined) out.push(`--${to}=${m[2]}`);
    else if (i + 1 < argv.length) out.push(`--${to}=${argv[++i]!}`);
    // With nothing after it, the option's own check says it needs a value.
    else out.push(`--${to}`);
  }
  return out;
}

import { UsageError } from '../../errors.js';
import type { Context } from '../context.js';
import type { CommandSpec, Grammar, Invocation } from '../grammar.js';

// URL parts are completed by asking the server, one listing per level, through
// `chacractl ls` (piped, it prints one name per line).
function bash(g: Grammar): string {
  const groups = [...new Set(g.commands.map((c) => c.path[0]!))];
  const cases = g.commands.map((c) => `    "${c.path.join(' ')}") opts="${[...c.options, ...g.globalOptions].map((o) => `--${o}`).join(' ')}" ;;`).join('\n');
  const subs = groups
    .map((grp) => {
      const words = g.commands.filter((c) => c.path[0] === grp && c.path.length > 1).map((c) => c.path[1]);
      return words.length ? `    ${grp}) subs="${words.join(' ')}" ;;` : '';
    })
    .filter(Boolean)
    .join('\n');
  return `# bash completion for chacractl; add to ~/.bashrc: source <(chacractl completion bash)
_chacractl() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" words=() w
  for w in "\${COMP_WORDS[@]:1:COMP_CWORD-1}"; do [[ $w == -* ]] || words+=("$w"); done
  local cmd="\${words[*]:0:2}" opts="" subs=""
  case "\${words[0]}" in
${subs}
  esac
  case "$cmd" in
${cases}
  esac
  [[ -z $opts ]] && case "\${words[0]}" in
${g.commands
  .filter((c) => c.path.length === 1)
  .map((c) => `    ${c.path[0]}) opts="${[...c.options, ...g.globalOptions].map((o) => `--${o}`).join(' ')}" ;;`)
  .join('\n')}
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts --help" -- "$cur")); return
  fi
  if [[ \${#words[@]} -eq 0 ]]; then
    COMPREPLY=($(compgen -W "${groups.join(' ')} help" -- "$cur")); return
  fi
  if [[ \${#words[@]} -eq 1 && -n $subs ]]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur")); return
  fi
  case "$cmd" in
    "binary create") [[ \${#words[@]} -gt 2 ]] && { COMPREPLY=($(compgen -f -- "$cur")); return; } ;;
  esac
  local dir="" prefix=""
  [[ $cur == */* ]] && { dir="\${cur%/*}"; prefix="$dir/"; }
  local root=""; [[ \${words[0]} == repo ]] && root="--repos"
  [[ \${words[0]} == exists ]] && { [[ $dir == binaries* || $dir == repos* ]] || { COMPREPLY=($(compgen -W "binaries/ repos/" -- "$cur")); compopt -o nospace; return; }; root=""; [[ $dir == repos* ]] && root="--repos"; dir="\${dir#*/}"; [[ $dir == binaries || $dir == repos ]] && dir=""; }
  local names; names=$(chacractl ls $root "$dir" 2>/dev/null) || return
  COMPREPLY=($(compgen -P "$prefix" -S / -W "$names" -- "\${cur##*/}"))
  compopt -o nospace 2>/dev/null
}
complete -F _chacractl chacractl
`;
}

function zsh(g: Grammar): string {
  return `#compdef chacractl
# zsh completion for chacractl; add to ~/.zshrc: source <(chacractl completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bash(g).replace(/^# bash completion.*\n/, '')}`;
}

function fish(g: Grammar): string {
  const lines = ['# fish completion for chacractl: chacractl completion fish > ~/.config/fish/completions/chacractl.fish', 'complete -c chacractl -f'];
  const groups = [...new Set(g.commands.map((c) => c.path[0]!))];
  lines.push(`complete -c chacractl -n __fish_use_subcommand -a "${groups.join(' ')}"`);
  for (const grp of groups) {
    const subs = g.commands.filter((c) => c.path[0] === grp && c.path.length > 1);
    for (const c of subs)
      lines.push(
        `complete -c chacractl -n "__fish_seen_subcommand_from ${grp}; and not __fish_seen_subcommand_from ${subs.map((s) => s.path[1]).join(' ')}" -a ${c.path[1]} -d ${JSON.stringify(c.summary)}`,
      );
  }
  for (const name of g.globalOptions)
    lines.push(`complete -c chacractl -l ${name} -d ${JSON.stringify(g.options[name]!.description)}${g.options[name]!.type === 'string' ? ' -r' : ''}`);
  for (const c of g.commands)
    for (const name of c.options)
      lines.push(
        `complete -c chacractl -n "__fish_seen_subcommand_from ${c.path.at(-1)}" -l ${name} -d ${JSON.stringify(g.options[name]!.description)}${g.options[name]!.type === 'string' ? ' -r' : ''}`,
      );
  return lines.join('\n') + '\n';
}

export function completionCommand(grammar: () => Grammar): CommandSpec {
  return {
    path: ['completion'],
    offline: true,
    summary: 'print a shell completion script: completion bash|zsh|fish',
    args: [{ name: 'SHELL', required: true }],
    options: [],
    examples: ['source <(chacractl completion bash)', 'chacractl completion fish > ~/.config/fish/completions/chacractl.fish'],
    async run({ args }: Invocation, ctx: Context): Promise<number> {
      const makers: Record<string, (g: Grammar) => string> = { bash, zsh, fish };
      const make = makers[args[0]!];
      if (!make) throw new UsageError(`no completion for ${JSON.stringify(args[0])}`, { hint: 'choose bash, zsh or fish' });
      ctx.io.stdout.write(make(grammar()));
      return 0;
    },
  };
}

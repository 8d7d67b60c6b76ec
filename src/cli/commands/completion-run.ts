import { UsageError } from '../../errors.js';
import type { Context } from '../context.js';
import type { Grammar, Invocation } from '../grammar.js';
import { LOG_LEVELS } from '../log.js';

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
  // Options that take a value, in every spelling: the word after one is its value, not a command word.
  const valued = Object.entries(g.options)
    .filter(([, spec]) => spec.kind !== 'flag')
    .flatMap(([name, spec]) => [`--${name}`, ...(spec.alias ? [`--${spec.alias}`] : []), ...(spec.short ? [`-${spec.short}`] : [])]);
  const spellings = (names: string[]) =>
    names.flatMap((name) => {
      const spec = g.options[name]!;
      return [`--${name}`, ...(spec.alias ? [`--${spec.alias}`] : []), ...(spec.short ? [`-${spec.short}`] : [])];
    });
  const fileOptions = spellings(Object.keys(g.options).filter((n) => ['PATH', 'DIR', 'PEM'].includes(g.options[n]!.value ?? '')));
  const logOptions = spellings(Object.keys(g.options).filter((n) => n === 'log'));
  // What says where to list from: honoured when typed before the word completed.
  const connection = spellings(['url', 'shaman', 'config', 'ca'].filter((n) => g.options[n]));
  const connectionFlags = spellings(['insecure'].filter((n) => g.options[n]));
  return `# bash completion for chacractl; add to ~/.bashrc: source <(chacractl completion bash)
_chacractl() {
  local valued=" ${valued.join(' ')} "
  local all=() line
  if [[ -n \${COMP_LINE-} && -z \${ZSH_VERSION-} ]]; then
    # Words split at blanks, as the command will get them: COMP_WORDS also splits at = and :, inside URLs.
    line="\${COMP_LINE:0:\${COMP_POINT:-\${#COMP_LINE}}}"
    read -ra all <<< "$line"
    [[ \${#all[@]} -eq 0 || $line == *[[:blank:]] ]] && all+=("")
  else
    all=("\${COMP_WORDS[@]:0:COMP_CWORD+1}")
  fi
  local n=\${#all[@]}
  local cur="\${all[n-1]}" mid=() words=() w v skip=0 rest=0 pending="" where=()
  ((n > 2)) && mid=("\${all[@]:1:n-2}")
  for w in "\${mid[@]}"; do
    if ((skip)); then
      skip=0
      [[ -n $pending ]] && where+=("$pending=\${w/#~//$HOME/}")
      pending=""
      continue
    fi
    if ((!rest)) && [[ $w == -* ]]; then
      [[ $w == -- ]] && { rest=1; continue; }
      # Where the names come from, as typed on the line: the listings ask the same server.
      case $w in
        ${connection.map((o) => `${o}=*`).join('|')}) v="\${w#*=}"; where+=("\${w%%=*}=\${v/#~//$HOME/}") ;;
        ${connection.map((o) => o).join('|')}) pending=$w ;;
        ${connectionFlags.join('|')}) where+=("$w") ;;
      esac
      [[ $w != *=* && $valued == *" $w "* ]] && skip=1
      continue
    fi
    words+=("$w")
  done
  # The value of an option: --log LEVEL, --config PATH, ...; other values are the user's to type.
  local opt="" val="$cur"
  if ((skip)); then opt="\${all[n-2]}"
  elif ((!rest)) && [[ $cur == --*=* ]]; then opt="\${cur%%=*}"; val="\${cur#*=}"
  fi
  if [[ -n $opt ]]; then
    case " $opt " in
      ${logOptions.map((o) => `*" ${o} "*`).join('|')}) COMPREPLY=($(compgen -W "${LOG_LEVELS.join(' ')}" -- "$val")) ;;
      ${fileOptions.map((o) => `*" ${o} "*`).join('|')}) COMPREPLY=($(compgen -f -- "$val")) ;;
      *) COMPREPLY=() ;;
    esac
    return
  fi
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
  if ((!rest)) && [[ $cur == -* ]]; then
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
  [[ \${words[0]} == exists ]] && { [[ $dir == binaries* || $dir == repos* ]] || { COMPREPLY=($(compgen -W "binaries/ repos/" -- "$cur")); compopt -o nospace 2>/dev/null; return; }; root=""; [[ $dir == repos* ]] && root="--repos"; dir="\${dir#*/}"; [[ $dir == binaries || $dir == repos ]] && dir=""; }
  # How deep the names are, below a leading binaries/ or repos/: binary names (the 7th level,
  # or the 9th under flavors/F) are complete as they are; every other level goes on with a /.
  local below="\${prefix%/}" depth=0 segs=() leaf=0
  case $below in binaries | repos) below="" ;; binaries/* | repos/*) below="\${below#*/}" ;; esac
  [[ $prefix == repos/* || $root == --repos ]] || {
    [[ -n $below ]] && IFS=/ read -ra segs <<< "$below"
    depth=\${#segs[@]}
    [[ $depth -eq 6 || ($depth -eq 8 && \${segs[6]} == flavors) ]] && leaf=1
  }
  local names="" from="$dir"
  # The arch level lists every flavor's binaries (#40): the default flavor's are its own.
  [[ $leaf == 1 && $depth -eq 6 ]] && from="$dir/flavors/default"
  # binary create wants a target: below an arch, only flavors/.
  [[ $cmd == "binary create" && $leaf == 1 ]] || { names=$(chacractl ls "\${where[@]}" $root "$from" 2>/dev/null) || [[ $depth -eq 6 ]] || return; }
  if ((leaf)); then
    COMPREPLY=($(compgen -P "$prefix" -W "$names" -- "\${cur##*/}"))
    [[ $depth -eq 6 ]] && COMPREPLY+=($(compgen -P "$prefix" -W "flavors/" -- "\${cur##*/}"))
  else
    COMPREPLY=($(compgen -P "$prefix" -S / -W "$names" -- "\${cur##*/}"))
  fi
  # A complete binary name takes the space after it; a level goes on.
  [[ \${#COMPREPLY[@]} -eq 1 && \${COMPREPLY[0]} != */ ]] || compopt -o nospace 2>/dev/null
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
    lines.push(`complete -c chacractl -l ${name} -d ${JSON.stringify(g.options[name]!.description)}${g.options[name]!.kind !== 'flag' ? ' -r' : ''}`);
  for (const c of g.commands)
    for (const name of c.options)
      lines.push(
        `complete -c chacractl -n "__fish_seen_subcommand_from ${c.path.at(-1)}" -l ${name} -d ${JSON.stringify(g.options[name]!.description)}${g.options[name]!.kind !== 'flag' ? ' -r' : ''}`,
      );
  return lines.join('\n') + '\n';
}

export async function runCompletion(grammar: Grammar, { args }: Invocation, ctx: Context): Promise<number> {
  const makers: Record<string, (g: Grammar) => string> = { bash, zsh, fish };
  const make = makers[args[0]!];
  if (!make) throw new UsageError(`no completion for ${JSON.stringify(args[0])}`, { hint: 'choose bash, zsh or fish' });
  if (ctx.json) ctx.printJson({ shell: args[0], script: make(grammar) });
  else ctx.io.stdout.write(make(grammar));
  return 0;
}

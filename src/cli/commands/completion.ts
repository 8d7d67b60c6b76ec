// completion's declaration; the scripts are written by completion-run.ts, loaded when the command runs.
import type { CommandSpec, Grammar } from '../grammar.js';

export function completionCommand(grammar: () => Grammar): CommandSpec {
  return {
    path: ['completion'],
    offline: true,
    summary: 'print a shell completion script: completion bash|zsh|fish',
    args: [{ name: 'SHELL', required: true }],
    options: [],
    examples: ['source <(chacractl completion bash)', 'chacractl completion fish > ~/.config/fish/completions/chacractl.fish'],
    run: async (invocation, ctx) => (await import('./completion-run.js')).runCompletion(grammar(), invocation, ctx),
  };
}

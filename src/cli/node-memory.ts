// The node chosen for each build, kept in a small file between runs: shaman
// learns which node holds a repo from the node's callbacks, seconds after the
// first upload, and a second upload of the same build in the meantime must not
// be sent to another node. Entries older than a day are dropped.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { NodeMemory } from '../operations/nodes.js';

const DAY_MS = 24 * 3600 * 1000;

type Entries = Record<string, { node: string; at: number }>;

/** $XDG_STATE_HOME/chacractl/nodes.json, else ~/.local/state/chacractl/nodes.json. */
export function nodeMemoryPath(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return join(base, 'chacractl', 'nodes.json');
}

function isEntry(e: unknown): e is Entries[string] {
  if (typeof e !== 'object' || e === null) return false;
  const { node, at } = e as { node?: unknown; at?: unknown };
  return typeof at === 'number' && typeof node === 'string' && URL.canParse(node) && /^https?:$/.test(new URL(node).protocol);
}

export function fileNodeMemory(path: string, now: () => number = Date.now): NodeMemory {
  const read = (): Entries => {
    try {
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
      // Only entries as they were written: an edited or foreign file must not crash a run, nor send it to a node that is no URL.
      return Object.fromEntries(Object.entries(parsed).filter(([, e]) => isEntry(e))) as Entries;
    } catch {
      return {};
    }
  };
  const write = (entries: Entries) => {
    const fresh = Object.fromEntries(Object.entries(entries).filter(([, e]) => now() - e.at < DAY_MS));
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(fresh, null, 1)}\n`, { mode: 0o600 });
      renameSync(tmp, path);
    } catch {
      // Remembering is a help, not a need: shaman's search finds the node once it knows the repo.
    }
  };
  return {
    get(build) {
      const entry = read()[build];
      return entry && now() - entry.at < DAY_MS && typeof entry.node === 'string' ? entry.node : undefined;
    },
    set(build, node) {
      write({ ...read(), [build]: { node, at: now() } });
    },
    forget(build) {
      const entries = read();
      delete entries[build];
      write(entries);
    },
  };
}

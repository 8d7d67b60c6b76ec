import type { SearchKey } from '../../types.js';
import { type CommandSpec, lazyRun } from '../grammar.js';

export const SERVER_KEYS: Record<'name' | 'name-has' | 'distro' | 'distro-version' | 'arch' | 'ref' | 'built-by' | 'size', SearchKey> = {
  name: 'name',
  'name-has': 'name-has',
  distro: 'distro',
  'distro-version': 'distro_version',
  arch: 'arch',
  ref: 'ref',
  'built-by': 'built_by',
  size: 'size',
};
export const CLIENT_KEYS = { project: 'project', sha1: 'sha1', flavor: 'flavor' } as const;

/** A filter table's entries, with its options' names kept as such. */
export function filterEntries<T extends Record<string, string>>(keys: T): [keyof T & string, T[keyof T]][] {
  return Object.entries(keys) as [keyof T & string, T[keyof T]][];
}

export const ls: CommandSpec = {
  path: ['ls'],
  summary: 'list what the server holds under binaries/ (or repos/ with --repos), at any depth',
  args: [{ name: 'PATH' }],
  options: ['repos', 'long'],
  description: [
    'PATH may start with binaries/ or repos/, as exists takes it: repos/... lists repos, as --repos does.',
    "A binary's own path shows its metadata, never its bytes. Through the pool, the union over the nodes:",
    '--long adds the nodes that hold each name, --json prints {"listing": ..., "nodes": {NAME: [NODE, ...]}}.',
  ].join('\n'),
  examples: [
    'chacractl ls',
    'chacractl ls ceph/main',
    'chacractl ls ceph/main/1a2b3c/centos/9/x86_64 --long',
    'chacractl ls --repos ceph/main/1a2b3c/centos',
    'chacractl ls repos/ceph/main/1a2b3c/centos',
  ],
  run: lazyRun(() => import('./browse-run.js'), 'runLs'),
};

export const binaryShow: CommandSpec = {
  path: ['binary', 'show'],
  summary: "show one binary's metadata: size, sha512, flavor, dates",
  args: [{ name: 'URLPART', required: true }],
  options: [],
  examples: ['chacractl binary show ceph/main/1a2b3c/centos/9/x86_64/ceph-18.2.0-1.el9.x86_64.rpm'],
  run: lazyRun(() => import('./browse-run.js'), 'runBinaryShow'),
};

export const health: CommandSpec = {
  path: ['health'],
  summary: 'exit 0 when the server says it is healthy, 1 when it says it is not',
  args: [],
  options: [],
  examples: ['chacractl health'],
  run: lazyRun(() => import('./browse-run.js'), 'runHealth'),
};

export const search: CommandSpec = {
  path: ['search'],
  summary: 'find binaries by name, distro, arch, ref, ... (exit 1 when nothing matches)',
  description: [
    '--name, --name-has, --distro, --distro-version, --arch, --ref, --built-by and --size are asked of',
    'the server (exact, case-sensitive); --project, --sha1 and --flavor filter its answer here, since',
    'chacra has no such keys. Piped, each match is printed as a path that binary download accepts.',
  ].join('\n'),
  args: [],
  options: [...filterEntries(SERVER_KEYS).map(([o]) => o), ...filterEntries(CLIENT_KEYS).map(([o]) => o), 'long'],
  examples: [
    'chacractl search --name-has ceph-common --distro centos --ref main',
    'chacractl search --sha1 1a2b3c --flavor crimson | xargs -n1 chacractl binary download',
  ],
  run: lazyRun(() => import('./browse-run.js'), 'runSearch'),
};

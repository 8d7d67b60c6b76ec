import { type CommandSpec, lazyRun } from '../grammar.js';

const REPO_ARG = [{ name: 'PATH', required: true }];

export const repoUpdate: CommandSpec = {
  path: ['repo', 'update'],
  waitsForRepo: (values) => values.wait === true,
  summary: 'ask the server to rebuild a repo',
  args: REPO_ARG,
  options: ['wait', 'interval'],
  examples: ['chacractl repo update ceph/main/1a2b3c/centos/9', 'chacractl repo update --wait ceph/main/1a2b3c/centos/9/flavors/crimson'],
  run: lazyRun(() => import('./repo-run.js'), 'runRepoUpdate'),
};

export const repoRecreate: CommandSpec = {
  path: ['repo', 'recreate'],
  waitsForRepo: (values) => values.wait === true,
  summary: 'remove a built repo and build it again (an update when it was never built)',
  args: REPO_ARG,
  options: ['wait', 'interval'],
  examples: ['chacractl repo recreate ceph/main/1a2b3c/centos/9'],
  run: lazyRun(() => import('./repo-run.js'), 'runRepoRecreate'),
};

export const repoSetRaw: CommandSpec = {
  path: ['repo', 'set-raw'],
  summary: 'make a repo "raw": its binaries are served as they are, without yum or apt metadata',
  args: REPO_ARG,
  options: [],
  examples: ['chacractl repo set-raw ceph/main/1a2b3c/centos/9'],
  run: lazyRun(() => import('./repo-run.js'), 'runRepoSetRaw'),
};

export const repoDelete: CommandSpec = {
  path: ['repo', 'delete'],
  summary: "delete a repo: its built tree and every binary of it (each arch, the repo's flavor only)",
  description: [
    "chacra's own DELETE of a repo removes the built tree and then fails, leaving the repo and its",
    'binaries; a repo goes with its last binary. So this removes the tree, deletes each binary of the',
    "repo (every arch of the distro version, in the repo's flavor; other flavors stay), and succeeds",
    'when the repo is gone. Run it again after an interruption to finish; a repo already gone is a',
    'warning. On a terminal it asks first, unless --yes.',
  ].join('\n'),
  args: REPO_ARG,
  options: ['dry-run', 'yes', 'jobs'],
  optionHelp: { 'dry-run': 'show what would be deleted; delete nothing', jobs: 'deletes at once (default 4)' },
  examples: ['chacractl repo delete ceph/main/1a2b3c/centos/9', 'chacractl repo delete --dry-run ceph/main/1a2b3c/centos/9/flavors/crimson'],
  run: lazyRun(() => import('./repo-run.js'), 'runRepoDelete'),
};

export const repoShow: CommandSpec = {
  path: ['repo', 'show'],
  summary: "show a repo's document and state (requested, queued, building, ready, never built)",
  args: REPO_ARG,
  options: [],
  examples: ['chacractl repo show ceph/main/1a2b3c/centos/9', 'chacractl repo show --json ceph/main/1a2b3c/centos/9 | jq .path'],
  run: lazyRun(() => import('./repo-run.js'), 'runRepoShow'),
};

export const repoWait: CommandSpec = {
  path: ['repo', 'wait'],
  waitsForRepo: () => true,
  summary: 'wait until a repo is built (exit 0), or give up at --timeout, 30m by default (exit 1; 3 when the server never answered by then)',
  args: REPO_ARG,
  options: ['interval'],
  examples: ['chacractl repo wait --timeout 30m --interval 10s ceph/main/1a2b3c/centos/9'],
  run: lazyRun(() => import('./repo-run.js'), 'runRepoWait'),
};

export const repoExtra: CommandSpec = {
  path: ['repo', 'extra'],
  summary: "store a JSON object (from FILE, or - for standard input) as a repo's extra metadata",
  args: [
    { name: 'PATH', required: true },
    { name: 'FILE', required: true },
  ],
  options: [],
  examples: [`echo '{"version": "18.2.0"}' | chacractl repo extra ceph/main/1a2b3c/centos/9 -`],
  run: lazyRun(() => import('./repo-run.js'), 'runRepoExtra'),
};

export const repoFile: CommandSpec = {
  path: ['repo', 'file'],
  summary: 'print the text that installs a repo: a yum .repo file or an apt sources line',
  args: REPO_ARG,
  options: [],
  examples: ['chacractl repo file ceph/main/1a2b3c/centos/9 > /etc/yum.repos.d/ceph.repo'],
  run: lazyRun(() => import('./repo-run.js'), 'runRepoFile'),
};

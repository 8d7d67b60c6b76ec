import { type CommandSpec, lazyRun } from '../grammar.js';

export const binaryCreate: CommandSpec = {
  path: ['binary', 'create'],
  summary: 'upload files to PROJECT/REF/SHA1/DISTRO/VERSION/ARCH[/flavors/FLAVOR]',
  description: [
    'Files come from the arguments, or, when none is given, from standard input, one path per',
    'line (NUL-separated with -0); directories in such a list are passed over. The target is read',
    'once; files it already holds with the same sha512 are left alone, files that differ are',
    'skipped with a warning (replaced with --force). Every upload is checked against the sha512',
    'the server lists afterwards; a file the server holds wrongly is sent again, and reported.',
  ].join('\n'),
  args: [
    { name: 'URLPART', required: true },
    { name: 'FILE', variadic: true },
  ],
  options: ['force', 'jobs', 'dry-run', 'null'],
  bulk: true,
  optionHelp: { force: 'replace binaries of the same name whose contents differ (identical ones are never re-sent)' },
  examples: [
    'chacractl binary create ceph/main/1a2b3c/centos/9/x86_64 dist/RPMS/*.rpm',
    "find dist/RPMS -name '*.rpm' | chacractl binary create ceph/main/1a2b3c/centos/9/x86_64/flavors/crimson",
    'find release -print0 | chacractl binary create --force -0 ceph/main/1a2b3c/ubuntu/jammy/amd64',
  ],
  run: lazyRun(() => import('./binary-run.js'), 'runBinaryCreate'),
};

export const binaryDelete: CommandSpec = {
  path: ['binary', 'delete'],
  summary: 'delete binaries: PROJECT/REF/SHA1/DISTRO/VERSION/ARCH[/flavors/FLAVOR]/NAME ...',
  description:
    'A binary that is not there is a warning, not a failure: a rerun finishes an interrupted delete.\nWith --json: binaries[], one entry per path, for one path as for several.',
  args: [{ name: 'URLPART', required: true, variadic: true }],
  options: [],
  examples: [
    'chacractl binary delete ceph/main/1a2b3c/centos/9/x86_64/ceph-18.2.0-1.el9.x86_64.rpm',
    'chacractl binary delete ceph/main/1a2b3c/centos/9/x86_64/a.rpm ceph/main/1a2b3c/centos/9/x86_64/b.rpm',
  ],
  run: lazyRun(() => import('./binary-delete-run.js'), 'runBinaryDelete'),
};

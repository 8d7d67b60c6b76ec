import { type CommandSpec, lazyRun } from '../grammar.js';

export const binaryDownload: CommandSpec = {
  path: ['binary', 'download'],
  summary: 'download one binary, or every binary of a target, checked against the sha512 the server lists',
  description: [
    'Each file streams to a temporary file beside its destination and is renamed into place only once',
    'its sha512 matches; a failed or interrupted download leaves nothing under the final name. A local',
    'file that already has the right sha512 is not downloaded again; one with other contents is',
    'replaced only with --force. -o - writes one binary to standard output, once its sha512 matches.',
  ].join('\n'),
  args: [{ name: 'URLPART', required: true }],
  options: ['output', 'jobs', 'force'],
  optionHelp: {
    jobs: 'downloads at once (default 4)',
    output: 'where to write: a file for one binary, or a directory; - for standard output (one binary)',
    force: 'replace a local file that holds other contents (one already right is left alone)',
  },
  examples: [
    'chacractl binary download ceph/main/1a2b3c/centos/9/x86_64/ceph-18.2.0-1.el9.x86_64.rpm',
    'chacractl binary download ceph/main/1a2b3c/centos/9/x86_64 -o RPMS/ -j 8',
    'chacractl binary download ceph/main/1a2b3c/centos/9/x86_64/ceph-18.2.0-1.el9.x86_64.rpm -o - | rpm -qip -',
  ],
  run: lazyRun(() => import('./download-run.js'), 'runBinaryDownload'),
};

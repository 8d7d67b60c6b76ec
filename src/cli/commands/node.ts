import { type CommandSpec, lazyRun, type OptionName } from '../grammar.js';

export const SHAMAN_OPTIONS: OptionName[] = ['shaman', 'insecure', 'ca', 'log', 'json', 'quiet', 'timeout', 'retries', 'retry-delay', 'help', 'version'];

export const nodeNext: CommandSpec = {
  path: ['node', 'next'],
  summary: 'print the chacra node shaman hands out next (one line: its URL); exit 3 when none is healthy or the answer is no URL',
  description: [
    'A drop-in for the line Ceph jobs run today:',
    '  chacra_url=$(curl -u "$SHAMAN_API_USER:$SHAMAN_API_KEY" https://shaman.ceph.com/api/nodes/next/)',
    'shaman health-checks the node it picks (about 2 s) and moves its rotation on.',
  ].join('\n'),
  args: [],
  options: [],
  globalOptions: SHAMAN_OPTIONS,
  examples: ['chacra_url=$(chacractl node next)', 'chacractl --shaman https://shaman.ceph.com node next'],
  run: lazyRun(() => import('./node-run.js'), 'runNodeNext'),
};

export const nodeLs: CommandSpec = {
  path: ['node', 'ls'],
  summary: 'list the chacra nodes of the pool: health, failed checks, last use',
  args: [],
  options: [],
  globalOptions: SHAMAN_OPTIONS,
  examples: ['chacractl node ls', "chacractl node ls --json | jq -r '.nodes[] | select(.healthy) | .url'"],
  run: lazyRun(() => import('./node-run.js'), 'runNodeLs'),
};

export const locate: CommandSpec = {
  path: ['locate'],
  summary: 'show where builds are in the pool: node, repo URL, status, archs, time (exit 1 when none matches)',
  description: [
    "Asks shaman's search. --sha1 latest is the sha1 whose repos changed status last (with --distros: one",
    'that has a repo for each); --ready keeps ready repos only, before latest is chosen. --distros is a',
    'comma list of DISTRO/VERSION[/ARCH]; use codenames for ubuntu and debian releases shaman does not map.',
    '--wait waits until every platform of --distros has a matching repo whose repo answers on its node (see',
    '--timeout, default 30m, then exit 1 naming the platforms missing, or 3 when a node of their records could not be',
    'asked or nothing answered; --interval); with --sha1 latest, one sha1',
    'that every platform has. --build-url keeps repos whose extra.build_url is URL. With -q, only the sha1.',
  ].join('\n'),
  args: [{ name: 'PROJECT', required: true }],
  options: ['ref', 'sha1', 'distros', 'flavor', 'ready', 'wait', 'interval', 'build-url'],
  waitsForRepo: (values) => values.wait === true,
  globalOptions: SHAMAN_OPTIONS,
  optionHelp: {
    sha1: 'a build sha1, or latest',
    flavor: 'flavor, such as default or crimson',
    wait: 'wait until every platform has a matching repo that answers (see --timeout, --interval)',
    'build-url': 'only repos whose extra.build_url is URL: the ones this build uploaded',
  },
  examples: [
    'chacractl locate ceph --ref main --sha1 latest --distros centos/9/x86_64 --ready',
    'chacractl locate ceph --sha1 1a2b3c --json',
    'SHA1=$(chacractl locate ceph --ref main --sha1 latest --distros centos/9/x86_64,ubuntu/jammy/x86_64 --ready --wait -q)',
    'chacractl locate ceph --ref main --sha1 $SHA1 --distros centos/9/x86_64 --ready --wait --build-url "$BUILD_URL" --timeout 15m',
  ],
  run: lazyRun(() => import('./node-run.js'), 'runLocate'),
};

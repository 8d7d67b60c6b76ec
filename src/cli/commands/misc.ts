import { type CommandSpec, lazyRun } from '../grammar.js';

export const projectCreate: CommandSpec = {
  path: ['project', 'create'],
  summary: 'create an empty project',
  args: [{ name: 'NAME', required: true }],
  options: [],
  examples: ['chacractl project create ceph'],
  run: lazyRun(() => import('./misc-run.js'), 'runProjectCreate'),
};

export const exists: CommandSpec = {
  path: ['exists'],
  summary: 'exit 0 when PATH (binaries/... or repos/...) exists, 1 when it does not (on every node of the pool), 3 when the server cannot tell',
  args: [{ name: 'PATH', required: true }],
  options: [],
  examples: ['chacractl exists binaries/ceph/main/1a2b3c/centos/9/x86_64', 'chacractl exists repos/ceph/main/1a2b3c/centos/9'],
  run: lazyRun(() => import('./misc-run.js'), 'runExists'),
};

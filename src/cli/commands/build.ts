import { type CommandSpec, lazyRun } from '../grammar.js';
import { SHAMAN_OPTIONS } from './node.js';

export const buildUpdate: CommandSpec = {
  path: ['build', 'update'],
  summary: "report a build's state to shaman: queued, started, completed or failed (exit 3 when shaman refuses it)",
  description: [
    "TARGET is PROJECT/REF/SHA1[/DISTRO/VERSION/ARCH][/flavors/FLAVOR]. The build's url is --build-url, else",
    'BUILD_URL; its log --log-url, else the build url + /consoleFull. extra takes JOB_NAME, NODE_NAME,',
    'ROOT_BUILD_CAUSE and BUILD_USER when set (as job_name, node_name, root_build_cause, build_user), then',
    '--version (--build-version) and each --extra KEY=VALUE. One url per platform is one record in shaman:',
    'started, then completed or failed, moves it (a queued record of the platform is taken over). Needs',
    "shaman's user and key (SHAMAN_API_USER, SHAMAN_API_KEY). Replaces update_build_status in ceph-build.",
  ].join('\n'),
  args: [
    { name: 'STATE', required: true },
    { name: 'TARGET', required: true },
  ],
  options: ['build-url', 'log-url', 'build-version', 'extra'],
  renames: { version: 'build-version' },
  globalOptions: SHAMAN_OPTIONS.filter((o) => o !== 'version'),
  examples: [
    'chacractl build update started ceph/main/$SHA1/centos/9/x86_64 --version "$vers"',
    'chacractl build update completed ceph/main/$SHA1/ubuntu/jammy/x86_64/flavors/crimson',
    'chacractl build update failed ceph/main/$SHA1/centos/9/arm64 --build-url "$BUILD_URL" --extra package_manager_version=19.0.0-1.el9',
  ],
  run: lazyRun(() => import('./build-run.js'), 'runBuildUpdate'),
};

export const buildLs: CommandSpec = {
  path: ['build', 'ls'],
  summary: 'list the builds shaman has recorded: refs, sha1s, or the builds of a sha1 (exit 1 when there is none)',
  description: [
    'PROJECT lists its refs with builds, PROJECT/REF its sha1s, PROJECT/REF/SHA1 its builds, newest change',
    'first: platform, flavor, status, started, completed, url. Without PROJECT, the projects with builds.',
  ].join('\n'),
  args: [{ name: 'PROJECT[/REF[/SHA1]]' }],
  options: [],
  globalOptions: SHAMAN_OPTIONS,
  examples: ['chacractl build ls ceph/main', 'chacractl build ls ceph/main/$SHA1', 'chacractl build ls --json ceph/main/$SHA1'],
  run: lazyRun(() => import('./build-run.js'), 'runBuildLs'),
};

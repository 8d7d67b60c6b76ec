// The build pipeline through the built CLI, against the local pool (CI) or a
// real shaman with its two chacra nodes, as pool.test.ts:
//
//   CHACRA_TEST_SHAMAN_URL=http://127.0.0.1:18200 CHACRA_TEST_CA=~/real-chacra/tls/ca.crt npm run test:real
//
// build update and build ls move and show shaman's build records; a wait
// started before a platform's repo exists ends once the node has built it;
// --sha1 latest names one sha1 on every platform; a wait times out naming
// the platform missing; a bad shaman key exits 3. Each run uses a project of
// its own (shaman cannot delete build records) and deletes its repos.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RunningPool } from '../../src/server/pool.js';
import { conformancePool, poolCredentials } from '../helpers/conformance-pool.js';
import { runCli, tempDir, type CliResult, type TempDir } from '../helpers/env.js';

const { user, key, shamanUser, shamanKey } = poolCredentials;
const run = randomBytes(3).toString('hex');
const project = `bld${run}`;
const sha1 = (c: string) => `${run}${c.repeat(34)}`;
const JOB = `https://jenkins.example/job/ceph-dev-build/${run}/`;
let pool: RunningPool | undefined;
let home: TempDir;
let shamanUrl: string;
let ca: string | undefined;
const repos: string[] = [];

before(async () => {
  home = tempDir('chacractl-builds-');
  ({ pool, shamanUrl, ca } = await conformancePool(home.path));
});

after(async () => {
  for (const repo of repos) await chacractl('repo', 'delete', '--yes', repo).catch(() => undefined);
  await pool?.close();
  home.cleanup();
});

function chacractl(...args: (string | { env?: Record<string, string>; onSpawn?: (child: ChildProcess) => void })[]): Promise<CliResult> {
  const options = typeof args.at(-1) === 'object' ? (args.pop() as { env?: Record<string, string>; onSpawn?: (child: ChildProcess) => void }) : {};
  return runCli([...(ca ? ['--ca', ca] : []), ...(args as string[])], {
    home: home.path,
    env: {
      CHACRA_SHAMAN_URL: shamanUrl,
      SHAMAN_API_USER: shamanUser,
      SHAMAN_API_KEY: shamanKey,
      CHACRA_USER: user,
      CHACRA_KEY: key,
      BUILD_URL: JOB,
      JOB_NAME: 'ceph-dev-build',
      ...options.env,
    },
    onSpawn: options.onSpawn,
    timeoutMs: 10 * 60_000,
  });
}

function exits(r: CliResult, code: number): CliResult {
  assert.equal(r.code, code, `exit ${r.code}, not ${code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

async function upload(build: string, arch: string, name: string): Promise<void> {
  if (!repos.includes(build)) repos.push(build);
  const path = join(home.path, name);
  writeFileSync(path, `${name}\n`.repeat(100));
  exits(await chacractl('binary', 'create', `${build}/${arch}`, path), 0);
}

/** A wait, started, and resolved once it says on stderr what it is waiting for. */
function waitStarted(...args: string[]): { result: Promise<CliResult>; waiting: Promise<void> } {
  let resolve!: () => void;
  const waiting = new Promise<void>((r) => (resolve = r));
  const result = chacractl(...args, {
    onSpawn: (child) => {
      let err = '';
      child.stderr?.on('data', (d: Buffer | string) => {
        err += String(d);
        if (/waiting for/.test(err)) resolve();
      });
    },
  });
  return { result, waiting };
}

interface Build {
  status: string;
  distro_arch: string | null;
  completed: string | null;
  started: string | null;
  url: string | null;
}

describe('build records in shaman', { concurrency: false }, () => {
  const target = `${project}/main/${sha1('a')}`;

  test('started then completed moves one record, its completion time set', async () => {
    exits(await chacractl('build', 'update', 'started', `${target}/centos/9/x86_64`, '--version', '20.3.0'), 0);
    exits(await chacractl('build', 'update', 'completed', `${target}/centos/9/x86_64`, '--version', '20.3.0'), 0);
    const { builds } = JSON.parse(exits(await chacractl('--json', 'build', 'ls', target), 0).stdout) as { builds: Build[] };
    assert.equal(builds.length, 1, JSON.stringify(builds));
    assert.equal(builds[0]!.status, 'completed');
    assert.match(builds[0]!.completed ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    assert.equal(builds[0]!.url, JOB);
  });

  test('a second platform failed is a second record; build ls shows both', async () => {
    exits(await chacractl('build', 'update', 'failed', `${target}/centos/9/aarch64`, '--build-url', `${JOB}aarch64/`), 0);
    const { builds } = JSON.parse(exits(await chacractl('--json', 'build', 'ls', target), 0).stdout) as { builds: Build[] };
    assert.deepEqual(builds.map((b) => [b.distro_arch, b.status, b.completed === null]).sort(), [
      ['aarch64', 'failed', true],
      ['x86_64', 'completed', false],
    ]);
    const lines = exits(await chacractl('build', 'ls', target), 0)
      .stdout.trim()
      .split('\n');
    assert.equal(lines.length, 2, lines.join('\n'));
    exits(await chacractl('build', 'ls', `${project}/nope`), 1);
  });

  test('a bad shaman key exits 3', async () => {
    const r = exits(await chacractl('build', 'update', 'started', `${target}/centos/9/s390x`, { env: { SHAMAN_API_KEY: 'wrong' } }), 3);
    assert.match(r.stderr, /401/);
  });
});

describe('waiting for builds', { concurrency: false }, () => {
  const one = `${project}/main/${sha1('b')}`;
  const two = `${project}/main/${sha1('c')}`;

  test("a wait started before the platform's repo exists returns once the node has built it", async () => {
    const wait = waitStarted(
      'locate',
      project,
      '--sha1',
      sha1('b'),
      '--distros',
      'centos/9/x86_64',
      '--ready',
      '--wait',
      '--interval',
      '1s',
      '--timeout',
      '5m',
    );
    await wait.waiting;
    await upload(`${one}/centos/9`, 'x86_64', 'b.rpm');
    const r = exits(await wait.result, 0);
    assert.match(r.stdout, new RegExp(`^centos/9/x86_64  ${sha1('b')}  ready  x86_64  `));
  });

  test('--sha1 latest over two platforms names one sha1 both have', async () => {
    await upload(`${one}/rocky/10`, 'x86_64', 'b10.rpm');
    exits(
      await chacractl('locate', project, '--sha1', sha1('b'), '--distros', 'rocky/10/x86_64', '--ready', '--wait', '--interval', '1s', '--timeout', '5m'),
      0,
    );
    // A newer sha1 on one platform only.
    await upload(`${two}/centos/9`, 'x86_64', 'c.rpm');
    exits(
      await chacractl('locate', project, '--sha1', sha1('c'), '--distros', 'centos/9/x86_64', '--ready', '--wait', '--interval', '1s', '--timeout', '5m'),
      0,
    );
    const both = [
      'locate',
      project,
      '--ref',
      'main',
      '--sha1',
      'latest',
      '--distros',
      'centos/9/x86_64,rocky/10/x86_64',
      '--ready',
      '--wait',
      '--timeout',
      '1m',
    ];
    assert.equal(exits(await chacractl(...both, '-q'), 0).stdout, `${sha1('b')}\n`);
    const rows = (JSON.parse(exits(await chacractl('--json', ...both), 0).stdout) as { repos: { platform: string; sha1: string }[] }).repos;
    assert.deepEqual([...new Set(rows.map((r) => r.sha1))], [sha1('b')]);
    assert.deepEqual([...new Set(rows.map((r) => r.platform))], ['centos/9/x86_64', 'rocky/10/x86_64']);
  });

  test('a wait that times out exits 1 and names the platform missing', async () => {
    const r = exits(
      await chacractl(
        'locate',
        project,
        '--sha1',
        sha1('b'),
        '--distros',
        'centos/9/x86_64,fedora/40/x86_64',
        '--ready',
        '--wait',
        '--interval',
        '200ms',
        '--timeout',
        '1s',
      ),
      1,
    );
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /still missing after .*fedora\/40\/x86_64 \(no matching repo\)/);
    assert.doesNotMatch(r.stderr.split('\n').find((l) => /still missing/.test(l)) ?? '', /centos/);
  });
});

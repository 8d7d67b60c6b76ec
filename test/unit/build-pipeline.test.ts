// The build pipeline's pure logic: build targets and report bodies, the
// --version that build update reads as the build's, and which records a wait
// counts (over a shaman and nodes made of plain objects).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChacraClient } from '../../src/client/client.js';
import type { ShamanClient } from '../../src/client/shaman.js';
import { grammar } from '../../src/cli/main.js';
import { NetworkError, UsageError } from '../../src/errors.js';
import { buildReportOf, jenkinsExtra, parseBuildTarget } from '../../src/operations/build-report.js';
import { findBuilds, repoLocation, seenMissing } from '../../src/operations/build-wait.js';
import type { ShamanRepo, ShamanSearch } from '../../src/types.js';

test('a build target: with or without a platform, with a flavor; anything else is a usage error', () => {
  assert.deepEqual(parseBuildTarget('ceph/main/abc'), {
    project: 'ceph',
    ref: 'main',
    sha1: 'abc',
    distro: undefined,
    version: undefined,
    arch: undefined,
    flavor: 'default',
  });
  assert.deepEqual(parseBuildTarget('ceph/main/abc/centos/9/x86_64/flavors/crimson'), {
    project: 'ceph',
    ref: 'main',
    sha1: 'abc',
    distro: 'centos',
    version: '9',
    arch: 'x86_64',
    flavor: 'crimson',
  });
  for (const bad of ['ceph/main', 'ceph/main/abc/centos/9', 'ceph/main/abc/centos/9/x86_64/extra', 'ceph/main/abc/flavors', 'ceph/../abc', 'ceph//abc'])
    assert.throws(() => parseBuildTarget(bad), UsageError, bad);
});

test('the report body: log url from the build url as the jobs send it, extra from Jenkins and the options', () => {
  const body = buildReportOf({
    state: 'started',
    target: parseBuildTarget('ceph/main/abc/ubuntu/jammy/x86_64'),
    buildUrl: 'https://jenkins/job/x/1/',
    version: '19.0.0',
    extra: { ...jenkinsExtra({ JOB_NAME: 'x', BUILD_USER: '', PATH: '/bin' }), version: 'overridden' },
  });
  assert.equal(body.log_url, 'https://jenkins/job/x/1/consoleFull');
  assert.deepEqual(body.extra, { job_name: 'x', build_user: '', version: '19.0.0' });
  assert.deepEqual([body.distro, body.distro_version, body.distro_arch, body.flavor], ['ubuntu', 'jammy', 'x86_64', 'default']);
  const setup = buildReportOf({ state: 'queued', target: parseBuildTarget('ceph/main/abc'), buildUrl: 'u', logUrl: 'l' });
  assert.equal(setup.log_url, 'l');
  assert.ok(!('distro' in setup), 'a job with no platform sends none (#92)');
});

test("build update's --version is the build's version; chacractl --version is still chacractl's", () => {
  for (const argv of [
    ['build', 'update', 'started', 'p/r/s', '--version', '1.2'],
    ['build', 'update', 'started', 'p/r/s', '--version=1.2'],
    ['--log', 'debug', 'build', 'update', '--version', '1.2', 'started', 'p/r/s'],
    ['build', 'update', 'started', 'p/r/s', '--build-version', '1.2'],
  ]) {
    const inv = grammar.parse(argv).invocation;
    assert.equal(inv?.values['build-version'], '1.2', argv.join(' '));
    assert.deepEqual(inv?.args, ['started', 'p/r/s'], argv.join(' '));
  }
  assert.equal(grammar.parse(['--version']).version, true);
  assert.deepEqual(grammar.parse(['build', 'update', 'started', 'p/r/s', '--extra', 'a=1', '--extra', 'b=2']).invocation?.values.extra, ['a=1', 'b=2']);
});

const NODE1 = 'https://n1.example/';
const NODE2 = 'https://n2.example/chacra/';

function repo(sha1: string, distro: string, version: string, node: string, modified: string, extra: Record<string, unknown> = {}): ShamanRepo {
  const path = `p/main/${sha1}/${distro}/${version}/flavors/default/`;
  return {
    project: 'p',
    ref: 'main',
    sha1,
    flavor: 'default',
    distro,
    distro_version: version,
    distro_codename: null,
    archs: ['x86_64'],
    status: 'ready',
    extra,
    modified: `2026-12-04 10:00:${modified}+00:00`,
    url: `${node}r/${path}`,
    chacra_url: `${node}repos/${path}`,
  };
}

/** shaman's search over `repos` by project, sha1 and distros; nodes that hold `held` (chacra_url). */
function fakes(repos: ShamanRepo[], held: Set<string>) {
  const asked: string[] = [];
  const shaman = {
    async search(q: ShamanSearch) {
      const [distro, version] = (q.distros ?? '').split('/');
      return repos.filter(
        (r) => r.project === q.project && (!q.sha1 || r.sha1 === q.sha1) && (!q.distros || (r.distro === distro && r.distro_version === version)),
      );
    },
  } as unknown as ShamanClient;
  const clientFor = (node: string) =>
    ({
      async exists(root: string, segments: readonly string[]) {
        const url = `${node}${root}/${segments.join('/')}/`;
        asked.push(url);
        return held.has(url);
      },
    }) as unknown as ChacraClient;
  return { shaman, clientFor, asked };
}

test('latest: the newest sha1 that every platform has with a repo that answers; never a mix', async () => {
  const A = repo('a', 'centos', '9', NODE1, '01');
  const A2 = repo('a', 'rocky', '10', NODE2, '02');
  const B = repo('b', 'centos', '9', NODE1, '03'); // newer, one platform only
  const C = repo('c', 'centos', '9', NODE2, '04');
  const C2 = repo('c', 'rocky', '10', NODE1, '05'); // newest, on both, but C's repo is gone
  const { shaman, clientFor } = fakes([A, A2, B, C, C2], new Set([A, A2, B, C2].map((r) => r.chacra_url)));
  const look = await findBuilds(shaman, { project: 'p', sha1: 'latest', distros: ['centos/9', 'rocky/10'], clientFor });
  assert.equal(look.found?.sha1, 'a');
  assert.deepEqual(
    look.found?.platforms.map((p) => p.repos.map((r) => r.chacra_url)),
    [[A.chacra_url], [A2.chacra_url]],
  );
  // Without A on rocky, each platform has a sha1 but none has one both have: none is picked.
  const mix = fakes([B, C2], new Set([B, C2].map((r) => r.chacra_url)));
  const none = await findBuilds(mix.shaman, { project: 'p', sha1: 'latest', distros: ['centos/9', 'rocky/10'], clientFor: mix.clientFor });
  assert.equal(none.found, undefined);
  assert.deepEqual(
    none.missing.map((m) => m.reason),
    ['no sha1 that every platform has; the newest here: b', 'no sha1 that every platform has; the newest here: c'],
  );
});

test('a sha1: every record of a platform that answers, none that does not; --build-url keeps that build', async () => {
  const one = repo('a', 'centos', '9', NODE1, '01', { build_url: 'J1' });
  const two = repo('a', 'centos', '9', NODE2, '02', { build_url: 'J2' });
  const gone = repo('a', 'centos', '9', 'https://n3.example/', '03');
  const { shaman, clientFor } = fakes([one, two, gone], new Set([one.chacra_url, two.chacra_url]));
  const all = await findBuilds(shaman, { project: 'p', sha1: 'a', distros: ['centos/9'], clientFor });
  assert.deepEqual(
    all.found?.platforms[0]?.repos.map((r) => r.chacra_url),
    [two.chacra_url, one.chacra_url],
  );
  const j1 = await findBuilds(shaman, { project: 'p', sha1: 'a', distros: ['centos/9'], buildUrl: 'J1', clientFor });
  assert.deepEqual(
    j1.found?.platforms[0]?.repos.map((r) => r.chacra_url),
    [one.chacra_url],
  );
  const onlyGone = fakes([gone], new Set());
  const missing = await findBuilds(onlyGone.shaman, { project: 'p', sha1: 'a', distros: ['centos/9', 'rocky/10'], clientFor: onlyGone.clientFor });
  assert.deepEqual(
    missing.missing.map((m) => m.platform),
    ['centos/9', 'rocky/10'],
  );
  assert.match(
    missing.missing[0]!.reason,
    /^1 record whose repo does not answer, such as https:\/\/n3\.example\/repos\/.*: its node has no such repo \(404\)$/,
  );
  assert.equal(missing.missing[1]!.reason, 'no matching repo');
});

test("a record's node is what comes before repos/ in its chacra_url, chacra served below a path too", () => {
  assert.deepEqual(repoLocation({ chacra_url: `${NODE2}repos/p/main/a/centos/9/flavors/default/` }), {
    node: NODE2,
    segments: ['p', 'main', 'a', 'centos', '9', 'flavors', 'default'],
  });
  assert.equal(repoLocation({ chacra_url: 'https://pulp.example/content/p/' }), undefined);
  assert.equal(repoLocation({ chacra_url: 'not a url' }), undefined);
});

test('a record whose node could not be asked: the platform is not seen missing; a newer sha1 there is passed over, named', async () => {
  const DOWN = 'https://down.example/';
  const older = repo('a', 'centos', '9', NODE1, '01');
  const newer = repo('b', 'centos', '9', DOWN, '02');
  const { shaman, clientFor: up } = fakes([older, newer], new Set([older.chacra_url]));
  const clientFor = (node: string) =>
    node === DOWN
      ? ({
          async exists() {
            throw new NetworkError({ method: 'HEAD', url: `${DOWN}repos/`, kind: 'refused', reason: 'connection refused by down.example:443' });
          },
        } as unknown as ChacraClient)
      : up(node);
  const latest = await findBuilds(shaman, { project: 'p', sha1: 'latest', distros: ['centos/9'], clientFor });
  assert.equal(latest.found?.sha1, 'a');
  assert.deepEqual(
    latest.found?.passedOver?.map((f) => f.node),
    [DOWN],
  );
  const onlyDown = await findBuilds(shaman, { project: 'p', sha1: 'b', distros: ['centos/9'], clientFor });
  assert.equal(onlyDown.found, undefined);
  assert.deepEqual(
    onlyDown.missing[0]?.unasked.map((f) => [f.node, f.error.message]),
    [[DOWN, `HEAD ${DOWN}repos/ failed: connection refused by down.example:443`]],
  );
  assert.equal(seenMissing(onlyDown.missing), false);
  // A platform no record has, or whose nodes all answered "no such repo", is seen missing.
  const none = await findBuilds(shaman, { project: 'p', sha1: 'a', distros: ['rocky/10'], clientFor });
  assert.equal(seenMissing(none.missing), true);
});

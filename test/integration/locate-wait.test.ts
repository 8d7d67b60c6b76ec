// locate --wait and "latest" through the built CLI against the local pool:
// every platform, only repos that answer on their node, one sha1 with latest.
// The nodes' workers step only when a test drains them: repos turn ready when
// the test says so, and the waits follow those events, not a clock.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { request } from 'undici';
import { ADMIN, built, cli, JOB, SHAMAN, sha, staleRecord, status, upload, usePool, waiting } from '../helpers/build-pool.js';

const fixture = usePool();

type WaitJson = { platform: string; sha1: string; node: string; status: string; chacra_url: string }[];
/** The records of a locate --wait --json document. */
const reposOf = (stdout: string) => (JSON.parse(stdout) as { repos: WaitJson }).repos;

describe('locate --wait and latest', { concurrency: false }, () => {
  const A = sha('a');
  const B = sha('c');
  const C = sha('d');

  test('a wait started before the repo exists returns once it turns ready, with the record', async () => {
    const w = waiting();
    const run = cli(['locate', 'wt', '--sha1', A, '--distros', 'centos/9/x86_64', '--ready', '--wait', '--interval', '50ms', '--timeout', '5m'], {
      onSpawn: w.onSpawn,
    });
    await w.started;
    // Uploaded, the repo is in shaman before it is built: --ready keeps waiting through that.
    await upload(0, `wt/main/${A}/centos/9/x86_64`, 'a.rpm');
    await built(0, `wt/main/${A}/centos/9`);
    const r = status(await run, 0);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1, r.stdout);
    assert.ok(lines[0]!.startsWith(`centos/9/x86_64  ${A}  ready  x86_64  `), lines[0]);
    assert.ok(lines[0]!.includes(`${fixture.pool.nodeUrls[0]}/`), lines[0]);
  });

  test('a wait that times out exits 1 and names the platform still missing', async () => {
    const r = status(
      await cli(['locate', 'wt', '--sha1', A, '--distros', 'centos/9/x86_64,rocky/10/x86_64', '--ready', '--wait', '--interval', '50ms', '--timeout', '300ms']),
      1,
    );
    assert.equal(r.stdout, '');
    const last = r.stderr
      .trim()
      .split('\n')
      .filter((l) => /still missing/.test(l));
    assert.equal(last.length, 1, r.stderr);
    assert.match(last[0]!, /rocky\/10\/x86_64 \(no matching repo\)/);
    assert.ok(!last[0]!.includes('centos/9'), last[0]);
    assert.match(r.stderr, /hint: wait longer \(--timeout\)/);
    const json = status(
      await cli(['--json', 'locate', 'wt', '--sha1', A, '--distros', 'centos/9/x86_64,rocky/10/x86_64', '--ready', '--wait', '--timeout', '0']),
      1,
    );
    const doc = JSON.parse(json.stdout) as { repos: unknown[]; missing: { platform: string }[]; error: { kind: string; message: string } };
    assert.deepEqual(doc.repos, []);
    assert.equal(doc.error.kind, 'timeout');
    assert.match(doc.error.message, /rocky\/10\/x86_64/);
    assert.deepEqual(
      doc.missing.map((m) => m.platform),
      ['rocky/10/x86_64'],
    );
  });

  test('--sha1 latest over two platforms names one sha1 both have, never a newer one only one has or one whose repo is gone', async () => {
    await upload(1, `wt/main/${A}/ubuntu/jammy/x86_64`, 'a.deb');
    await built(1, `wt/main/${A}/ubuntu/jammy`);
    // B: newer, centos only. C: newest, on both, but its records outlived their repos.
    await upload(1, `wt/main/${B}/centos/9/x86_64`, 'b.rpm');
    await built(1, `wt/main/${B}/centos/9`);
    await staleRecord(1, `wt/main/${C}/centos/9`, 'x86_64');
    await staleRecord(0, `wt/main/${C}/ubuntu/jammy`, 'x86_64');
    const both = [
      'locate',
      'wt',
      '--ref',
      'main',
      '--sha1',
      'latest',
      '--distros',
      'centos/9/x86_64,ubuntu/jammy/x86_64',
      '--ready',
      '--wait',
      '--timeout',
      '5s',
    ];
    assert.equal(status(await cli([...both, '-q']), 0).stdout, `${A}\n`);
    const json = reposOf(status(await cli(['--json', ...both]), 0).stdout);
    assert.deepEqual(
      json.map((r) => [r.platform, r.sha1]),
      [
        ['centos/9/x86_64', A],
        ['ubuntu/jammy/x86_64', A],
      ],
    );
    // One platform alone: its newest repo that answers, B, not the stale C.
    assert.equal(status(await cli([...both.map((a) => (a === 'centos/9/x86_64,ubuntu/jammy/x86_64' ? 'centos/9/x86_64' : a)), '-q']), 0).stdout, `${B}\n`);
  });

  test('a record whose repo no longer answers does not count, and the wait says why', async () => {
    const r = status(await cli(['locate', 'wt', '--sha1', C, '--distros', 'centos/9', '--ready', '--wait', '--interval', '50ms', '--timeout', '200ms']), 1);
    assert.match(
      r.stderr,
      /centos\/9 \(1 record whose repo does not answer, such as http:\/\/\S+\/repos\/wt\/main\/d{40}\/centos\/9\/flavors\/default\/: its node has no such repo \(404\)\)/,
    );
  });

  test('the timeout holds when the node of a record never answers, and is no verdict (3)', async () => {
    const { createServer } = await import('node:net');
    const sockets = new Set<import('node:net').Socket>();
    const silent = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { port } = silent.address() as { port: number };
    try {
      const F = sha('7');
      const res = await request(`${fixture.pool.shamanUrl}/api/repos/wt/`, {
        method: 'POST',
        headers: { authorization: SHAMAN, 'content-type': 'application/json' },
        body: JSON.stringify({
          ref: 'main',
          sha1: F,
          distro: 'centos',
          distro_version: '9',
          flavor: 'default',
          archs: ['x86_64'],
          status: 'ready',
          extra: {},
          chacra_url: `http://127.0.0.1:${port}/repos/wt/main/${F}/centos/9/flavors/default/`,
          url: `http://127.0.0.1:${port}/r/wt/main/${F}/centos/9/flavors/default/`,
        }),
      });
      await res.body.dump();
      assert.equal(res.statusCode, 200);
      // Without the deadline inside a look, the probe would wait 4 tries of 30 s and the run be killed.
      // No look ended before the deadline: whether the repo is there is unknown (3), not "missing" (1).
      const r = status(await cli(['locate', 'wt', '--sha1', F, '--distros', 'centos/9', '--wait', '--interval', '100ms', '--timeout', '1s']), 3);
      assert.match(r.stderr, /still missing after 1 s: centos\/9 \(no answer before the deadline/);
      assert.match(r.stderr, /could not tell whether centos\/9 has a repo: shaman or a node never answered before the deadline/);
      assert.ok(sockets.size > 0, 'the silent node was asked');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  test('several records of one platform are all listed: the same build on both nodes', async () => {
    const D = sha('e');
    await upload(0, `wt/main/${D}/centos/9/x86_64`, 'd.rpm');
    await upload(1, `wt/main/${D}/centos/9/x86_64`, 'd.rpm');
    await built(0, `wt/main/${D}/centos/9`);
    await built(1, `wt/main/${D}/centos/9`);
    const json = reposOf(status(await cli(['--json', 'locate', 'wt', '--sha1', D, '--distros', 'centos/9', '--ready', '--wait']), 0).stdout);
    assert.deepEqual(
      json.map((r) => [r.platform, r.sha1]),
      [
        ['centos/9', D],
        ['centos/9', D],
      ],
    );
    assert.deepEqual(json.map((r) => r.node).sort(), fixture.pool.nodeUrls.map((u) => `${u}/`).sort());
  });

  test('--build-url keeps the repos that build uploaded', async () => {
    const E = sha('f');
    await upload(0, `wt/main/${E}/centos/9/x86_64`, 'e.rpm');
    const res = await request(`${fixture.pool.nodeUrls[0]}/repos/wt/main/${E}/centos/9/flavors/default/extra/`, {
      method: 'POST',
      headers: { authorization: ADMIN, 'content-type': 'application/json' },
      body: JSON.stringify({ build_url: JOB }),
    });
    await res.body.dump();
    assert.equal(res.statusCode, 200);
    await built(0, `wt/main/${E}/centos/9`);
    const base = ['locate', 'wt', '--sha1', E, '--distros', 'centos/9/x86_64', '--ready'];
    assert.match(status(await cli([...base, '--build-url', JOB]), 0).stdout, new RegExp(`^centos/9/x86_64  ${E}  ready`));
    const other = status(await cli([...base, '--build-url', 'https://jenkins.example/job/other/1/']), 1);
    assert.match(other.stderr, /centos\/9\/x86_64 \(no matching repo\)/);
  });

  test('repo file and exists with latest: the newest ready repo that answers, from its node', async () => {
    const file = status(await cli(['repo', 'file', 'wt/main/latest/centos/9']), 0);
    assert.ok(file.stdout.includes(`/r/wt/main/${sha('f')}/centos/9/`), file.stdout);
    assert.match(file.stderr, new RegExp(`sha1 ${sha('f')}`));
    status(await cli(['exists', 'repos/wt/main/latest/ubuntu/jammy']), 0);
    status(await cli(['exists', `binaries/wt/main/latest/ubuntu/jammy/x86_64/a.deb`]), 0);
    status(await cli(['exists', 'repos/wt/main/latest/rocky/10']), 1);
    const none = status(await cli(['repo', 'file', 'wt/main/latest/rocky/10']), 1);
    assert.match(none.stderr, /no ready repo for wt\/main\/latest\/rocky\/10/);
  });

  test('a look over many platforms asks them at once and warns of no listeners leaking', async () => {
    // One abort listener per request on the run's signal: more than EventEmitter's 10 is the design, not a leak.
    const distros = Array.from({ length: 12 }, (_, i) => `centos/${i + 20}/x86_64`).join(',');
    for (const how of [
      ['--wait', '--timeout', '0'],
      ['--build-url', JOB],
    ]) {
      const r = status(await cli(['locate', 'wt', '--sha1', A, '--distros', distros, ...how]), 1);
      assert.match(r.stderr, /centos\/31\/x86_64 \(no matching repo\)/);
      assert.doesNotMatch(r.stderr, /MaxListenersExceeded|memory leak/, r.stderr);
    }
  });
});

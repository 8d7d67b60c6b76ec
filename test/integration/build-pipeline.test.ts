// The build pipeline against the local pool (shaman and two chacra nodes, as
// `serve --pool` runs them), through the built CLI: build update and build ls
// (shaman's builds API), locate --wait (every platform, only repos that
// answer, one sha1 with latest), and "latest" in repo file and exists. The
// nodes' repo workers step only when a test drains them: repos turn ready
// when the test says so, and the waits follow those events.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { startPool, type RunningPool } from '../../src/server/pool.js';
import { runCli, tempDir, type CliResult, type TempDir } from '../helpers/env.js';

const SHAMAN = `Basic ${Buffer.from('shaman:shamankey').toString('base64')}`;
const ADMIN = `Basic ${Buffer.from('admin:secret').toString('base64')}`;
const sha = (c: string) => c.repeat(40);
const JOB = 'https://jenkins.example/job/ceph-dev-build/ARCH=x86_64,DIST=centos9/42/';

let pool: RunningPool;
let home: TempDir;

before(async () => {
  home = tempDir('build-pipeline-');
  pool = await startPool({ dataDir: home.path, nodes: 2, healthCheckDelayMs: 1, repoStepMs: 600_000, callbackRetryDelayMs: 10 });
});
after(async () => {
  await pool?.close();
  home?.cleanup();
});

function cli(args: string[], options: { env?: Record<string, string>; onSpawn?: Parameters<typeof runCli>[1]['onSpawn'] } = {}): Promise<CliResult> {
  return runCli(args, {
    home: home.path,
    env: {
      CHACRA_SHAMAN_URL: pool.shamanUrl,
      SHAMAN_API_USER: 'shaman',
      SHAMAN_API_KEY: 'shamankey',
      CHACRA_USER: 'admin',
      CHACRA_KEY: 'secret',
      ...options.env,
    },
    onSpawn: options.onSpawn,
  });
}

function status(r: CliResult, code: number): CliResult {
  assert.equal(r.code, code, `exit ${r.code}, not ${code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/** An upload straight to node i, as a build job whose node shaman handed out. */
async function upload(node: number, target: string, name: string): Promise<void> {
  const boundary = 'build-pipeline-boundary';
  const res = await request(`${pool.nodeUrls[node]}/binaries/${target}/`, {
    method: 'POST',
    headers: { authorization: ADMIN, 'content-type': `multipart/form-data; boundary=${boundary}` },
    body: `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n\r\n${name}\r\n--${boundary}--\r\n`,
  });
  await res.body.dump();
  assert.equal(res.statusCode, 201, `upload of ${name} to node ${node}`);
}

/** Node i builds its repos, and shaman has `repo` (P/REF/SHA1/DISTRO/VERSION) of that node as ready. */
async function built(node: number, repo: string): Promise<void> {
  pool.nodes[node]!.worker.drain();
  await pool.nodes[node]!.callbacks!.idle();
  const chacraUrl = `${pool.nodeUrls[node]}/repos/${repo}/flavors/default/`;
  await pool.shaman.waitFor(() => pool.shaman.records.repos().some((r) => r.chacraUrl === chacraUrl && r.status === 'ready'), 10_000);
}

/** A record shaman keeps for a repo no node holds: what a rotated node leaves behind. */
async function staleRecord(node: number, repo: string, arch: string): Promise<void> {
  const [project, ref, sha1, distro, version] = repo.split('/');
  const res = await request(`${pool.shamanUrl}/api/repos/${project}/`, {
    method: 'POST',
    headers: { authorization: SHAMAN, 'content-type': 'application/json' },
    body: JSON.stringify({
      project_name: project,
      ref,
      sha1,
      distro,
      distro_version: version,
      flavor: 'default',
      archs: [arch],
      extra: {},
      status: 'ready',
      chacra_url: `${pool.nodeUrls[node]}/repos/${repo}/flavors/default/`,
      url: `${pool.nodeUrls[node]}/r/${repo}/flavors/default/`,
    }),
  });
  await res.body.dump();
  assert.equal(res.statusCode, 200);
}

/** Resolves once the child's stderr says it is waiting: the wait has looked once and found a platform missing. */
function waiting(): { onSpawn: (child: import('node:child_process').ChildProcess) => void; started: Promise<void> } {
  let resolve!: () => void;
  const started = new Promise<void>((r) => (resolve = r));
  return {
    started,
    onSpawn: (child) => {
      let err = '';
      child.stderr?.on('data', (d: Buffer | string) => {
        err += String(d);
        if (/waiting for/.test(err)) resolve();
      });
    },
  };
}

/** locate --json: each record with the platform it counts for and its node. */
type WaitJson = { platform: string; sha1: string; node: string; status: string; chacra_url: string }[];

describe('build update and build ls', { concurrency: false }, () => {
  const target = `bld/main/${sha('b')}`;
  const env = { BUILD_URL: JOB, JOB_NAME: 'ceph-dev-build', NODE_NAME: 'builder "7"', ROOT_BUILD_CAUSE: 'SCMTRIGGER' };

  test('started then completed moves one record, its completion time set; the body is JSON whatever the values hold', async () => {
    const started = status(await cli(['--json', 'build', 'update', 'started', `${target}/centos/9/x86_64`, '--version', '20.3.0-1'], { env }), 0);
    const doc = JSON.parse(started.stdout) as { sent: Record<string, unknown>; answer: unknown };
    assert.deepEqual(doc.answer, {});
    assert.deepEqual(doc.sent, {
      url: JOB,
      log_url: `${JOB}consoleFull`,
      status: 'started',
      ref: 'main',
      sha1: sha('b'),
      flavor: 'default',
      distro: 'centos',
      distro_version: '9',
      distro_arch: 'x86_64',
      extra: { job_name: 'ceph-dev-build', node_name: 'builder "7"', root_build_cause: 'SCMTRIGGER', version: '20.3.0-1' },
    });
    status(await cli(['build', 'update', 'completed', `${target}/centos/9/x86_64`, '--extra', 'note=a\nb'], { env }), 0);
    const builds = pool.shaman.records.builds().filter((b) => b.project === 'bld');
    assert.equal(builds.length, 1, 'one Jenkins run of one platform is one record');
    assert.equal(builds[0]!.status, 'completed');
    assert.ok(builds[0]!.completed !== undefined && builds[0]!.completed >= builds[0]!.started);
    assert.deepEqual(builds[0]!.extra, { job_name: 'ceph-dev-build', node_name: 'builder "7"', root_build_cause: 'SCMTRIGGER', note: 'a\nb' });
  });

  test('a second platform failed is a second record; build ls shows both, newest first', async () => {
    const arm = JOB.replace('x86_64', 'arm64');
    status(await cli(['build', 'update', 'failed', `${target}/centos/9/arm64`, '--build-url', arm], { env }), 0);
    const ls = status(await cli(['build', 'ls', target]), 0)
      .stdout.trim()
      .split('\n');
    assert.equal(ls.length, 2, ls.join('\n'));
    assert.match(ls[0]!, /^centos\/9\/arm64 +default +failed +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +- +https:\/\/jenkins\.example\/.*ARCH=arm64/);
    assert.match(ls[1]!, /^centos\/9\/x86_64 +default +completed +\S+ \S+ +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +https:/);
    const json = JSON.parse(status(await cli(['--json', 'build', 'ls', target]), 0).stdout) as { status: string; completed: string | null }[];
    assert.deepEqual(
      json.map((b) => [b.status, b.completed === null]),
      [
        ['failed', true],
        ['completed', false],
      ],
    );
    assert.equal(status(await cli(['build', 'ls', 'bld']), 0).stdout, 'main\n');
    assert.equal(status(await cli(['build', 'ls', 'bld/main']), 0).stdout, `${sha('b')}\n`);
  });

  test('build ls of nothing exits 1: an unknown project, ref or sha1', async () => {
    for (const path of ['nosuchproject', 'bld/nope', `bld/main/${sha('0')}`]) {
      const r = status(await cli(['build', 'ls', path]), 1);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /no builds of|knows no project/);
    }
  });

  test("a bad shaman key exits 3 with shaman's words; no build url is a usage error; nothing is recorded", async () => {
    const before = pool.shaman.records.builds().length;
    const bad = status(await cli(['build', 'update', 'started', `${target}/centos/9/s390x`], { env: { ...env, SHAMAN_API_KEY: 'wrong' } }), 3);
    assert.match(bad.stderr, /401/);
    assert.match(bad.stderr, /SHAMAN_API_KEY/);
    assert.ok(!bad.stderr.includes('wrong'), 'the key is never printed');
    const noUrl = status(await cli(['build', 'update', 'started', `${target}/centos/9/s390x`]), 2);
    assert.match(noUrl.stderr, /build url/);
    status(await cli(['build', 'update', 'finished', `${target}/centos/9/s390x`], { env }), 2);
    status(await cli(['build', 'update', 'started', 'bld/main'], { env }), 2);
    assert.equal(pool.shaman.records.builds().length, before);
  });
});

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
    assert.ok(lines[0]!.includes(`${pool.nodeUrls[0]}/`), lines[0]);
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
    assert.deepEqual(JSON.parse(json.stdout), []);
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
    const json = JSON.parse(status(await cli(['--json', ...both]), 0).stdout) as WaitJson;
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

  test('several records of one platform are all listed: the same build on both nodes', async () => {
    const D = sha('e');
    await upload(0, `wt/main/${D}/centos/9/x86_64`, 'd.rpm');
    await upload(1, `wt/main/${D}/centos/9/x86_64`, 'd.rpm');
    await built(0, `wt/main/${D}/centos/9`);
    await built(1, `wt/main/${D}/centos/9`);
    const json = JSON.parse(status(await cli(['--json', 'locate', 'wt', '--sha1', D, '--distros', 'centos/9', '--ready', '--wait']), 0).stdout) as WaitJson;
    assert.deepEqual(
      json.map((r) => [r.platform, r.sha1]),
      [
        ['centos/9', D],
        ['centos/9', D],
      ],
    );
    assert.deepEqual(json.map((r) => r.node).sort(), pool.nodeUrls.map((u) => `${u}/`).sort());
  });

  test('--build-url keeps the repos that build uploaded', async () => {
    const E = sha('f');
    await upload(0, `wt/main/${E}/centos/9/x86_64`, 'e.rpm');
    const res = await request(`${pool.nodeUrls[0]}/repos/wt/main/${E}/centos/9/flavors/default/extra/`, {
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
});

describe('a shaman that answers something else', { concurrency: false }, () => {
  /** A server answering each path with the given status and body. */
  async function fakeShaman(answers: Record<string, [number, string]>): Promise<{ url: string; close(): Promise<void> }> {
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      req.resume();
      const [code, body] = answers[(req.url ?? '').split('?')[0]!] ?? [404, 'nothing here'];
      res.writeHead(code, { 'content-type': body.startsWith('<') ? 'text/html' : 'application/json' });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    return {
      url: `http://127.0.0.1:${port}`,
      close: () =>
        new Promise<void>((r) => {
          server.close(() => r());
          server.closeAllConnections();
        }),
    };
  }

  test('build ls of answers of the wrong shape: no verdict, exit 3, nothing printed', async () => {
    const fake = await fakeShaman({
      '/api/builds/p/': [200, '{"main": 1}'],
      '/api/builds/p/main/': [200, '[1, 2]'],
      '/api/builds/p/main/abc/': [200, '[{"status": "started"}]'],
      '/api/builds/': [200, '["p"]'],
    });
    try {
      for (const path of ['p', 'p/main', 'p/main/abc', '']) {
        const r = status(await cli(['build', 'ls', ...(path ? [path] : [])], { env: { CHACRA_SHAMAN_URL: fake.url } }), 3);
        assert.equal(r.stdout, '', path);
        assert.match(r.stderr, /not shaman's builds API/, path);
      }
    } finally {
      await fake.close();
    }
  });

  test("a report shaman fails on (its 500 page) exits 3 with shaman's words", async () => {
    const page = '<html><head><title>500 Internal Server Error</title></head><body>Internal Server Error</body></html>';
    const fake = await fakeShaman({ '/api/builds/p/': [500, page] });
    try {
      const r = status(
        await cli(['build', 'update', 'failed', 'p/main/abc/centos/9/x86_64', '--build-url', JOB, '--retries', '0'], { env: { CHACRA_SHAMAN_URL: fake.url } }),
        3,
      );
      assert.match(r.stderr, /shaman did not record the build: POST \S+\/api\/builds\/p\/ answered 500/);
      assert.equal(r.stdout, '');
    } finally {
      await fake.close();
    }
  });
});

test("the builds API's edges, as the real shaman answers them (curl on the real pool): redirects, 405, 404, 500", async () => {
  const P = 'bldedges';
  const S = sha('9');
  const post = await request(`${pool.shamanUrl}/api/builds/${P}/`, {
    method: 'POST',
    headers: { authorization: SHAMAN, 'content-type': 'application/json' },
    body: JSON.stringify({ url: 'u', ref: 'main', sha1: S, status: 'started' }),
  });
  await post.body.dump();
  assert.equal(post.statusCode, 200);
  const cases: [string, string, number, string?][] = [
    ['GET', `/api/builds/${P}/main/${S}`, 302, `/api/builds/${P}/main/${S}/`],
    ['GET', `/api/builds/${P}/main`, 302, `/api/builds/${P}/main/`],
    ['POST', `/api/builds/${P}/main/`, 405],
    ['GET', `/api/builds/${P}/main/${S}/x/`, 404],
    ['DELETE', `/api/builds/${P}/`, 405],
    ['POST', `/api/builds/${P}`, 500],
    ['GET', '/api/builds/nope/main/', 404],
    ['POST', '/api/builds/nope/main/', 500],
    ['PUT', '/api/builds/', 200],
  ];
  for (const [method, path, code, location] of cases) {
    const res = await request(pool.shamanUrl + path, {
      method: method as 'GET',
      headers: { authorization: SHAMAN, 'content-type': 'application/json' },
      body: method === 'GET' ? undefined : '{}',
    });
    await res.body.dump();
    assert.equal(res.statusCode, code, `${method} ${path}`);
    if (location) assert.equal(res.headers.location, pool.shamanUrl + location, `${method} ${path}`);
  }
});

// shaman's builds API through the built CLI against the local pool: build
// update and build ls, a shaman that answers something else, and the API's
// edges as the real shaman answers them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { request } from 'undici';
import { cli, JOB, SHAMAN, sha, status, usePool } from '../helpers/build-pool.js';

const fixture = usePool();

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
    const builds = fixture.pool.shaman.records.builds().filter((b) => b.project === 'bld');
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
    const json = JSON.parse(status(await cli(['--json', 'build', 'ls', target]), 0).stdout) as { builds: { status: string; completed: string | null }[] };
    assert.deepEqual(
      json.builds.map((b) => [b.status, b.completed === null]),
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
    const before = fixture.pool.shaman.records.builds().length;
    const bad = status(await cli(['build', 'update', 'started', `${target}/centos/9/s390x`], { env: { ...env, SHAMAN_API_KEY: 'wrong' } }), 3);
    assert.match(bad.stderr, /401/);
    assert.match(bad.stderr, /SHAMAN_API_KEY/);
    assert.ok(!bad.stderr.includes('wrong'), 'the key is never printed');
    const badJson = status(await cli(['--json', 'build', 'update', 'started', `${target}/centos/9/s390x`], { env: { ...env, SHAMAN_API_KEY: 'wrong' } }), 3);
    const doc = JSON.parse(badJson.stdout) as {
      sent: { status: string };
      answer: unknown;
      error: { kind: string; status: number; message: string; hint: string };
    };
    assert.deepEqual([doc.sent.status, doc.answer, doc.error.kind, doc.error.status], ['started', null, 'http', 401]);
    assert.match(doc.error.message, /^shaman did not record the build: .*401 Unauthorized/);
    assert.match(doc.error.hint, /SHAMAN_API_KEY/);
    const noUrl = status(await cli(['build', 'update', 'started', `${target}/centos/9/s390x`]), 2);
    assert.match(noUrl.stderr, /build url/);
    status(await cli(['build', 'update', 'finished', `${target}/centos/9/s390x`], { env }), 2);
    status(await cli(['build', 'update', 'started', 'bld/main'], { env }), 2);
    assert.equal(fixture.pool.shaman.records.builds().length, before);
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
  const post = await request(`${fixture.pool.shamanUrl}/api/builds/${P}/`, {
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
    const res = await request(fixture.pool.shamanUrl + path, {
      method: method as 'GET',
      headers: { authorization: SHAMAN, 'content-type': 'application/json' },
      body: method === 'GET' ? undefined : '{}',
    });
    await res.body.dump();
    assert.equal(res.statusCode, code, `${method} ${path}`);
    if (location) assert.equal(res.headers.location, fixture.pool.shamanUrl + location, `${method} ${path}`);
  }
});

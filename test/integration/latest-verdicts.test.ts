// "latest" and locate through the pool give "not there" (1) only when every
// place that could hold it said so (issue 20, item 4): shaman answered, and
// every node holding a candidate record answered that it has no such repo. A
// node that could not be asked (stopped, failing) or shaman out of reach makes
// the verdict "could not tell" (3), naming the node and why.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { request } from 'undici';
import { built, cli, SHAMAN, sha, status, upload, usePool } from '../helpers/build-pool.js';
import { refusingPort } from '../helpers/misbehaving-server.js';

const fixture = usePool();

/** A ready record in shaman for a repo on `nodeUrl`, whatever is there: a stopped node's, say. */
async function record(project: string, sha1: string, distroVersion: string, nodeUrl: string): Promise<void> {
  const [distro, version] = distroVersion.split('/');
  const repo = `${project}/main/${sha1}/${distro}/${version}/flavors/default/`;
  const res = await request(`${fixture.pool.shamanUrl}/api/repos/${project}/`, {
    method: 'POST',
    headers: { authorization: SHAMAN, 'content-type': 'application/json' },
    body: JSON.stringify({
      ref: 'main',
      sha1,
      distro,
      distro_version: version,
      flavor: 'default',
      archs: ['x86_64'],
      status: 'ready',
      extra: {},
      chacra_url: `${nodeUrl}/repos/${repo}`,
      url: `${nodeUrl}/r/${repo}`,
    }),
  });
  await res.body.dump();
  assert.equal(res.statusCode, 200);
}

const run = (args: string[], env?: Record<string, string>) => cli(['--retries', '0', ...args], env ? { env } : {});

describe('latest and locate: a node that could not be asked is no verdict', { concurrency: false }, () => {
  const A = sha('a');

  test('the only candidate sits on a failing node: exists and repo file say "could not tell" (3), naming the node', async () => {
    await upload(0, `lv/main/${A}/centos/9/x86_64`, 'a.rpm');
    await built(0, `lv/main/${A}/centos/9`);
    const node = fixture.pool.nodes[0]!;
    // Sanity: with the node answering, latest finds it.
    status(await run(['exists', 'repos/lv/main/latest/centos/9']), 0);
    node.faults.add({ path: '^/(repos|binaries)/lv/', action: { kind: 'status', status: 503 } });
    try {
      for (const args of [
        ['exists', 'repos/lv/main/latest/centos/9'],
        ['exists', 'binaries/lv/main/latest/centos/9/x86_64/a.rpm'],
        ['repo', 'file', 'lv/main/latest/centos/9'],
      ]) {
        const r = status(await run(args), 3);
        assert.equal(r.stdout, '', `${args.join(' ')}: nothing on stdout`);
        assert.doesNotMatch(r.stderr, /does not exist|no ready repo/, r.stderr);
        assert.ok(r.stderr.includes(`could not tell`) && r.stderr.includes(`${fixture.pool.nodeUrls[0]}/: answered 503`), r.stderr);
      }
      const json = status(await run(['--json', 'exists', 'repos/lv/main/latest/centos/9']), 3);
      const doc = JSON.parse(json.stdout) as { exitCode: number; error: { kind: string; status: number } };
      assert.equal(doc.exitCode, 3);
      assert.equal(doc.error.status, 503);
    } finally {
      node.faults.clear();
    }
  });

  test('a candidate on a stopped node: 3 with its reason; locate too, one look and a wait', async () => {
    const stopped = `http://127.0.0.1:${await refusingPort()}`;
    const B = sha('b');
    await record('lv', B, 'rocky/10', stopped);
    const exists = status(await run(['exists', 'repos/lv/main/latest/rocky/10']), 3);
    assert.match(exists.stderr, new RegExp(`could not tell .*${stopped.replace(/[.]/g, '\\.')}/: connection refused`));
    status(await run(['repo', 'file', 'lv/main/latest/rocky/10']), 3);
    const look = status(await run(['locate', 'lv', '--sha1', B, '--distros', 'rocky/10', '--wait', '--timeout', '0']), 3);
    assert.equal(look.stdout, '');
    assert.match(look.stderr, /could not tell whether rocky\/10 has a repo: a node of the pool could not be asked/);
    const wait = status(await run(['locate', 'lv', '--sha1', B, '--distros', 'rocky/10', '--wait', '--interval', '50ms', '--timeout', '300ms']), 3);
    assert.match(wait.stderr, /still missing after/);
    assert.match(wait.stderr, /could not tell whether rocky\/10 has a repo/);
    const json = JSON.parse(status(await run(['--json', 'locate', 'lv', '--sha1', B, '--distros', 'rocky/10', '--wait', '--timeout', '0']), 3).stdout) as {
      ok: boolean;
      error: { kind: string; network: string };
    };
    assert.equal(json.error.kind, 'network');
    assert.equal(json.error.network, 'refused');
  });

  test('a newer candidate on a stopped node is passed over, and said: the older one that answers is latest', async () => {
    const stopped = `http://127.0.0.1:${await refusingPort()}`;
    await record('lv', sha('d'), 'centos/9', stopped);
    const r = status(await run(['repo', 'file', 'lv/main/latest/centos/9']), 0);
    assert.ok(r.stdout.includes(`/r/lv/main/${A}/centos/9/`), r.stdout);
    assert.ok(r.stderr.includes(`passed over a newer ready repo on ${stopped}/, which could not be asked: connection refused`), r.stderr);
  });

  test('every node asked answered "no such repo": then it does not exist (1)', async () => {
    const C = sha('c');
    // A record that outlived its repo on a live node: the node answers 404.
    await record('lv', C, 'ubuntu/jammy', fixture.pool.nodeUrls[1]!);
    const r = status(await run(['exists', 'repos/lv/main/latest/ubuntu/jammy']), 1);
    assert.match(r.stdout, /does not exist/);
    status(await run(['repo', 'file', 'lv/main/latest/ubuntu/jammy']), 1);
    status(await run(['locate', 'lv', '--sha1', C, '--distros', 'ubuntu/jammy', '--wait', '--timeout', '0']), 1);
  });

  test('shaman out of reach: exists with latest is 3, not "does not exist"', async () => {
    const gone = `http://127.0.0.1:${await refusingPort()}`;
    const r = status(await run(['exists', 'repos/lv/main/latest/centos/9'], { CHACRA_SHAMAN_URL: gone }), 3);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /could not tell/);
    status(await run(['repo', 'file', 'lv/main/latest/centos/9'], { CHACRA_SHAMAN_URL: gone }), 3);
  });
});

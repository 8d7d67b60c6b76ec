// repo wait's --timeout holds inside a poll: a request in flight at the
// deadline is given up there, not after the transport's own tries (issue 20,
// item 2: "repo wait --timeout 10s took 123 s"). What the end says depends on
// what the server said before: "not ready" until the deadline is the wait's
// timeout (1); no answer at all is no verdict (3). The server here drips its
// headers a byte a second, so that neither its silence nor its headers' bound
// (30 s while waiting) ends a poll before the wait's deadline does.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli, tempDir, type TempDir } from '../helpers/env.js';
import { type Misbehaviour, type MisbehavingServer, startMisbehavingServer } from '../helpers/misbehaving-server.js';

const R = 'ceph/main/s1/centos/9';

const notReady = {
  project_name: 'ceph',
  ref: 'main',
  sha1: 's1',
  distro: 'centos',
  distro_version: '9',
  flavor: 'default',
  type: 'rpm',
  archs: ['x86_64'],
  path: null,
  size: 0,
  signed: false,
  needs_update: true,
  is_queued: false,
  is_updating: false,
  modified: '2026-12-05T00:00:00.000000',
  extra: {},
};

let home: TempDir;
const servers: MisbehavingServer[] = [];

before(() => {
  home = tempDir();
});

after(async () => {
  for (const s of servers) await s.close();
  home.cleanup();
});

/** A server that answers the first `answered` requests as chacra would (a repo not ready), then drips its headers for ever. */
async function answersThenStalls(answered: number): Promise<MisbehavingServer> {
  const server = await startMisbehavingServer({
    behaviour: ({ index }): Misbehaviour => (index < answered ? { json: notReady } : 'slow-headers'),
    dripMs: 1000,
  });
  servers.push(server);
  return server;
}

const cli = (server: MisbehavingServer, args: string[]) =>
  runCli(['--retries', '0', ...args], {
    home: home.path,
    env: { CHACRA_URL: server.url, CHACRA_USER: 'admin', CHACRA_KEY: 'secret' },
    timeoutMs: 30_000,
  });

describe('a wait whose server stalls', () => {
  test('repo wait: never answered, no verdict (3), the deadline named', async () => {
    const server = await answersThenStalls(0);
    const r = await cli(server, ['repo', 'wait', '--timeout', '1s', '--interval', '50ms', R]);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /no answer within the wait's 1 s: the repo was never seen/);
    assert.match(r.stderr, /hint: whether it is ready is unknown: is the server up\? raise --timeout if it is only slow/);
    assert.doesNotMatch(r.stderr, /interrupted|internal error/);
    assert.equal(server.requests.length, 1, 'one poll, cut at the deadline');
  });

  test('repo wait: answered "not ready", then stalled: the wait timed out (1), with the last state', async () => {
    const server = await answersThenStalls(1);
    const r = await cli(server, ['repo', 'wait', '--timeout', '1s', '--interval', '50ms', R]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /ceph\/main\/s1\/centos\/9 was not ready after 1 s; last state: requested \(the poll in flight at the deadline was given up\)/);
    assert.equal(server.requests.length, 2);
  });

  test('repo wait --json: the no-verdict document says timeout of the network', async () => {
    const server = await answersThenStalls(0);
    const r = await cli(server, ['--json', 'repo', 'wait', '--timeout', '1s', R]);
    assert.equal(r.code, 3, r.stderr);
    const doc = JSON.parse(r.stdout) as { exitCode: number; error: { kind: string; network: string } };
    assert.equal(doc.exitCode, 3);
    assert.equal(doc.error.kind, 'network');
    assert.equal(doc.error.network, 'timeout');
  });

  test('repo update --wait: the update answered, the polls stall: timed out (1)', async () => {
    // The repo's document (is it there?), the update's answer, then polls that stall.
    const server = await answersThenStalls(2);
    const r = await cli(server, ['repo', 'update', '--wait', '--timeout', '1s', '--interval', '50ms', R]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /was not ready after 1 s; last state: requested/);
    assert.deepEqual(
      server.requests.map((q) => q.method),
      ['GET', 'POST', 'GET'],
    );
  });

  test('repo update --wait: the update itself unanswered by the deadline: no verdict (3)', async () => {
    const server = await answersThenStalls(1);
    const r = await cli(server, ['repo', 'update', '--wait', '--timeout', '1s', R]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /POST \S+ failed: no answer within the wait's 1 s: whether the server took the request is unknown/);
    assert.deepEqual(
      server.requests.map((q) => q.method),
      ['GET', 'POST'],
    );
  });
});

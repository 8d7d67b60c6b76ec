// A pool of chacra nodes behind shaman, used through the built CLI with no
// chacra url: the local pool over HTTPS by default (CI), or a real shaman:
//
//   CHACRA_TEST_SHAMAN_URL=http://127.0.0.1:18200 CHACRA_TEST_CA=~/real-chacra/tls/ca.crt \
//   CHACRA_TEST_FAIL_NODE='bash ../shared/real-chacra/shaman.sh fail 18100' \
//   CHACRA_TEST_HEAL_NODE='bash ../shared/real-chacra/shaman.sh heal 18100' \
//   CHACRA_TEST_FAILED_HOST=127.0.0.1:18463 npm run test:real
//
// (shaman's user/key: CHACRA_TEST_SHAMAN_USER/KEY, default shaman/shamankey;
// the nodes': CHACRA_TEST_USER/KEY, default admin/secret.) Each run writes
// under projects of its own and deletes them.
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RunningPool } from '../../src/server/pool.js';
import { conformancePool, poolCredentials, REMOTE_SHAMAN } from '../helpers/conformance-pool.js';
import { runCli, tempDir, type CliResult, type TempDir } from '../helpers/env.js';

const REMOTE = REMOTE_SHAMAN;
const { user, key, shamanUser, shamanKey } = poolCredentials;
const run = randomBytes(3).toString('hex');
let pool: RunningPool | undefined;
let home: TempDir;
let shamanUrl: string;
let ca: string | undefined;

before(async () => {
  home = tempDir('chacractl-pool-');
  ({ pool, shamanUrl, ca } = await conformancePool(home.path));
  process.stderr.write(`# pool conformance against shaman ${shamanUrl} (${REMOTE ? 'CHACRA_TEST_SHAMAN_URL' : 'the local pool'})\n`);
});

after(async () => {
  for (const build of builds) await chacractl('repo', 'delete', '--yes', build).catch(() => undefined);
  await pool?.close();
  home.cleanup();
});

const builds: string[] = [];

function chacractl(...args: string[]): Promise<CliResult> {
  return runCli([...(ca ? ['--ca', ca] : []), ...args], {
    home: home.path,
    env: { CHACRA_SHAMAN_URL: shamanUrl, SHAMAN_API_USER: shamanUser, SHAMAN_API_KEY: shamanKey, CHACRA_USER: user, CHACRA_KEY: key },
    timeoutMs: 10 * 60_000,
  });
}

function ok(r: CliResult): CliResult {
  assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

function file(name: string, seed: string): string {
  const path = join(home.path, name);
  writeFileSync(path, `${seed}\n`.repeat(200));
  return path;
}

interface Summary {
  node: { url: string; reason: string } | null;
  counts: Record<string, number>;
}

async function upload(target: string, path: string): Promise<Summary> {
  return JSON.parse(ok(await chacractl('--json', 'binary', 'create', target, path)).stdout) as Summary;
}

function failNode(): string {
  if (pool) {
    pool.failNode(0);
    return pool.hosts[0]!;
  }
  execSync(process.env.CHACRA_TEST_FAIL_NODE!, { stdio: 'ignore' });
  return process.env.CHACRA_TEST_FAILED_HOST!;
}

async function healNode(): Promise<void> {
  if (pool) return pool.healNode(0);
  execSync(process.env.CHACRA_TEST_HEAL_NODE!, { stdio: 'ignore' });
}

const canFail = !REMOTE || (process.env.CHACRA_TEST_FAIL_NODE && process.env.CHACRA_TEST_HEAL_NODE && process.env.CHACRA_TEST_FAILED_HOST);

describe('the pool as one store', { concurrency: false }, () => {
  test('node next prints one URL, and rotates over the healthy nodes', async () => {
    const first = ok(await chacractl('node', 'next')).stdout;
    const second = ok(await chacractl('node', 'next')).stdout;
    assert.match(first, /^https:\/\/[^/\s]+\/\n$/);
    assert.notEqual(first, second);
    const ls = (JSON.parse(ok(await chacractl('--json', 'node', 'ls')).stdout) as { nodes: { url: string; healthy: boolean }[] }).nodes;
    assert.ok(ls.length >= 2);
    assert.ok(ls.some((n) => `${n.url}\n` === first));
  });

  test("a build's uploads land on one node, also a second later, before shaman heard of it", async () => {
    const build = `pool${run}/main/b1/centos/9`;
    builds.push(build);
    const a = await upload(`${build}/x86_64`, file('a.rpm', 'a'));
    assert.equal(a.counts.uploaded, 1);
    assert.equal(a.node?.reason, 'next healthy node');
    const b = await upload(`${build}/aarch64`, file('b.rpm', 'b'));
    assert.equal(b.node?.url, a.node?.url);
    assert.match(b.node!.reason, /chosen for this build earlier|holds the repo/);
    // Reads find it on whichever node holds it.
    const exists = ok(await chacractl('exists', `binaries/${build}/aarch64/b.rpm`));
    assert.ok(exists.stderr.includes(a.node!.url), exists.stderr);
  });

  test('locate --sha1 latest --ready finds the built repo on its node', async () => {
    const build = builds[0]!;
    ok(await chacractl('--timeout', '5m', '--interval', '1s', 'repo', 'wait', build));
    const found = (
      JSON.parse(ok(await chacractl('--json', 'locate', `pool${run}`, '--sha1', 'latest', '--ready', '--distros', 'centos/9')).stdout) as {
        repos: { node: string; status: string; sha1: string }[];
      }
    ).repos;
    assert.equal(found[0]?.sha1, 'b1');
    assert.equal(found[0]?.status, 'ready');
    const none = await chacractl('locate', `pool${run}`, '--sha1', 'nope');
    assert.equal(none.code, 1);
  });

  test('with a node failing its health check, nothing is sent to it and the run exits 0', {
    skip: !canFail && 'set CHACRA_TEST_FAIL_NODE, _HEAL_NODE, _FAILED_HOST',
  }, async () => {
    const failed = failNode();
    try {
      for (const i of [2, 3]) {
        const build = `pool${run}/main/b${i}/centos/9`;
        builds.push(build);
        const s = await upload(`${build}/x86_64`, file(`c${i}.rpm`, `c${i}`));
        assert.equal(s.counts.uploaded, 1);
        assert.notEqual(new URL(s.node!.url).host, failed);
      }
    } finally {
      await healNode();
    }
  });

  test("no healthy node: exit 3 with shaman's reason", { skip: REMOTE !== undefined && 'needs the local pool' }, async () => {
    pool!.failNode(0);
    pool!.failNode(1);
    try {
      // shaman marks a node down after three failed checks; until then next falls through.
      let r = await chacractl('node', 'next');
      for (let i = 0; i < 8 && r.code === 0; i++) r = await chacractl('node', 'next');
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /There are no healthy chacra nodes available/);
    } finally {
      await pool!.healNode(0);
      await pool!.healNode(1);
    }
  });

  test("shaman's key never goes to a node, the nodes' key never to shaman", { skip: REMOTE !== undefined && 'needs the local pool' }, () => {
    const basic = (u: string, k: string) => `Basic ${Buffer.from(`${u}:${k}`).toString('base64')}`;
    for (const node of pool!.nodes) assert.ok(!node.stats.authorizations.has(basic(shamanUser, shamanKey)));
    assert.ok(!pool!.shaman.stats.authorizations.has(basic(user, key)));
    assert.ok(
      pool!.nodes.some((n) => n.stats.authorizations.has(basic(user, key))),
      'the nodes did get their own',
    );
  });
});

// The pool's verdicts, from the built chacractl against a local pool whose
// nodes serve HTTPS: "not there" only when every node said so, "could not
// tell" (3) naming the node and why when one could not be asked, ls as the
// union over the nodes, and a TLS failure that stops a write at once.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { startPool, type RunningPool } from '../../src/server/pool.js';
import { makeCertificates, runCli, tempDir, type TempDir, writeFiles } from '../helpers/env.js';

let pool: RunningPool;
let dir: TempDir;
let home: TempDir;
let ca: string;

before(async () => {
  dir = tempDir('pool-verdicts-');
  home = tempDir();
  const certs = makeCertificates(dir.path);
  ca = certs.ca;
  pool = await startPool({
    dataDir: dir.path,
    nodes: 2,
    tls: { cert: readFileSync(certs.cert), key: readFileSync(certs.key), ca: readFileSync(certs.ca) },
    healthCheckDelayMs: 1,
    repoStepMs: 600_000,
    callbackRetryDelayMs: 10,
  });
  writeFiles(home.path, { 'a.rpm': 10, 'b.rpm': 20 });
});

after(async () => {
  await pool?.close();
  dir.cleanup();
  home.cleanup();
});

const env = () => ({
  CHACRA_SHAMAN_URL: pool.shamanUrl,
  SHAMAN_API_USER: 'shaman',
  SHAMAN_API_KEY: 'shamankey',
  CHACRA_USER: 'admin',
  CHACRA_KEY: 'secret',
  XDG_STATE_HOME: home.path,
});
const pooled = (args: string[]) => runCli(['--retries', '0', ...args], { home: home.path, env: env() });
const onNode = (i: number, args: string[]) =>
  runCli(['--ca', ca, '--url', pool.nodeUrls[i]!, ...args], { home: home.path, env: { CHACRA_USER: 'admin', CHACRA_KEY: 'secret' } });

test("without the nodes' CA: no verdict (3), each node named with its TLS failure, and the --ca hint", async () => {
  for (const args of [['exists', 'binaries/ceph'], ['ls'], ['ls', 'ceph/main']]) {
    const r = await pooled(args);
    assert.equal(r.code, 3, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '', 'no verdict printed');
    assert.match(r.stderr, /could not tell/);
    for (const node of pool.nodeUrls) assert.match(r.stderr, new RegExp(`${node}/: TLS certificate check failed`), r.stderr);
    assert.match(r.stderr, /hint: pass --ca/);
  }
});

test('without the CA, a write stops at the first node: every node would fail alike', async () => {
  const r = await pooled(['binary', 'create', 'ceph/main/tls1/centos/9/x86_64', 'a.rpm']);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /TLS certificate check failed/);
  assert.match(r.stderr, /hint: pass --ca/);
  assert.doesNotMatch(r.stderr, /leaving node/, 'no failover');
});

test('ls through the pool is the union over the nodes, and says which node holds what', async () => {
  assert.equal((await onNode(0, ['binary', 'create', 'ceph/main/sha0/centos/9/x86_64', 'a.rpm'])).code, 0);
  assert.equal((await onNode(1, ['binary', 'create', 'ceph/main/sha1/centos/9/x86_64', 'b.rpm'])).code, 0);
  const [n0, n1] = pool.nodeUrls.map((u) => `${u}/`) as [string, string];
  const plain = await pooled(['--ca', ca, 'ls', 'ceph/main']);
  assert.equal(plain.code, 0, plain.stderr);
  assert.deepEqual(plain.stdout.trim().split('\n'), ['sha0', 'sha1']);
  const long = await pooled(['--ca', ca, 'ls', '--long', 'ceph/main']);
  assert.deepEqual(long.stdout.trim().split('\n'), [`sha0  ${n0}`, `sha1  ${n1}`]);
  const json = await pooled(['--ca', ca, '--json', 'ls', 'ceph/main']);
  const { path, listing, nodes } = JSON.parse(json.stdout) as Record<string, unknown>;
  assert.deepEqual(
    { path, listing, nodes },
    { path: 'binaries/ceph/main', listing: { sha0: ['centos'], sha1: ['centos'] }, nodes: { sha0: [n0], sha1: [n1] } },
  );
  const binaries = await pooled(['--ca', ca, 'ls', '--long', 'ceph/main/sha1/centos/9/x86_64']);
  assert.equal(binaries.stdout, `b.rpm  ${n1}\n`);
});

test('exists through the pool: 0 where one node has it, 1 only when every node answered that it has not', async () => {
  const found = await pooled(['--ca', ca, 'exists', 'binaries/ceph/main/sha1/centos/9/x86_64/b.rpm']);
  assert.equal(found.code, 0, found.stderr);
  const absent = await pooled(['--ca', ca, 'exists', 'binaries/ceph/main/nosuch/centos/9/x86_64']);
  assert.equal(absent.code, 1, absent.stderr);
  assert.match(absent.stdout, /does not exist/);
  const ls = await pooled(['--ca', ca, 'ls', 'ceph/main/nosuch']);
  assert.equal(ls.code, 1, ls.stderr);
});

test('ls of a binary shows its metadata, never its bytes', async () => {
  const r = await pooled(['--ca', ca, 'ls', 'ceph/main/sha0/centos/9/x86_64/a.rpm']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^name\s+a\.rpm$/m);
  assert.match(r.stdout, /^size\s+10$/m);
  assert.doesNotMatch(r.stdout, /aaaaaaaaaa/);
});

test('a write that fails over until no node is left names each node and why it failed', async () => {
  for (const node of pool.nodes) node.faults.add({ method: 'POST', action: { kind: 'reset' } });
  try {
    const r = await pooled(['--ca', ca, 'binary', 'create', 'ceph/main/failover/centos/9/x86_64', 'a.rpm']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /every node shaman handed out failed in this run/);
    for (const node of pool.nodeUrls)
      assert.match(r.stderr, new RegExp(`${node}/: POST ${node}/binaries/ceph/main/failover/\\S+ failed: the connection was closed by the server`), r.stderr);
  } finally {
    for (const node of pool.nodes) node.faults.clear();
  }
});

test('a node that cannot be asked leaves "not there" open: 3, naming the node and why', async () => {
  await pool.nodes[1]!.close();
  const absent = await pooled(['--ca', ca, 'exists', 'binaries/ceph/main/nosuch/centos/9/x86_64']);
  assert.equal(absent.code, 3, absent.stderr);
  assert.match(
    absent.stderr,
    new RegExp(
      `could not tell whether binaries/ceph/main/nosuch/centos/9/x86_64 exists: a node of the pool could not be asked \\(${pool.nodeUrls[1]}/: connection refused`,
    ),
  );
  assert.equal(absent.stdout, '');
  // What a node that answers holds is still a verdict.
  assert.equal((await pooled(['--ca', ca, 'exists', 'binaries/ceph/main/sha0/centos/9/x86_64/a.rpm'])).code, 0);
  const ls = await pooled(['--ca', ca, 'ls', 'ceph/main']);
  assert.equal(ls.code, 3, 'the union would miss what the node holds');
});

// The local pool (startPool, serve --pool): shaman's rotation and health
// checks, the nodes' status callbacks, and the process that serves them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { request } from 'undici';
import { startServer } from '../../src/server/index.js';
import { startPool, type PoolOptions, type RunningPool } from '../../src/server/pool.js';
import { CLI, runCli, tempDir } from '../helpers/env.js';

const SHAMAN = `Basic ${Buffer.from('shaman:shamankey').toString('base64')}`;
const ADMIN = `Basic ${Buffer.from('admin:secret').toString('base64')}`;

/** A pool on a temporary directory, closed and removed after `body`. */
async function withPool(options: Partial<PoolOptions>, body: (pool: RunningPool) => Promise<void>): Promise<void> {
  const dir = tempDir('pool-test-');
  const pool = await startPool({ dataDir: dir.path, healthCheckDelayMs: 1, repoStepMs: 600_000, callbackRetryDelayMs: 10, ...options });
  try {
    await body(pool);
  } finally {
    await pool.close();
    dir.cleanup();
  }
}

async function call(url: string, init: { method?: string; auth?: string; body?: string } = {}) {
  const res = await request(url, {
    method: (init.method ?? 'GET') as 'GET',
    headers: { ...(init.auth ? { authorization: init.auth } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}) },
    body: init.body,
  });
  return { status: res.statusCode, type: String(res.headers['content-type'] ?? ''), text: await res.body.text() };
}

const next = async (pool: RunningPool) => {
  const r = await call(`${pool.shamanUrl}/api/nodes/next/`, { auth: SHAMAN });
  return r.status === 200 ? pool.nodeUrls.indexOf(r.text.replace(/\/$/, '')) : r.status;
};

async function upload(pool: RunningPool, node: number, target: string, name: string): Promise<number> {
  const boundary = 'pool-test-boundary';
  const body = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n\r\n${name}\r\n--${boundary}--\r\n`;
  const res = await request(`${pool.nodes[node]!.url}/binaries/${target}/`, {
    method: 'POST',
    headers: { authorization: ADMIN, 'content-type': `multipart/form-data; boundary=${boundary}` },
    body,
  });
  await res.body.dump();
  return res.statusCode;
}

test('next rotates through the nodes by least recent use, checking each one it answers', async () => {
  await withPool({ nodes: 3 }, async (pool) => {
    assert.deepEqual(Object.keys(pool.shaman.nodes()), pool.hosts);
    const checks = pool.shaman.stats.nodes.healthChecks;
    assert.deepEqual([await next(pool), await next(pool), await next(pool), await next(pool)], [0, 1, 2, 0]);
    assert.equal(pool.shaman.stats.nodes.healthChecks - checks, 4);
    const r = await call(`${pool.shamanUrl}/api/nodes/next`, { method: 'POST', auth: SHAMAN });
    assert.equal(r.text, `${pool.nodeUrls[1]}/`, 'any method, no trailing slash needed, no newline');
    assert.match(r.type, /^text\/plain/);
    for (const node of Object.values(pool.shaman.nodes())) assert.match(node.last_used, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    assert.equal((await call(`${pool.shamanUrl}/api/nodes/next/`)).status, 401);
  });
});

test('a node failing mid-rotation: down_count, fall-through, down after 3, never checked again until registered', async () => {
  await withPool({ nodes: 2 }, async (pool) => {
    const [a, b] = pool.hosts as [string, string];
    assert.deepEqual([await next(pool), await next(pool)], [0, 1]);
    pool.failNode(0);
    const checks = () => pool.shaman.stats.nodes.healthChecks;
    let before = checks();
    assert.equal(await next(pool), 1, 'A fails its check, B answers');
    assert.equal(checks() - before, 2);
    assert.deepEqual([pool.shaman.nodes()[a]!.down_count, pool.shaman.nodes()[a]!.healthy], [1, true]);
    assert.deepEqual([await next(pool), await next(pool)], [1, 1]);
    assert.deepEqual([pool.shaman.nodes()[a]!.down_count, pool.shaman.nodes()[a]!.healthy], [3, false]);
    pool.nodes[0]!.setHealthy(true);
    before = checks();
    assert.deepEqual([await next(pool), await next(pool)], [1, 1], 'a node marked down stays out, healthy or not');
    assert.equal(checks() - before, 2, 'only B is checked');
    assert.equal(pool.shaman.nodes()[b]!.down_count, 0);
    await pool.register(0);
    assert.deepEqual([pool.shaman.nodes()[a]!.down_count, pool.shaman.nodes()[a]!.healthy], [0, true]);
    assert.equal(await next(pool), 0, 'back, and first in line');
  });
});

test('no healthy node: 404 with the detail; healNode registers every node again', async () => {
  await withPool({ nodes: 2 }, async (pool) => {
    pool.failNode(0);
    pool.failNode(1);
    const r = await call(`${pool.shamanUrl}/api/nodes/next/`, { auth: SHAMAN });
    assert.equal(r.status, 404);
    assert.match(r.text, /<title>404 Not Found<\/title>[\s\S]*There are no healthy chacra nodes available\./);
    assert.equal(pool.shaman.stats.nodes.nextNone, 1);
    await pool.healNode(0);
    assert.deepEqual(
      Object.values(pool.shaman.nodes()).map((n) => n.healthy),
      [true, false],
      'the registration of the still failing node takes it out at once',
    );
    assert.equal(await next(pool), 0);
  });
});

test('callbacks reach shaman as a repo is built, rebuilt and deleted; an upload alone sends none', async () => {
  await withPool({ nodes: 2 }, async (pool) => {
    const node = pool.nodes[1]!;
    const target = 'ceph/main/abc123/ubuntu/jammy/amd64';
    assert.equal(await upload(pool, 1, target, 'ceph_1.0_amd64.deb'), 201);
    await node.callbacks!.idle();
    assert.deepEqual(pool.shaman.stats.callbacks, {});
    node.worker.start(5);
    await pool.shaman.waitFor(() => pool.shaman.records.repos()[0]?.status === 'ready');
    assert.deepEqual(pool.shaman.stats.callbacks, { queued: 1, building: 1, ready: 1 });
    const [repo] = JSON.parse((await call(`${pool.shamanUrl}/api/search/?project=ceph&distros=ubuntu/22.04`)).text);
    assert.equal(repo.chacra_url, `${pool.nodeUrls[1]}/repos/ceph/main/abc123/ubuntu/jammy/flavors/default/`);
    assert.equal(repo.url, `${pool.nodeUrls[1]}/r/ceph/main/abc123/ubuntu/jammy/flavors/default/`);
    assert.deepEqual([repo.distro_version, repo.distro_codename, repo.archs], ['22.04', 'jammy', ['amd64']]);
    const file = await call(`${pool.shamanUrl}/api/repos/ceph/main/latest/ubuntu/jammy/repo`);
    assert.equal(file.status, 302);

    node.worker.stop();
    const update = await call(`${node.url}/repos/ceph/main/abc123/ubuntu/jammy/update/`, { method: 'POST', auth: ADMIN });
    assert.equal(update.status, 200);
    await node.callbacks!.idle();
    assert.equal(pool.shaman.records.repos()[0]?.status, 'requested');
    node.worker.drain();
    await node.callbacks!.idle();
    assert.equal(pool.shaman.records.repos()[0]?.status, 'ready');

    const del = await call(`${node.url}/binaries/${target}/ceph_1.0_amd64.deb`, { method: 'DELETE', auth: ADMIN });
    assert.equal(del.status, 204);
    await pool.shaman.waitFor(() => pool.shaman.records.repos().length === 0);
    assert.deepEqual(pool.shaman.stats.callbacks, { queued: 2, building: 2, ready: 2, requested: 1, deleted: 1 });
    assert.equal((await call(`${pool.shamanUrl}/api/search/?project=ceph`)).text, '[]');
    assert.equal((await call(`${pool.shamanUrl}/api/`)).text, '{"repos": ["ceph"]}', 'projects stay');
    assert.equal(pool.nodes[0]!.callbacks!.stats.failed + node.callbacks!.stats.failed, 0);
  });
});

/** A port where nothing listens. */
function deadPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

test('a node whose shaman is down gives its callbacks up after the retries and goes on serving', async () => {
  const dir = tempDir('pool-test-');
  const node = await startServer({
    dataDir: dir.path,
    repoStepMs: 0,
    callback: { url: `http://127.0.0.1:${await deadPort()}/api/repos/`, user: 'shaman', key: 'shamankey', retries: 2, retryDelayMs: 1 },
  });
  try {
    const boundary = 'b';
    const res = await request(`${node.url}/binaries/p/main/s/centos/9/x86_64/`, {
      method: 'POST',
      headers: { authorization: ADMIN, 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.rpm"\r\n\r\nx\r\n--${boundary}--\r\n`,
    });
    await res.body.dump();
    node.worker.drain();
    await node.callbacks!.idle();
    assert.deepEqual(node.callbacks!.stats, { sent: {}, failed: 3, failedAttempts: 9 });
    assert.equal((await call(`${node.url}/repos/p/main/s/centos/9/`)).status, 200);
  } finally {
    await node.close();
    dir.cleanup();
  }
});

test('shaman quirks: 401 without a challenge, 405 on DELETE, 500 on a POST without the slash, 400 on unknown search keys', async () => {
  await withPool({ nodes: 1 }, async (pool) => {
    const host = pool.hosts[0]!;
    const res = await request(`${pool.shamanUrl}/api/nodes/next/`);
    await res.body.dump();
    assert.equal(res.statusCode, 401);
    assert.equal(res.headers['www-authenticate'], undefined);
    assert.equal((await call(`${pool.shamanUrl}/api/nodes/${host}/`, { method: 'DELETE', auth: SHAMAN })).status, 405);
    assert.equal((await call(`${pool.shamanUrl}/api/nodes/${host}`, { method: 'POST', auth: SHAMAN })).status, 500);
    assert.equal((await call(`${pool.shamanUrl}/api/search/?arch=x86_64`)).status, 400);
    assert.equal((await call(`${pool.shamanUrl}/api/search/?distros=`)).status, 400);
    // debian/12 and ubuntu/24.04 are not in shaman's map; their codenames are.
    const repo = (distro: string, version: string) =>
      JSON.stringify({
        ref: 'main',
        sha1: 's',
        flavor: 'default',
        distro,
        distro_version: version,
        archs: ['amd64'],
        status: 'ready',
        chacra_url: `http://${host}/repos/p/main/s/${distro}/${version}/flavors/default/`,
        url: `http://${host}/r/p/main/s/${distro}/${version}/flavors/default/`,
      });
    assert.equal((await call(`${pool.shamanUrl}/api/repos/p/`, { method: 'POST', auth: SHAMAN, body: repo('debian', 'bookworm') })).status, 200);
    assert.equal((await call(`${pool.shamanUrl}/api/search/?distros=debian/12`)).text, '[]');
    const [found] = JSON.parse((await call(`${pool.shamanUrl}/api/search/?distros=debian/bookworm`)).text);
    assert.deepEqual([found.distro_version, found.distro_codename], [null, 'bookworm']);
    assert.equal((await call(`${pool.shamanUrl}/api/repos/p/`, { method: 'POST', auth: SHAMAN, body: '{' })).status, 500);
  });
});

test('serve --pool 2 prints the shaman URL and the nodes, serves them, and stops cleanly on SIGTERM', { timeout: 60_000 }, async () => {
  const home = tempDir();
  const data = join(home.path, 'data');
  const args = ['serve', '--pool', '2', '--port', '0', '--data', data, '--health-delay', '10ms', '--shaman-user', 'sh', '--shaman-key', 'k'];
  const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, HOME: home.path }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  try {
    const urls = await new Promise<string[]>((resolve, reject) => {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const lines = out.split('\n');
        if (lines.length > 3) resolve(lines.slice(0, 3));
      });
      closed.then((code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
    });
    const [shaman, ...nodes] = urls as [string, string, string];
    for (const u of urls) assert.match(u, /^http:\/\/127\.0\.0\.1:\d+$/);
    const registered = JSON.parse((await call(`${shaman}/api/nodes/`)).text);
    assert.deepEqual(
      Object.keys(registered),
      nodes.map((u) => u.slice('http://'.length)),
    );
    const auth = `Basic ${Buffer.from('sh:k').toString('base64')}`;
    assert.equal((await call(`${shaman}/api/nodes/next/`, { auth })).text, `${nodes[0]}/`);
    assert.equal((await call(`${nodes[1]}/health/`)).status, 204);
    assert.ok(existsSync(join(data, 'node-1')) && existsSync(join(data, 'node-2')));
    child.kill('SIGTERM');
    assert.equal(await closed, 0, `a clean stop, as serve without --pool: ${stderr}`);
    assert.match(stderr, /shaman and its nodes stopped/);
    const misuse = await runCli(['serve', '--health-delay', '1s'], { home: home.path });
    assert.equal(misuse.code, 2);
    assert.match(misuse.stderr, /--health-delay goes with --pool/);
    assert.equal((await runCli(['serve', '--pool', '0'], { home: home.path })).code, 2);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await closed;
    home.cleanup();
  }
});

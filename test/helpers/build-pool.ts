// The local pool of the build pipeline's tests (shaman and two chacra nodes,
// as `serve --pool` runs them) and what the tests do to it: uploads straight
// to a node, a node's worker drained so that its repos turn ready when the
// test says so, a record shaman keeps for a repo no node holds, and the built
// CLI run against it.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before } from 'node:test';
import { request } from 'undici';
import { startPool, type RunningPool } from '../../src/server/pool.js';
import { runCli, tempDir, type CliResult, type TempDir } from './env.js';

export const SHAMAN = `Basic ${Buffer.from('shaman:shamankey').toString('base64')}`;
export const ADMIN = `Basic ${Buffer.from('admin:secret').toString('base64')}`;
export const sha = (c: string) => c.repeat(40);
export const JOB = 'https://jenkins.example/job/ceph-dev-build/ARCH=x86_64,DIST=centos9/42/';

let current: RunningPool | undefined;
let home: TempDir | undefined;

/** Starts the pool before the file's tests and removes it after them; the pool of the running tests. */
export function usePool(): { readonly pool: RunningPool } {
  before(async () => {
    home = tempDir('build-pipeline-');
    current = await startPool({ dataDir: home.path, nodes: 2, healthCheckDelayMs: 1, repoStepMs: 600_000, callbackRetryDelayMs: 10 });
  });
  after(async () => {
    await current?.close();
    home?.cleanup();
  });
  return {
    get pool() {
      return pool();
    },
  };
}

function pool(): RunningPool {
  assert.ok(current, 'the pool runs only inside the tests');
  return current;
}

export function cli(args: string[], options: { env?: Record<string, string>; onSpawn?: (child: ChildProcess) => void } = {}): Promise<CliResult> {
  return runCli(args, {
    home: home!.path,
    env: {
      CHACRA_SHAMAN_URL: pool().shamanUrl,
      SHAMAN_API_USER: 'shaman',
      SHAMAN_API_KEY: 'shamankey',
      CHACRA_USER: 'admin',
      CHACRA_KEY: 'secret',
      ...options.env,
    },
    onSpawn: options.onSpawn,
  });
}

export function status(r: CliResult, code: number): CliResult {
  assert.equal(r.code, code, `exit ${r.code}, not ${code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/** An upload straight to node i, as a build job whose node shaman handed out. */
export async function upload(node: number, target: string, name: string): Promise<void> {
  const boundary = 'build-pipeline-boundary';
  const res = await request(`${pool().nodeUrls[node]}/binaries/${target}/`, {
    method: 'POST',
    headers: { authorization: ADMIN, 'content-type': `multipart/form-data; boundary=${boundary}` },
    body: `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n\r\n${name}\r\n--${boundary}--\r\n`,
  });
  await res.body.dump();
  assert.equal(res.statusCode, 201, `upload of ${name} to node ${node}`);
}

/** Node i builds its repos, and shaman has `repo` (P/REF/SHA1/DISTRO/VERSION) of that node as ready. */
export async function built(node: number, repo: string): Promise<void> {
  const p = pool();
  p.nodes[node]!.worker.drain();
  await p.nodes[node]!.callbacks!.idle();
  const chacraUrl = `${p.nodeUrls[node]}/repos/${repo}/flavors/default/`;
  await p.shaman.waitFor(() => p.shaman.records.repos().some((r) => r.chacraUrl === chacraUrl && r.status === 'ready'), 10_000);
}

/** A record shaman keeps for a repo no node holds: what a rotated node leaves behind. */
export async function staleRecord(node: number, repo: string, arch: string): Promise<void> {
  const [project, ref, sha1, distro, version] = repo.split('/');
  const nodeUrl = pool().nodeUrls[node];
  const res = await request(`${pool().shamanUrl}/api/repos/${project}/`, {
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
      chacra_url: `${nodeUrl}/repos/${repo}/flavors/default/`,
      url: `${nodeUrl}/r/${repo}/flavors/default/`,
    }),
  });
  await res.body.dump();
  assert.equal(res.statusCode, 200);
}

/** Resolves once the child's stderr says it is waiting: the wait has looked once and found a platform missing. */
export function waiting(): { onSpawn: (child: ChildProcess) => void; started: Promise<void> } {
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

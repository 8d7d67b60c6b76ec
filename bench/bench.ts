// npm run bench: uploads one generated set with chacractl, with a naive client
// that works as the Python chacractl does, and with 8 parallel curls, against
// the local server made as slow as a real chacra; prints wall time, requests,
// bytes read and peak memory of each, and the ratios.
//
// First, what start-up costs: chacractl exists and --version next to node -e 0 and curl -I.
//
//   npm run bench -- [--files 300] [--big 1g|0] [--delay 30ms] [--workers 4] [--https] [--pool-files 20|0] [--startup-runs 10|0]
//
// With --scale, the series of bench/scale.ts alone (1,000 to 100,000 small files: upload, rerun, download):
//
//   npm run bench -- --scale [--scale-sizes 1000,10000,100000] [--missing 200000] [--cli BUNDLE]
//
// With --url, only the big file, against that chacra, next to one curl -F (see real-server.ts):
//
//   npm run bench -- --url http://127.0.0.1:18080 --user admin --key secret [--ca FILE] [--big 1g] [--runs 5] [--target P/R/S/D/V/A] [--cli BUNDLE]
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startServer, type RunningServer } from '../src/server/index.js';
import { startPool } from '../src/server/pool.js';
import { benchRealServer } from './real-server.js';
import { benchScale } from './scale.js';
import { benchStartup } from './startup.js';

const here = dirname(fileURLToPath(import.meta.url));
// The CLI as npm installs it: the bundle of scripts/bundle.ts.
const CLI = resolve(here, '../bundle/bin/chacractl.js');
const NAIVE = resolve(here, 'naive-client.js');
const PROBE = resolve(here, 'probe.js');

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '300' },
    big: { type: 'string', default: '1g' },
    delay: { type: 'string', default: '30' },
    workers: { type: 'string', default: '4' },
    https: { type: 'boolean', default: false },
    'pool-files': { type: 'string', default: '20' },
    'health-delay': { type: 'string', default: '2000' },
    'startup-runs': { type: 'string', default: '10' },
    url: { type: 'string' },
    user: { type: 'string', default: 'admin' },
    key: { type: 'string', default: 'secret' },
    ca: { type: 'string' },
    target: { type: 'string', default: 'bigtest/main/0000000000000000000000000000000000000000/centos/9/x86_64' },
    runs: { type: 'string', default: '5' },
    // Another build's bundled CLI, to measure before and after side by side.
    cli: { type: 'string' },
    scale: { type: 'boolean', default: false },
    'scale-sizes': { type: 'string', default: '1000,10000,100000' },
    missing: { type: 'string', default: '200000' },
  },
});

function size(text: string): number {
  const m = /^(\d+)([kmg]?)$/i.exec(text);
  if (!m) throw new Error(`not a size: ${text}`);
  return Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
}

const work = mkdtempSync(join(tmpdir(), 'chacractl-bench-'));
const timeAvailable = spawnSync('/usr/bin/time', ['-f', '%M', 'true']).status === 0;
const curlAvailable = spawnSync('curl', ['--version']).status === 0;

interface Result {
  name: string;
  wallMs: number;
  requests: number;
  readBytes: number | undefined;
  maxRssKb: number | undefined;
}

/** Deterministic contents, so every client uploads the same bytes. */
function makeSmallFiles(dir: string, count: number): string[] {
  mkdirSync(dir);
  const files: string[] = [];
  let seed = createHash('sha512').update('bench').digest();
  for (let i = 0; i < count; i++) {
    seed = createHash('sha512').update(seed).digest();
    const bytes = 10_000 + (seed.readUInt32BE(0) % 30_001);
    const chunks: Buffer[] = [];
    for (let len = 0; len < bytes; len += 64) {
      seed = createHash('sha512').update(seed).digest();
      chunks.push(seed);
    }
    const path = join(dir, `ceph-bench-${String(i).padStart(4, '0')}.el9.x86_64.rpm`);
    writeFileSync(path, Buffer.concat(chunks).subarray(0, bytes));
    files.push(path);
  }
  return files;
}

function makeBigFile(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(8 * 1024 * 1024);
  for (let i = 0; i < block.length; i += 64) createHash('sha512').update(String(i)).digest().copy(block, i);
  for (let written = 0; written < bytes; written += block.length) {
    block.writeUInt32BE(written / block.length, 0); // every block differs
    writeSync(fd, block, 0, Math.min(block.length, bytes - written));
  }
  closeSync(fd);
}

/** Runs a command under GNU time for its peak memory, with the probe preloaded into Node processes. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ wallMs: number; stdout: string; maxRssKb?: number; readBytes?: number }> {
  const probeFile = join(work, `probe-${Math.random().toString(36).slice(2)}.json`);
  const timeFile = join(work, `time-${Math.random().toString(36).slice(2)}.txt`);
  const argv = timeAvailable ? ['/usr/bin/time', '-o', timeFile, '-f', '%M', command, ...args] : [command, ...args];
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env: { ...env, CHACRA_BENCH_PROBE: probeFile }, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      if (code !== 0) return reject(new Error(`${command} ${args.slice(0, 3).join(' ')}… exited ${code}`));
      let probe: { readBytes?: number; maxRssKb?: number } = {};
      try {
        probe = JSON.parse(readFileSync(probeFile, 'utf8'));
      } catch {
        // not a Node process: no probe
      }
      const maxRssKb = timeAvailable ? Number(readFileSync(timeFile, 'utf8').trim().split('\n').pop()) : probe.maxRssKb;
      resolvePromise({ wallMs, stdout, maxRssKb, readBytes: probe.readBytes });
    });
  });
}

async function measure(name: string, server: RunningServer, fn: () => Promise<{ wallMs: number; maxRssKb?: number; readBytes?: number }>): Promise<Result> {
  const before = server.stats.total;
  const r = await fn();
  return { name, wallMs: r.wallMs, requests: server.stats.total - before, readBytes: r.readBytes, maxRssKb: r.maxRssKb };
}

/** n parallel curl processes, one POST each, as a shell loop with xargs -P would run them. */
async function curlParallel(url: string, target: string, files: string[], parallel: number, extra: string[]): Promise<{ wallMs: number; maxRssKb?: number }> {
  const started = performance.now();
  let next = 0;
  let peak = 0;
  const lane = async () => {
    while (next < files.length) {
      const file = files[next++]!;
      const r = await run(
        'curl',
        ['-sS', '-f', '-o', '/dev/null', ...extra, '-u', 'admin:secret', '-F', `file=@${file}`, `${url}/binaries/${target}/`],
        process.env,
      );
      peak = Math.max(peak, r.maxRssKb ?? 0);
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
  return { wallMs: performance.now() - started, maxRssKb: peak || undefined };
}

function fmtBytes(n: number | undefined): string {
  if (n === undefined) return 'n/m';
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024).toFixed(0)} KiB`;
}

function table(title: string, rows: Result[]): void {
  console.log(`\n${title}`);
  console.log(`  ${'client'.padEnd(30)} ${'wall'.padStart(9)} ${'requests'.padStart(9)} ${'read'.padStart(11)} ${'peak RSS'.padStart(10)}`);
  for (const r of rows)
    console.log(
      `  ${r.name.padEnd(30)} ${(r.wallMs / 1000).toFixed(2).padStart(8)}s ${String(r.requests).padStart(9)} ${fmtBytes(r.readBytes).padStart(11)} ${(r.maxRssKb ? `${(r.maxRssKb / 1024).toFixed(0)} MiB` : 'n/m').padStart(10)}`,
    );
}

async function main(): Promise<void> {
  if (values.scale) {
    try {
      const sizes = values['scale-sizes']!.split(',').map(Number);
      await benchScale({ cli: values.cli ? resolve(values.cli) : CLI, work, sizes, missing: Number(values.missing), timeAvailable });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    return;
  }
  if (values.url) {
    const bytes = size(values.big!);
    const big = join(work, 'big.rpm');
    makeBigFile(big, bytes);
    try {
      const server = {
        url: values.url,
        user: values.user!,
        key: values.key!,
        ca: values.ca,
        target: values.target!,
        runs: Number(values.runs),
        cli: values.cli ? resolve(values.cli) : CLI,
        home: work,
      };
      await benchRealServer(run, server, big, bytes);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    return;
  }
  const fileCount = Number(values.files);
  const bigBytes = size(values.big!);
  const delayMs = Number(values.delay!.replace(/ms$/, ''));
  const workers = Number(values.workers);
  let tls: { cert: Buffer; key: Buffer } | undefined;
  let caFile: string | undefined;
  if (values.https) {
    const p = (n: string) => join(work, n);
    const sh = (args: string[]) => spawnSync('openssl', args, { stdio: 'ignore' });
    sh([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
      '-keyout',
      p('key.pem'),
      '-out',
      p('cert.pem'),
    ]);
    tls = { cert: readFileSync(p('cert.pem')), key: readFileSync(p('key.pem')) };
    caFile = p('cert.pem');
  }
  console.log(
    `chacractl benchmark: ${fileCount} files of 10-40 KB${bigBytes ? ` and one of ${fmtBytes(bigBytes)}` : ''}; server delay ${delayMs} ms per request, ${workers} workers, ${values.https ? 'HTTPS' : 'HTTP'}`,
  );
  const small = makeSmallFiles(join(work, 'small'), fileCount);
  const server = await startServer({ dataDir: join(work, 'data'), delayMs, workers, repoStepMs: 0, tls });
  const env = {
    ...process.env,
    CHACRA_URL: server.url,
    CHACRA_USER: 'admin',
    CHACRA_KEY: 'secret',
    HOME: work,
    ...(caFile ? { REQUESTS_CA_BUNDLE: caFile, NODE_EXTRA_CA_CERTS: caFile } : {}),
  };
  const node = (script: string, args: string[]) => run(process.execPath, ['--import', PROBE, script, ...args], env);
  const curlTls = caFile ? ['--cacert', caFile] : [];
  let t = 0;
  const target = () => `bench/main/run${++t}/centos/9/x86_64`;
  const bench: BenchRun = { server, target, node, curlTls };
  try {
    const startupRuns = Number(values['startup-runs']);
    if (startupRuns > 0) await benchStartup(run, { cli: CLI, work, runs: startupRuns, curl: curlAvailable });
    if (fileCount > 0) await benchSmallFiles(bench, small);
    if (bigBytes > 0) await benchBigFile(bench, bigBytes);
    const poolFiles = Number(values['pool-files']);
    if (poolFiles > 0) await benchPool(small.slice(0, poolFiles), { delayMs, workers, healthDelayMs: Number(values['health-delay']) });
    console.log('\n  read: bytes the process read during the run (/proc/self/io rchar: files, plus responses); n/m: not measured.');
  } finally {
    await server.close();
    rmSync(work, { recursive: true, force: true });
  }
}

interface BenchRun {
  server: RunningServer;
  /** A new upload target for each client, so none finds another's files. */
  target: () => string;
  node: (script: string, args: string[]) => ReturnType<typeof run>;
  curlTls: string[];
}

async function benchSmallFiles({ server, target, node, curlTls }: BenchRun, small: string[]): Promise<void> {
  const rows: Result[] = [];
  const first = target();
  rows.push(await measure('chacractl (-j 4, default)', server, () => node(CLI, ['binary', 'create', '-q', first, ...small])));
  rows.push(await measure('chacractl -j 8', server, () => node(CLI, ['binary', 'create', '-q', '-j', '8', target(), ...small])));
  rows.push(await measure('chacractl re-run (unchanged)', server, () => node(CLI, ['binary', 'create', '-q', '-j', '8', first, ...small])));
  rows.push(await measure('naive (as the Python client)', server, () => node(NAIVE, [server.url, target(), ...small])));
  if (curlAvailable) rows.push(await measure('8 parallel curl (no checks)', server, () => curlParallel(server.url, target(), small, 8, curlTls)));
  table(`${small.length} small files`, rows);
  const [j4, j8, , naive, curl] = rows as [Result, Result, Result, Result, Result | undefined];
  console.log('\n  ratios (lower is better for chacractl):');
  console.log(`    chacractl -j 4 / naive  ${(j4.wallMs / naive.wallMs).toFixed(2)}   (bar: <= 0.33)`);
  console.log(`    chacractl -j 8 / naive  ${(j8.wallMs / naive.wallMs).toFixed(2)}`);
  if (curl) {
    console.log(`    chacractl -j 4 / curl   ${(j4.wallMs / curl.wallMs).toFixed(2)}   (bar: <= 1.10)`);
    console.log(`    chacractl -j 8 / curl   ${(j8.wallMs / curl.wallMs).toFixed(2)}   (same parallelism as the curls)`);
  }
  console.log(`    requests for ${small.length} new files: ${j4.requests} (N + 2 = ${small.length + 2}); naive: ${naive.requests} (3N = ${3 * small.length})`);
}

async function benchBigFile({ server, target, node, curlTls }: BenchRun, bytes: number): Promise<void> {
  const big = join(work, 'big.rpm');
  makeBigFile(big, bytes);
  const rows: Result[] = [];
  rows.push(await measure('chacractl', server, () => node(CLI, ['binary', 'create', '-q', target(), big])));
  rows.push(await measure('naive (as the Python client)', server, () => node(NAIVE, [server.url, target(), big])));
  if (curlAvailable) rows.push(await measure('curl', server, () => curlParallel(server.url, target(), [big], 1, curlTls)));
  table(`one file of ${fmtBytes(bytes)}`, rows);
  const c = rows[0]!;
  console.log(
    `\n  chacractl read ${((c.readBytes ?? 0) / bytes).toFixed(3)} x the file's size; peak RSS ${((c.maxRssKb ?? 0) / 1024).toFixed(0)} MiB (bar: < 150 MiB)`,
  );
}

/**
 * What the pool behind shaman costs a run: the same upload straight to a node
 * (--url), through shaman for a new build (a search, then next with its health
 * check, ~2 s on a real pool), and for a build whose node is known (no next).
 */
async function benchPool(files: string[], { delayMs, workers, healthDelayMs }: { delayMs: number; workers: number; healthDelayMs: number }): Promise<void> {
  const pool = await startPool({ dataDir: join(work, 'pool'), nodes: 2, healthCheckDelayMs: healthDelayMs, repoStepMs: 60_000, node: { delayMs, workers } });
  try {
    const env = {
      ...process.env,
      HOME: work,
      CHACRA_USER: 'admin',
      CHACRA_KEY: 'secret',
      SHAMAN_API_USER: 'shaman',
      SHAMAN_API_KEY: 'shamankey',
      CHACRA_NODE_SCHEME: 'http',
    };
    const cli = (args: string[], extra: Record<string, string>) => run(process.execPath, ['--import', PROBE, CLI, ...args], { ...env, ...extra });
    const viaPool = { CHACRA_SHAMAN_URL: pool.shamanUrl };
    const node0 = pool.nodes[0]!;
    // Requests to every node and to shaman.
    const everywhere = {
      stats: {
        get total() {
          return pool.nodes.reduce((n, x) => n + x.stats.total, pool.shaman.stats.total);
        },
      },
    } as RunningServer;
    const rows: Result[] = [];
    let b = 0;
    const build = () => `poolbench/main/b${++b}/centos/9`;
    rows.push(
      await measure('straight to a node (--url)', everywhere, () => cli(['binary', 'create', '-q', `${build()}/x86_64`, ...files], { CHACRA_URL: node0.url })),
    );
    const known = build();
    rows.push(await measure('pool: a new build (search + next)', everywhere, () => cli(['binary', 'create', '-q', `${known}/x86_64`, ...files], viaPool)));
    rows.push(await measure('pool: same build, other arch', everywhere, () => cli(['binary', 'create', '-q', `${known}/aarch64`, ...files], viaPool)));
    rows.push(await measure('node next alone', everywhere, () => cli(['node', 'next'], viaPool)));
    table(`${files.length} small files, through the pool (2 nodes, shaman's health check ${healthDelayMs} ms)`, rows);
    const [direct, fresh, again, next] = rows as [Result, Result, Result, Result];
    console.log(`
  pool cost per run: new build +${((fresh.wallMs - direct.wallMs) / 1000).toFixed(2)} s (next alone ${(next.wallMs / 1000).toFixed(2)} s); known build +${((again.wallMs - direct.wallMs) / 1000).toFixed(2)} s`);
  } finally {
    await pool.close();
  }
}

await main();

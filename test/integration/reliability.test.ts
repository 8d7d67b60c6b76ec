// Faults injected into the local server, hostile input, interruption, load
// and secrets: the run converges or fails loudly, and never leaks the key.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { seeded } from '../../src/server/faults.js';
import { runCli, serverFixture, sha512, tempDir, testServer, until, writeFiles, type TestServer } from '../helpers/env.js';

const fixture = serverFixture();
let n = 0;

const env = (url = fixture.server.url) => ({ CHACRA_URL: url, CHACRA_USER: 'admin', CHACRA_KEY: 'secret' });
const cli = (
  args: string[],
  extra: { stdin?: string | Buffer; env?: Record<string, string | undefined>; onSpawn?: Parameters<typeof runCli>[1]['onSpawn']; timeoutMs?: number } = {},
) => runCli(args, { home: fixture.home.path, env: { ...env(), ...extra.env }, stdin: extra.stdin, onSpawn: extra.onSpawn, timeoutMs: extra.timeoutMs });
const listing = async (on: TestServer, t: string) => {
  const r = await fetch(`${on.url}/binaries/${t}/`);
  return (r.status === 404 ? {} : await r.json()) as Record<string, { checksum: string; size: number }>;
};

/** Files with distinct contents; returns their paths and the expected name -> sha512. */
function fileSet(count: number, size = (i: number) => 100 + (i % 900)): { dir: string; files: string[]; expected: Record<string, string> } {
  const dir = join(fixture.home.path, `set-${++n}`);
  mkdirSync(dir);
  const spec: Record<string, Buffer> = {};
  for (let i = 0; i < count; i++) spec[`pkg-${i}.rpm`] = Buffer.alloc(size(i), `${n}:${i}`);
  const files = writeFiles(dir, spec);
  return { dir, files, expected: Object.fromEntries(Object.entries(spec).map(([k, v]) => [k, sha512(v)])) };
}

function assertHolds(actual: Record<string, { checksum: string }>, expected: Record<string, string>): void {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
  for (const [name, sum] of Object.entries(expected)) assert.equal(actual[name]!.checksum, sum, name);
}

describe('transient faults', () => {
  test('2000 files with 5% of requests failing (5xx, resets mid-body, timeouts) all land once, right', { timeout: 120_000 }, async () => {
    const t = `conv/main/s${++n}/centos/9/x86_64`;
    const set = fileSet(2000);
    fixture.server.faults.add({ method: 'POST', fraction: 0.02, seed: 7, action: { kind: 'status', status: 502 } });
    fixture.server.faults.add({ method: 'POST', fraction: 0.01, seed: 8, action: { kind: 'status', status: 503, retryAfter: 0 } });
    fixture.server.faults.add({ method: 'POST', fraction: 0.02, seed: 9, action: { kind: 'reset', afterBytes: 120 } });
    fixture.server.faults.add({ method: 'GET', fraction: 0.05, seed: 10, action: { kind: 'delay', ms: 1500 } });
    const r = await cli(['binary', 'create', '--json', '-j', '8', '--timeout', '1s', '--retries', '5', '--retry-delay', '10ms', '-0', t], {
      stdin: set.files.join('\0'),
      timeoutMs: 110_000,
    });
    const applied = { ...fixture.server.faults.applied };
    fixture.server.faults.clear();
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.counts.uploaded, 2000);
    assertHolds(await listing(fixture.server, t), set.expected);
    const postFaults = (applied['POST status'] ?? 0) + (applied['POST reset'] ?? 0);
    assert.ok(postFaults > 40, `faults were injected (${JSON.stringify(applied)})`);
    // Each failed POST is sent again once, and only once the listing showed the server kept nothing.
    assert.equal(fixture.server.stats.byMethod.POST, 2000 + postFaults);
    const tries = doc.files.reduce((sum: number, f: { tries: number }) => sum + f.tries, 0);
    assert.equal(tries, 2000 + postFaults);
    assert.match(r.stderr, /retrying in \d+ ms|checking the server, then retrying/);
  });

  test('Retry-After is honoured, 4xx are never retried, every retry is logged with its reason', async () => {
    const t = `retry/main/s${++n}/centos/9/x86_64`;
    const set = fileSet(1);
    fixture.server.faults.add({ method: 'GET', count: 1, action: { kind: 'status', status: 429, retryAfter: 1 } });
    const r = await cli(['binary', 'create', '--retry-delay', '1ms', t, ...set.files]);
    assert.equal(r.code, 0, r.stderr);
    // The second the server asked for, not the 1 ms backoff: what the retry says it waits.
    assert.match(r.stderr, /\[INFO {3}\] retrying GET .* in 1\.0 s \(try 2 of 4\): answered 429/);

    fixture.server.faults.add({ method: 'POST', action: { kind: 'status', status: 403 } });
    fixture.server.stats.byMethod = {};
    const refused = await cli(['project', 'create', `p${++n}`]);
    assert.equal(refused.code, 3);
    assert.equal(fixture.server.stats.byMethod.POST, 1, 'a 403 is not retried');
  });

  test('time is bounded by --retries and --retry-delay when the server is gone', async () => {
    const r = await cli(['exists', '--retries', '2', '--retry-delay', '50ms', 'binaries/x'], { env: { CHACRA_URL: 'http://127.0.0.1:9' } });
    assert.equal(r.code, 3);
    // Two retries, each waiting at most its doubled backoff: 50 ms, then 100 ms.
    const waits = [...r.stderr.matchAll(/retrying .* in (\d+) ms/g)].map((m) => Number(m[1]));
    assert.equal(waits.length, 2, r.stderr);
    assert.ok(waits[0]! <= 50 && waits[1]! <= 100, `${waits}`);
  });
});

describe('server restart mid-run', () => {
  async function restartable() {
    const data = tempDir('chacra-restart-');
    const first = await testServer({ dataDir: data.path, delayMs: 20, workers: 2 });
    return { data, first, port: first.port };
  }

  test('the run finishes once the server is back, and a re-run sends nothing', async () => {
    const { data, first, port } = await restartable();
    let second: TestServer | undefined;
    try {
      const t = `restart/main/s${++n}/centos/9/x86_64`;
      const set = fileSet(60);
      const run = cli(['binary', 'create', '-j', '2', '--retries', '8', '--retry-delay', '200ms', t, ...set.files], { env: { CHACRA_URL: first.url } });
      // Gone mid-run (some files sent, most not), and down for a while, well within the retries.
      await until(() => (first.stats.byMethod.POST ?? 0) >= 5);
      await first.close();
      await new Promise((r) => setTimeout(r, 800));
      second = await testServer({ dataDir: data.path, port, delayMs: 20, workers: 2 });
      const r = await run;
      assert.equal(r.code, 0, r.stderr);
      assertHolds(await listing(second, t), set.expected);
      second.stats.byMethod = {};
      const again = await cli(['binary', 'create', t, ...set.files], { env: { CHACRA_URL: second.url } });
      assert.equal(again.code, 0);
      assert.deepEqual(second.stats.byMethod, { GET: 1 });
    } finally {
      await second?.close();
      data.cleanup();
    }
  });

  test('an outage of the listening socket (connections refused for a while) is ridden out', async () => {
    const t = `outage/main/s${++n}/centos/9/x86_64`;
    const set = fileSet(80);
    const slow = await testServer({ delayMs: 10, workers: 2 });
    try {
      const run = cli(['binary', 'create', '-j', '2', '--retries', '8', '--retry-delay', '100ms', t, ...set.files], { env: { CHACRA_URL: slow.url } });
      void until(() => (slow.stats.byMethod.POST ?? 0) >= 5).then(() => slow.outage(700));
      const r = await run;
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /connection refused|closed by the server/);
      assertHolds(await listing(slow, t), set.expected);
    } finally {
      await slow.stop();
    }
  });

  test('when it stays down: exit 3 and a message; a re-run completes the job', async () => {
    const { data, first, port } = await restartable();
    let second: TestServer | undefined;
    try {
      const t = `down/main/s${++n}/centos/9/x86_64`;
      const set = fileSet(60);
      const run = cli(['binary', 'create', '-j', '2', '--retries', '1', '--retry-delay', '20ms', t, ...set.files], { env: { CHACRA_URL: first.url } });
      await until(() => (first.stats.byMethod.POST ?? 0) >= 5);
      await first.close();
      const r = await run;
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /connection refused|closed by the server/);
      second = await testServer({ dataDir: data.path, port });
      const before = Object.keys(await listing(second, t)).length;
      const again = await cli(['binary', 'create', '--json', t, ...set.files], { env: { CHACRA_URL: second.url } });
      assert.equal(again.code, 0, again.stderr);
      assert.equal(JSON.parse(again.stdout).counts.unchanged, before, 'files verified before the outage are not sent again');
      assertHolds(await listing(second, t), set.expected);
    } finally {
      await second?.close();
      data.cleanup();
    }
  });
});

describe('interruption at random moments', () => {
  test('SIGINT or SIGTERM, then a re-run: the server holds what a clean run gives', async () => {
    const slow = await testServer({ delayMs: 15, workers: 2 });
    // Random moments, replayable: the seed is in the test's output.
    const seed = Number(process.env.CHACRACTL_TEST_SEED ?? Date.now() % 100_000);
    const random = seeded(seed);
    try {
      for (const [i, signal] of (['SIGINT', 'SIGTERM', 'SIGINT'] as const).entries()) {
        const t = `intr/main/s${++n}/centos/9/x86_64`;
        const set = fileSet(40, (k) => (k === 0 ? 3_000_000 : 500 + k));
        // The moment is a number of uploads the server has received, not a time: the same on any machine.
        // From the first upload on: the process has its signal handlers by then.
        const at = 1 + Math.floor(random() * 30);
        slow.stats.byMethod = {};
        const first = await cli(['binary', 'create', '-j', '3', t, ...set.files], {
          env: { CHACRA_URL: slow.url },
          onSpawn: (c) => void until(() => (slow.stats.byMethod.POST ?? 0) >= at).then(() => c.kill(signal)),
        });
        // 128 + the signal's number, as a shell reports a process the signal killed.
        const stopped = signal === 'SIGTERM' ? 143 : 130;
        assert.ok(first.code === stopped || first.code === 0, `run ${i} (seed ${seed}): exit ${first.code} after ${signal} at upload ${at}: ${first.stderr}`);
        const second = await cli(['binary', 'create', t, ...set.files], { env: { CHACRA_URL: slow.url } });
        assert.equal(second.code, 0, second.stderr);
        assertHolds(await listing(slow, t), set.expected);
      }
    } finally {
      await slow.stop();
    }
  });
});

describe('hostile and bad input', () => {
  test('malformed URL parts: exit 2 and no request sent', async () => {
    for (const part of ['p/r/../d/v/a', 'p/r/./d/v/a', 'p//s/d/v/a', 'p/r/s%2Fx/d/v/a', 'p/r/s/d/v/a\u0007', 'p/r/s/d/v']) {
      const r = await cli(['binary', 'create', part, '/etc/hostname']);
      assert.equal(r.code, 2, part);
      assert.match(r.stderr, /expected PROJECT\/REF\/SHA1\/DISTRO\/VERSION\/ARCH/);
    }
    for (const args of [
      ['repo', 'update', 'p/r/../d/v'],
      ['binary', 'delete', 'p/r/s/d/v/a/..'],
      ['exists', 'binaries/../etc'],
    ])
      assert.equal((await cli(args)).code, 2, args.join(' '));
    assert.deepEqual(fixture.server.stats.byMethod, {});
  });

  test('a FIFO, a non-UTF-8 name and a name with a leading dash', async () => {
    const dir = join(fixture.home.path, `odd-${++n}`);
    mkdirSync(dir);
    execFileSync('mkfifo', [join(dir, 'pipe.rpm')]);
    const [dash] = writeFiles(dir, { '-dash.rpm': 10 });
    const t = `odd/main/s${n}/centos/9/x86_64`;
    const r = await cli(['binary', 'create', t, '--', join(dir, 'pipe.rpm'), dash!]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /FAILED .*pipe\.rpm is not a regular file/);
    assert.match(r.stdout, /uploaded .*-dash\.rpm/);
    const latin1 = Buffer.concat([Buffer.from(dir + '/caf'), Buffer.from([0xe9]), Buffer.from('.rpm')]);
    const bad = await cli(['binary', 'create', '-0', t], { stdin: latin1 });
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /not valid UTF-8/);
  });

  test('a file that grows while it uploads is not stored as good', async () => {
    const t = `grow/main/s${++n}/centos/9/x86_64`;
    const [big] = writeFiles(join(fixture.home.path), { [`growing-${n}.rpm`]: 64 * 1024 * 1024 });
    // The server sits on the request before reading its body, so the upload is mid-stream when the file grows.
    fixture.server.faults.add({ method: 'POST', count: 1, action: { kind: 'delay', ms: 1500 } });
    const grow = async () => {
      while (!fixture.server.stats.byMethod.POST) await new Promise((r) => setTimeout(r, 5));
      appendFileSync(big!, 'more');
    };
    const [r] = await Promise.all([cli(['binary', 'create', t, big!]), grow()]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /changed while it was being uploaded/);
    assert.deepEqual(await listing(fixture.server, t), {});
  });

  test('JSON of the wrong shape is not taken for a listing or a repo document', async () => {
    const odd = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' }).end(req.url?.startsWith('/repos/') ? '{"message": "hello"}' : '["a", "b"]');
    });
    await new Promise<void>((r) => odd.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(odd.address() as AddressInfo).port}`;
      const set = fileSet(1);
      const up = await cli(['binary', 'create', 'p/r/s/d/v/a', ...set.files], { env: { CHACRA_URL: url } });
      assert.equal(up.code, 3);
      assert.match(up.stderr, /not a listing of binaries/);
      const repo = await cli(['repo', 'update', 'p/r/s/d/v'], { env: { CHACRA_URL: url } });
      assert.equal(repo.code, 3);
      assert.match(repo.stderr, /not a repo document/);
    } finally {
      odd.close();
    }
  });

  test('a server answering 200 with a body that is not JSON: exit 3 and why', async () => {
    for (const kind of ['garbage', 'html'] as const) {
      fixture.server.faults.clear();
      fixture.server.faults.add({ method: 'GET', action: { kind } });
      const r = await cli(['ls', 'ceph']);
      assert.equal(r.code, 3, kind);
      assert.match(r.stderr, /not JSON/);
    }
  });

  test('config: unknown keys warn; a group-readable file with a key warns in config show, not on every call of a job', async () => {
    const conf = join(fixture.home.path, `warn-${++n}.conf`);
    writeFileSync(conf, `url = "${fixture.server.url}"\nuser = "admin"\nkey = "secret"\ncolour = "blue"\n`, { mode: 0o644 });
    const r = await runCli(['--config', conf, 'exists', 'binaries/none'], { home: fixture.home.path });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unknown key "colour"/);
    assert.doesNotMatch(r.stderr, /readable by others/, 'stderr is no terminal: a CI log');
    const shown = await runCli(['--config', conf, 'config', 'show'], { home: fixture.home.path });
    assert.equal(shown.code, 0);
    assert.equal(shown.stderr.match(/readable by others .*chmod 600/g)?.length, 1, shown.stderr);
  });
});

describe('secrets', () => {
  test('the key appears in no output, at any log level, in errors or in --json', async () => {
    const KEY = 'k3y-that-must-not-leak';
    const bad = { CHACRA_USER: 'admin', CHACRA_KEY: KEY };
    const set = fileSet(2);
    const outputs: string[] = [];
    for (const args of [
      ['--log', 'debug', 'binary', 'create', '--json', `s/main/s${++n}/centos/9/x86_64`, ...set.files],
      ['--log', 'debug', 'project', 'create', 'x'],
      ['--log', 'debug', 'config', 'show', '--json'],
      ['--log', 'debug', '--url', `http://admin:${KEY}@127.0.0.1:9`, '--retries', '0', 'exists', 'binaries/x'],
      ['--log', 'debug', '--url', `http://admin:${KEY}@127.0.0.1:9`, '--retries', '0', 'project', 'create', 'x'],
    ]) {
      const r = await cli(args, { env: bad });
      outputs.push(r.stdout, r.stderr);
    }
    const all = outputs.join('\n');
    assert.match(all, /401/);
    assert.doesNotMatch(all, new RegExp(KEY));
    assert.doesNotMatch(all, new RegExp(Buffer.from(`admin:${KEY}`).toString('base64')));
  });

  test('credentials are never sent after a redirect to another host', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const elsewhere = createServer((req, res) => {
      seen.push(req.headers);
      res.end('{}');
    });
    await new Promise<void>((r) => elsewhere.listen(0, '127.0.0.1', r));
    const other = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
    const redirecting = createServer((req, res) => {
      req.resume();
      res.writeHead(302, { location: `${other}${req.url}` }).end();
    });
    await new Promise<void>((r) => redirecting.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}`;
      const r = await cli(['project', 'create', 'x'], { env: { CHACRA_URL: url } });
      assert.equal(r.code, 3);
      assert.match(r.stderr, /answered 302/);
      assert.match(r.stderr, /redirects elsewhere/);
      assert.deepEqual(seen, []);
    } finally {
      elsewhere.close();
      redirecting.close();
    }
  });
});

describe('load', () => {
  test('20 concurrent chacractl processes, 50 files each: nothing lost or duplicated', { timeout: 120_000 }, async () => {
    const shared = fileSet(50);
    const own = Array.from({ length: 10 }, () => fileSet(50));
    const sharedTarget = `load/main/shared${++n}/centos/9/x86_64`;
    const runs = [
      // Ten processes race on one target with the same files...
      ...Array.from({ length: 10 }, () => cli(['binary', 'create', '-q', sharedTarget, ...shared.files], { timeoutMs: 110_000 })),
      // ...and ten more upload sets of their own.
      ...own.map((set, i) => cli(['binary', 'create', '-q', `load/main/own${n}-${i}/centos/9/x86_64`, ...set.files], { timeoutMs: 110_000 })),
    ];
    const results = await Promise.all(runs);
    for (const r of results) assert.equal(r.code, 0, r.stderr + r.stdout);
    assertHolds(await listing(fixture.server, sharedTarget), shared.expected);
    for (const [i, set] of own.entries()) assertHolds(await listing(fixture.server, `load/main/own${n}-${i}/centos/9/x86_64`), set.expected);
    const sharedRepo = (await (await fetch(`${fixture.server.url}/repos/${sharedTarget.split('/').slice(0, 5).join('/')}/`)).json()) as { archs: string[] };
    assert.deepEqual(sharedRepo.archs, ['x86_64']);
  });
});

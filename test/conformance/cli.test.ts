// The everyday jobs of a build pipeline, run with the built chacractl against
// one chacra server. By default that is the local server over HTTPS (so CI
// runs this file with the rest); with CHACRA_TEST_URL it is any chacra, such as
// the real one of ../shared/real-chacra:
//
//   CHACRA_TEST_URL=https://127.0.0.1:18443 CHACRA_TEST_CA=~/real-chacra/tls/ca.crt npm run test:real
//
// Only what a real server shows is asserted: no server internals, no request
// counts but those the --json summary reports. Each run writes under a project
// of its own and deletes it at the end.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeCertificates, runCli, sha512, tempDir, testServer, type CliResult, type TempDir, type TestServer } from '../helpers/env.js';

const REMOTE = process.env.CHACRA_TEST_URL;
let local: TestServer | undefined;
let home: TempDir;
let url: string;
let ca: string | undefined;
const user = process.env.CHACRA_TEST_USER ?? 'admin';
const key = process.env.CHACRA_TEST_KEY ?? 'secret';
const project = `ctl-${randomBytes(4).toString('hex')}`;
const repo = `${project}/main/${randomBytes(3).toString('hex')}/centos/9`;
// A real server builds repos in seconds to minutes.
const REPO_WAIT = REMOTE ? '5m' : '30s';

before(async () => {
  home = tempDir('chacractl-conformance-');
  if (REMOTE) {
    url = REMOTE.replace(/\/+$/, '');
    ca = process.env.CHACRA_TEST_CA;
  } else {
    const certs = makeCertificates(home.path);
    // A running repo worker: repos get built, and /health/ passes, as on a real server.
    local = await testServer({ tls: { cert: readFileSync(certs.cert), key: readFileSync(certs.key) }, repoStepMs: 20 });
    url = local.url;
    ca = certs.ca;
  }
  process.stderr.write(`# conformance against ${url} (${REMOTE ? 'CHACRA_TEST_URL' : 'the local server'}), project ${project}\n`);
});

after(async () => {
  // Leave nothing behind on a shared server, whatever failed above.
  for (const flavor of ['', '/flavors/crimson']) await chacractl('repo', 'delete', '--yes', `${repo}${flavor}`).catch(() => undefined);
  await local?.stop();
  home.cleanup();
});

function chacractl(...args: string[]): Promise<CliResult> {
  return runCli(['--url', url, ...(ca ? ['--ca', ca] : []), ...args], {
    home: home.path,
    env: { CHACRA_USER: user, CHACRA_KEY: key },
    timeoutMs: 10 * 60_000,
  });
}

function ok(r: CliResult): CliResult {
  assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

interface Summary {
  counts: Record<string, number>;
  files: { name: string; outcome: string; tries: number }[];
}

function write(name: string, bytes: number, seed: string): string {
  const path = join(home.path, name);
  const data = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (seed.charCodeAt(i % seed.length) + i) & 0xff;
  writeFileSync(path, data);
  return path;
}

describe('a build pipeline against one chacra', { concurrency: false }, () => {
  const x86 = `${repo}/x86_64`;
  const files = {
    a: () => join(home.path, 'ceph-a.rpm'),
    b: () => join(home.path, 'ceph-b.rpm'),
    c: () => join(home.path, 'ceph-c.rpm'),
  };

  test('health: the server is healthy (any 2xx)', async () => {
    const r = ok(await chacractl('health'));
    assert.match(r.stdout, /is healthy/);
  });

  test('upload new files; a rerun sends nothing and says unchanged', async () => {
    write('ceph-a.rpm', 70_000, 'a');
    write('ceph-b.rpm', 3_000, 'b');
    write('ceph-c.rpm', 1_000, 'c');
    const first = JSON.parse(ok(await chacractl('--json', 'binary', 'create', x86, files.a(), files.b())).stdout) as Summary;
    assert.equal(first.counts.uploaded, 2);
    assert.ok(
      first.files.every((f) => f.tries === 1),
      'one upload per file',
    );
    const again = ok(await chacractl('binary', 'create', x86, files.a(), files.b()));
    assert.match(again.stdout, /0 uploaded, 0 replaced, 2 unchanged/);
  });

  test('--force of a file whose size changed: replaced with one upload; then unchanged', async () => {
    write('ceph-a.rpm', 71_000, 'changed');
    const forced = JSON.parse(ok(await chacractl('--json', 'binary', '--force', 'create', x86, files.a(), files.b())).stdout) as Summary;
    assert.deepEqual(forced.files.map((f) => [f.name, f.outcome, f.tries]).sort(), [
      ['ceph-a.rpm', 'replaced', 1],
      ['ceph-b.rpm', 'unchanged', 0],
    ]);
    const again = ok(await chacractl('binary', '--force', 'create', x86, files.a(), files.b()));
    assert.match(again.stdout, /0 uploaded, 0 replaced, 2 unchanged/);
    // Without --force a changed file is skipped, never sent.
    write('ceph-a.rpm', 69_000, 'other');
    const skipped = ok(await chacractl('binary', 'create', x86, files.a()));
    assert.match(skipped.stdout, /skipped .*ceph-a\.rpm/);
    write('ceph-a.rpm', 71_000, 'changed');
  });

  test('exists, ls and binary show see what was uploaded', async () => {
    ok(await chacractl('exists', `binaries/${x86}`));
    ok(await chacractl('exists', `binaries/${x86}/ceph-a.rpm`));
    assert.equal((await chacractl('exists', `binaries/${x86}/nope.rpm`)).code, 1);
    const ls = ok(await chacractl('ls', x86));
    assert.deepEqual(ls.stdout.trim().split('\n').sort(), ['ceph-a.rpm', 'ceph-b.rpm']);
    const show = JSON.parse(ok(await chacractl('--json', 'binary', 'show', `${x86}/ceph-a.rpm`)).stdout) as { checksum: string };
    assert.equal(show.checksum, sha512(readFileSync(files.a())));
  });

  test('download of the replaced binary is verified by its sha512 and has the new size', async () => {
    const out = join(home.path, 'downloads');
    mkdirSync(out);
    const r = JSON.parse(ok(await chacractl('--json', 'binary', 'download', `${x86}/ceph-a.rpm`, '-o', out)).stdout) as { files: { size: number }[] };
    assert.equal(r.files[0]!.size, 71_000);
    assert.equal(sha512(readFileSync(join(out, 'ceph-a.rpm'))), sha512(readFileSync(files.a())));
  });

  test('another arch and another flavor of the same build', async () => {
    ok(await chacractl('binary', 'create', `${repo}/aarch64`, files.c()));
    ok(await chacractl('binary', 'create', `${x86}/flavors/crimson`, files.c()));
    ok(await chacractl('exists', `repos/${repo}/flavors/crimson`));
  });

  test('the repo gets built: repo wait', async () => {
    const r = ok(await chacractl('--timeout', REPO_WAIT, '--interval', '1s', 'repo', 'wait', repo));
    assert.match(r.stdout, /ready/);
    const doc = JSON.parse(ok(await chacractl('--json', 'repo', 'show', repo)).stdout) as { path: string | null; archs: string[] };
    assert.notEqual(doc.path, null);
    assert.deepEqual([...doc.archs].sort(), ['aarch64', 'x86_64']);
  });

  test('repo delete of the built repo: no repo document, no binaries of it; the other flavor stays', async () => {
    const dry = ok(await chacractl('repo', 'delete', '--dry-run', repo));
    assert.match(dry.stdout, /would delete .* and 3 binaries \(aarch64, x86_64\)/);
    const r = ok(await chacractl('repo', 'delete', repo));
    assert.match(r.stdout, /^deleted repo .*its built tree, and 3 binaries/);
    assert.equal((await chacractl('exists', `repos/${repo}`)).code, 1);
    assert.equal((await chacractl('exists', `binaries/${x86}/ceph-a.rpm`)).code, 1);
    assert.equal((await chacractl('exists', `binaries/${repo}/aarch64`)).code, 1);
    ok(await chacractl('exists', `binaries/${x86}/flavors/crimson/ceph-c.rpm`));
    ok(await chacractl('exists', `repos/${repo}/flavors/crimson`));
    const again = ok(await chacractl('repo', 'delete', repo));
    assert.match(again.stderr, /deleted already/);
  });

  test('binary delete of several paths; the last binary takes the repo with it', async () => {
    ok(await chacractl('binary', 'create', `${x86}/flavors/crimson`, files.b()));
    const r = ok(await chacractl('binary', 'delete', `${x86}/flavors/crimson/ceph-b.rpm`, `${x86}/flavors/crimson/ceph-c.rpm`));
    assert.equal(r.stdout.trim().split('\n').length, 2);
    assert.equal((await chacractl('exists', `repos/${repo}/flavors/crimson`)).code, 1);
    assert.equal((await chacractl('exists', `binaries/${project}`)).code, 1, 'the project went with its last binary');
  });
});

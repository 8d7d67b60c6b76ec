// repo delete and binary delete against a local server that deletes as the
// real chacra does: a repo's DELETE removes the built tree, then fails (#102).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/io.js';
import { runCli, serverFixture, writeFiles } from '../helpers/env.js';

const fx = serverFixture();
let n = 0;

const cli = (args: string[]) => runCli(args, { home: fx.home.path, env: { CHACRA_URL: fx.server.url, CHACRA_USER: 'admin', CHACRA_KEY: 'secret' } });

/** A build in two archs and two flavors; returns the repo path of its default flavor. */
async function build(): Promise<{ repo: string; project: string }> {
  const id = ++n;
  const project = `del${id}`;
  const repo = `${project}/main/abc/centos/9`;
  const files = writeFiles(fx.home.path, { [`a${id}.rpm`]: 100, [`b${id}.rpm`]: 200, [`c${id}.rpm`]: 300 });
  for (const [target, paths] of [
    [`${repo}/x86_64`, files.slice(0, 2)],
    [`${repo}/aarch64`, files.slice(2)],
    [`${repo}/x86_64/flavors/crimson`, files.slice(0, 1)],
  ] as const) {
    const r = await cli(['binary', 'create', target, ...paths]);
    assert.equal(r.code, 0, r.stderr);
  }
  return { repo, project };
}

const get = (path: string) => fetch(`${fx.server.url}/${path}`);
const repoKey = (project: string, flavor = 'default') => ({ project, ref: 'main', sha1: 'abc', distro: 'centos', version: '9', flavor });

describe('repo delete', () => {
  test('of a built repo: the tree and every binary of its flavor go, in every arch; other flavors stay', async () => {
    const { repo, project } = await build();
    fx.server.worker.drain();
    const tree = fx.server.store.repoPath(repoKey(project));
    assert.ok(existsSync(tree), 'the repo was built');
    const r = await cli(['repo', 'delete', repo]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^deleted repo del\d+\/main\/abc\/centos\/9 \(rpm, ready\), its built tree, and 3 binaries \(aarch64, x86_64\)\n$/);
    assert.equal((await get(`repos/${repo}/`)).status, 404, 'no repo document');
    assert.equal((await get(`binaries/${repo}/x86_64/flavors/default/`)).status, 404);
    assert.equal((await get(`binaries/${repo}/aarch64/`)).status, 404);
    assert.ok(!existsSync(tree), 'the built tree is gone');
    const crimson = (await (await get(`binaries/${repo}/x86_64/flavors/crimson/`)).json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(crimson), [`a${n}.rpm`]);
    assert.equal((await get(`repos/${repo}/flavors/crimson/`)).status, 200, 'the other flavor keeps its repo');
    // The server's DELETE of the repo document failed as chacra's does, once; each binary was deleted.
    assert.deepEqual(fx.server.stats.byMethod.DELETE, 4);
  });

  test('run again: a warning and exit 0, nothing sent but a read', async () => {
    const { repo } = await build();
    assert.equal((await cli(['repo', 'delete', repo])).code, 0);
    fx.server.stats.byMethod = {};
    const again = await cli(['repo', 'delete', repo]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /there is no repo .* \(deleted already\?\): nothing to delete/);
    assert.deepEqual(fx.server.stats.byMethod, { GET: 1 });
  });

  test('interrupted half-way (a binary delete fails): exit non-zero, and a rerun finishes it', async () => {
    const { repo } = await build();
    fx.server.worker.drain();
    fx.server.faults.add({ method: 'DELETE', path: 'b\\d+\\.rpm', action: { kind: 'status', status: 503 } });
    const cut = await cli(['--retries', '0', 'repo', 'delete', repo]);
    assert.equal(cut.code, 3, cut.stderr);
    assert.equal((await get(`repos/${repo}/`)).status, 200, 'the repo is still there');
    fx.server.faults.clear();
    const rerun = await cli(['repo', 'delete', repo]);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stdout, /and 1 binary \(x86_64\)/);
    assert.equal((await get(`repos/${repo}/`)).status, 404);
  });

  test('of a repo never built: no DELETE of the document (it would crash), the binaries go', async () => {
    const { repo } = await build();
    fx.server.stats.byMethod = {};
    const r = await cli(['--json', 'repo', 'delete', repo]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { existed: boolean; builtTree: string | null; binaries: string[]; deleted: number };
    assert.equal(doc.existed, true);
    assert.equal(doc.builtTree, null);
    assert.equal(doc.deleted, 3);
    assert.equal(doc.binaries.length, 3);
    assert.equal(fx.server.stats.byMethod.DELETE, 3);
  });

  test('--dry-run lists what would go and deletes nothing', async () => {
    const { repo } = await build();
    fx.server.stats.byMethod = {};
    const r = await cli(['repo', 'delete', '--dry-run', repo]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0]!, /^would delete repo .* and 3 binaries/);
    assert.deepEqual(
      lines
        .slice(1)
        .map((l) => l.trim())
        .sort(),
      [`${repo}/aarch64/c${n}.rpm`, `${repo}/x86_64/a${n}.rpm`, `${repo}/x86_64/b${n}.rpm`],
    );
    assert.equal(fx.server.stats.byMethod.DELETE, undefined);
    assert.equal((await get(`repos/${repo}/`)).status, 200);
  });

  test('on a terminal it asks first: "n" deletes nothing, "y" deletes; --yes does not ask', async () => {
    const { repo } = await build();
    const ask = async (answer: string | undefined, extra: string[] = []) => {
      const io = terminal();
      const run = main(['repo', 'delete', ...extra, repo], io);
      if (answer !== undefined) {
        await io.prompted;
        io.stdin.write(`${answer}\n`);
      }
      return { code: await run, err: io.err() };
    };
    const no = await ask('n');
    assert.equal(no.code, 1);
    assert.match(no.err, /This deletes repo .* and 3 binaries[\s\S]*Delete it\? \[y\/N\][\s\S]*nothing was deleted/);
    assert.equal((await get(`repos/${repo}/`)).status, 200);
    const yes = await ask('y');
    assert.equal(yes.code, 0, yes.err);
    assert.equal((await get(`repos/${repo}/`)).status, 404);
    const other = await build();
    const io = terminal();
    assert.equal(await main(['repo', 'delete', '--yes', other.repo], io), 0, io.err());
    assert.doesNotMatch(io.err(), /Delete it\?/);
  });
});

describe('binary delete', () => {
  test('takes several paths; one gone already is a warning', async () => {
    const { repo } = await build();
    const paths = [`${repo}/x86_64/a${n}.rpm`, `${repo}/aarch64/c${n}.rpm`, `${repo}/x86_64/nope.rpm`];
    const r = await cli(['binary', 'delete', ...paths]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [`deleted ${paths[0]}`, `deleted ${paths[1]}`]);
    assert.match(r.stderr, /nope\.rpm is not on the server/);
    const json = await cli(['--json', 'binary', 'delete', `${repo}/x86_64/b${n}.rpm`, paths[0]!]);
    assert.deepEqual(JSON.parse(json.stdout).binaries, [
      { path: `${repo}/x86_64/b${n}.rpm`, deleted: true },
      { path: paths[0], deleted: false },
    ]);
  });

  test('a malformed path among several: exit 2 before anything is deleted', async () => {
    const { repo } = await build();
    fx.server.stats.byMethod = {};
    const r = await cli(['binary', 'delete', `${repo}/x86_64/a${n}.rpm`, 'too/short']);
    assert.equal(r.code, 2);
    assert.equal(fx.server.stats.byMethod.DELETE, undefined);
  });
});

/** In-process streams that say they are a terminal; `prompted` resolves once a question is shown. */
function terminal(): Io & { stdin: PassThrough; prompted: Promise<void>; err(): string } {
  const stdout = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
  const stderr = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  stdout.resume();
  let err = '';
  let onPrompt: () => void = () => {};
  const prompted = new Promise<void>((resolve) => (onPrompt = resolve));
  stderr.on('data', (d) => {
    err += d;
    if (err.includes('[y/N]')) onPrompt();
  });
  return {
    stdout,
    stderr,
    stdin,
    env: { HOME: fx.home.path, CHACRA_URL: fx.server.url, CHACRA_USER: 'admin', CHACRA_KEY: 'secret', TERM: 'dumb' },
    cwd: fx.home.path,
    prompted,
    err: () => err,
  };
}

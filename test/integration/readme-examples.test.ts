// The README's library examples compile against the package's types and run
// against the local server, so the README cannot drift from the library.
// Here chacractl is this checkout, linked into a project of its own;
// test/e2e/packaging.test.ts does the same from the packed tarball.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ChacraClient, parseRepoRef } from '../../src/index.js';
import { serverFixture } from '../helpers/env.js';
import { checkReadmeExamples, readmeSnippets, run } from '../helpers/readme-examples.js';

const root = resolve(fileURLToPath(import.meta.url), '../../../..');
const fixture = serverFixture();

/** A project of the test's own, where `chacractl` is this checkout. */
function project(): string {
  const dir = fixture.home.path;
  if (!existsSync(join(dir, 'node_modules/chacractl'))) {
    writeFileSync(join(dir, 'package.json'), '{"name":"app","version":"1.0.0","private":true}');
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(root, join(dir, 'node_modules/chacractl'), 'dir');
  }
  return dir;
}

test('the README has library examples, runnable and not', () => {
  const snippets = readmeSnippets();
  assert.ok(snippets.filter((s) => s.run).length >= 3, JSON.stringify(snippets.map((s) => s.line)));
  for (const s of snippets) assert.match(s.source, /from 'chacractl'|require\('chacractl'\)/, `README.md:${s.line} imports what it uses from the package`);
});

test('every example compiles; the runnable ones upload, download and delete on the local server', { timeout: 120_000 }, async () => {
  const { compiled, runs } = await checkReadmeExamples(project(), { CHACRA_URL: fixture.server.url, CHACRA_USER: 'admin', CHACRA_KEY: 'secret' });
  assert.equal(compiled.code, 0, compiled.stdout + compiled.stderr);
  for (const r of runs) assert.equal(r.code, 0, `README.md:${r.line}\n${r.stdout}${r.stderr}`);
  const [cjs] = runs.filter((r) => r.cjs);
  assert.equal(cjs?.stdout, 'no ceph project yet\n');
  const [upload, download, remove] = runs.filter((r) => !r.cjs);
  assert.match(upload!.stdout, /^uploaded a\.rpm $/m);
  assert.match(upload!.stdout, /^uploaded b\.rpm $/m);
  assert.equal(download!.stdout, '2 downloaded, 0 already here\n');
  assert.equal(remove!.stdout, 'deleting 2 binaries\n');
  const client = new ChacraClient({ url: fixture.server.url });
  assert.equal(await client.getRepo(parseRepoRef('ceph/main/1a2b3c/centos/9')), undefined, 'the repo is gone');
  await client.close();
});

test('the upload example fails, exit 1 with the reason, when the upload fails', { timeout: 60_000 }, async () => {
  // Compiled by the test above, which runs first.
  const first = readmeSnippets().find((s) => s.run && !s.cjs)!;
  const r = await run(process.execPath, [join(project(), 'out', `readme-${first.line}.mjs`)], {
    cwd: join(project(), 'work'),
    env: { ...process.env, CHACRA_URL: fixture.server.url, CHACRA_USER: 'admin', CHACRA_KEY: 'not the key' },
  });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /HttpError.*401/s);
});

// The npm package as a user gets it: packed from a checkout that was never
// built (prepack builds it), installed from the tarball into a fresh
// `npm init -y` project (offline: its dependencies come from npm's cache), and
// used there from the command line, from CommonJS and from ES modules, with
// types for both, and by the README's examples. Run by `npm run test:e2e`.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { serverFixture } from '../helpers/env.js';
import { checkReadmeExamples, compile, run } from '../helpers/readme-examples.js';

const root = resolve(fileURLToPath(import.meta.url), '../../../..');
const fixture = serverFixture();
let app: string;

test('a checkout with no build packs the build: JavaScript and types for import and require, the bin, README and LICENSE', { timeout: 300_000 }, () => {
  // The tracked files (and new ones not ignored), as a fresh clone has them: no dist/.
  const clone = join(fixture.home.path, 'clone');
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8' }).split('\0');
  for (const f of files.filter(Boolean)) {
    mkdirSync(dirname(join(clone, f)), { recursive: true });
    copyFileSync(join(root, f), join(clone, f));
  }
  symlinkSync(join(root, 'node_modules'), join(clone, 'node_modules'), 'dir');
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', fixture.home.path], {
    cwd: clone,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const [info] = JSON.parse(out) as [{ filename: string; files: { path: string }[] }];
  const paths = info.files.map((f) => f.path);
  for (const path of paths)
    assert.match(
      path,
      /^(dist\/src\/.*\.(js|d\.ts)|dist\/cjs\/.*\.(cjs|d\.cts)|dist\/bundle\/.*\.js|dist\/bundle\/package\.json|schemas\/v\d+\/[\w.-]+\.json|README\.md|LICENSE|package\.json)$/,
      path,
    );
  for (const path of [
    'dist/src/index.js',
    'dist/src/index.d.ts',
    'dist/cjs/index.cjs',
    'dist/cjs/index.d.cts',
    // The bin is the launcher of the CLI's bundle, both CommonJS in a "type": "module" package.
    'dist/bundle/bin/chacractl.js',
    'dist/bundle/chacractl.js',
    'dist/bundle/package.json',
  ])
    assert.ok(paths.includes(path), path);
  // Tests, the server's tests helpers, scripts and source maps stay out.
  assert.ok(!paths.some((p) => p.startsWith('dist/test/') || p.endsWith('.map')));

  app = join(fixture.home.path, 'app');
  mkdirSync(app);
  execFileSync('npm', ['init', '-y'], { cwd: app, stdio: 'ignore' });
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(fixture.home.path, info.filename)], { cwd: app, stdio: 'ignore' });
});

test('the installed package: npx chacractl, require() and import, the same public API, no internals', { timeout: 60_000 }, async () => {
  const help = execFileSync('npx', ['--no-install', 'chacractl', '--help'], { cwd: app, encoding: 'utf8' });
  assert.match(help, /binary create/);
  const names = "Object.keys(lib).sort().join(' ')";
  const cjs = await run(process.execPath, ['-e', `const lib = require('chacractl'); console.log(${names})`], { cwd: app });
  const esm = await run(process.execPath, ['--input-type=module', '-e', `import * as lib from 'chacractl'; console.log(${names})`], { cwd: app });
  assert.equal(cjs.code, 0, cjs.stderr);
  assert.equal(esm.code, 0, esm.stderr);
  assert.equal(cjs.stdout, esm.stdout);
  const exported = cjs.stdout.trim().split(' ');
  for (const name of [
    'ChacraClient',
    'ShamanClient',
    'uploadBinaries',
    'uploadSucceeded',
    'downloadBinaries',
    'downloadSucceeded',
    'contentTypeOf',
    'HttpError',
  ])
    assert.ok(exported.includes(name), name);
  for (const name of ['ExitCode', 'withRetry', 'buildKey', 'nodeUrl', 'Transport', 'deleteRepo', 'createProject', 'updateRepo', 'recreateRepo', 'deleteBinary'])
    assert.ok(!exported.includes(name), `${name} is not public`);
});

test('TypeScript as `tsc --init` sets it up finds the types, from CommonJS and from ES modules; internals are no part of them', {
  timeout: 120_000,
}, async () => {
  // tsc --init: module nodenext, verbatimModuleSyntax, exactOptionalPropertyTypes, no @types/node.
  const dir = join(app, 'ts');
  mkdirSync(dir);
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '--init'], { cwd: dir, stdio: 'ignore' });
  const use = (kind: string, lib: string) => `const client: ${lib}ChacraClient = new ${lib}ChacraClient({ url: 'http://127.0.0.1:9/' });
const ok = (summary: ${lib}UploadSummary): boolean => ${lib}uploadSucceeded(summary);
const kind: ${lib}NetworkFailure = 'refused';
const options: ${lib}UploadBinaryOptions = { force: true };
const gone = new ${lib}HttpError({ method: 'GET', url: client.baseUrl, status: 404 }, 'gone');
console.log('${kind}', typeof ok, kind, options.force, gone instanceof Error, ${lib}contentTypeOf('a.rpm'));
void client.close();
`;
  // The fresh project is CommonJS: a .ts file requires, a .mts file imports.
  writeFileSync(join(dir, 'use.ts'), `import lib = require('chacractl');\n${use('cjs', 'lib.')}`);
  writeFileSync(
    join(dir, 'use.mts'),
    `import { ChacraClient, HttpError, contentTypeOf, uploadSucceeded, type NetworkFailure, type UploadSummary, type UploadBinaryOptions } from 'chacractl';\n${use('esm', '')}`,
  );
  const compiled = await run(process.execPath, [tsc, '-p', dir], { cwd: dir });
  assert.equal(compiled.code, 0, compiled.stdout + compiled.stderr);
  for (const [file, kind] of [
    ['use.js', 'cjs'],
    ['use.mjs', 'esm'],
  ] as const) {
    const r = await run(process.execPath, [join(dir, file)], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${kind} function refused true true application/x-rpm\n`);
  }
  writeFileSync(join(app, 'internal.mts'), "import { ExitCode } from 'chacractl';\nconsole.log(ExitCode);\n");
  const internal = await compile(app, ['internal.mts']);
  assert.notEqual(internal.code, 0);
  assert.match(internal.stdout, /has no exported member named 'ExitCode'|has no exported member 'ExitCode'/);
});

test("the README's examples compile against the installed package and run against the local server", { timeout: 120_000 }, async () => {
  const { compiled, runs } = await checkReadmeExamples(app, { CHACRA_URL: fixture.server.url, CHACRA_USER: 'admin', CHACRA_KEY: 'secret' });
  assert.equal(compiled.code, 0, compiled.stdout + compiled.stderr);
  assert.ok(runs.length >= 3);
  for (const r of runs) assert.equal(r.code, 0, `README.md:${r.line}\n${r.stdout}${r.stderr}`);
  assert.ok(runs.some((r) => r.cjs && r.stdout === 'no ceph project yet\n'));
  assert.match(runs.find((r) => !r.cjs)!.stdout, /^uploaded a\.rpm $/m);
});

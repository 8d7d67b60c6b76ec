// What a run loads is what its start-up costs: --version and --help load no
// command code and no HTTP library; a command of a handful of requests uses
// node:http and never loads undici or the upload engine. Every module a run
// loads is recorded by a loader hook that appends its URL to a file, as the
// module loads, so nothing is lost when the CLI exits. The CLI is the bundle
// npm ships, so what loads are chunks: each is read as the source modules its
// source map names, and the assertions below are on those.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CLI, runCli, serverFixture, tempDir } from '../helpers/env.js';

const fx = serverFixture();
const credentials = { CHACRA_USER: 'admin', CHACRA_KEY: 'secret' };

const hooks = tempDir('chacractl-hooks-');
const HOOKS = join(hooks.path, 'hooks.mjs');
const REGISTER = join(hooks.path, 'register.mjs');
writeFileSync(
  HOOKS,
  `import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = data.log; }
export async function load(url, context, next) {
  appendFileSync(log, url + '\\n');
  return next(url, context);
}
`,
);
writeFileSync(
  REGISTER,
  `import { register } from 'node:module';
register(${JSON.stringify(pathToFileURL(HOOKS).href)}, { data: { log: process.env.CHACRACTL_TEST_LOAD_LOG } });
`,
);

let runs = 0;
async function loadedBy(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; modules: string[] }> {
  const log = join(hooks.path, `loaded-${++runs}.txt`);
  writeFileSync(log, '');
  const r = await runCli(args, {
    home: fx.home.path,
    env: { ...env, NODE_OPTIONS: `--import=${pathToFileURL(REGISTER).href}`, CHACRACTL_TEST_LOAD_LOG: log },
  });
  const loaded = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  // The hook must have seen the CLI itself, or the absences below prove nothing.
  assert.ok(loaded.includes(pathToFileURL(CLI).href), `the hook saw no CLI module: ${r.stderr}`);
  return { code: r.code, modules: loaded.flatMap(sourcesOf) };
}

/** A loaded chunk of the bundle as the files its source map names (src/…/*.ts); any other URL as itself. */
function sourcesOf(url: string): string[] {
  if (!url.startsWith('file:')) return [url];
  const file = fileURLToPath(url);
  if (!existsSync(`${file}.map`)) return [url];
  const { sources } = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[] };
  return sources.map((s) => resolve(dirname(file), s));
}

const UNDICI = /\/node_modules\/undici\//;
const UPLOAD_ENGINE = /\/(operations\/upload(-plan)?|cli\/upload-view|client\/undici-engine)\.[jt]s$/;
const RUN_CODE = /\/cli\/commands\/[^/]+-run\.[jt]s$/;
const none = (modules: string[], pattern: RegExp) =>
  assert.deepEqual(
    modules.filter((m) => pattern.test(m)),
    [],
  );

test.after(() => hooks.cleanup());

test('--version and --help load no command code and no HTTP client', async () => {
  for (const args of [['--version'], ['--help'], ['binary', 'create', '--help'], ['--json', '--version']]) {
    const { code, modules } = await loadedBy(args);
    assert.equal(code, 0);
    none(modules, RUN_CODE);
    none(modules, UNDICI);
    none(modules, /\/src\/(client|operations|server)\//);
  }
});

test('exists, binary show, repo show and health send over node:http: no undici, no upload engine, no node:crypto', async () => {
  const env = { ...credentials, CHACRA_URL: fx.server.url };
  const commands = [
    ['exists', 'binaries/nothing/here'],
    ['binary', 'show', 'p/main/s1/centos/9/x86_64/a.rpm'],
    ['repo', 'show', 'p/main/s1/centos/9'],
    ['health'],
  ];
  for (const args of commands) {
    const { modules } = await loadedBy(args, env);
    assert.ok(
      modules.some((m) => m.endsWith('/src/client/light-transport.ts')),
      `${args[0]} used node:http`,
    );
    none(modules, UNDICI);
    none(modules, UPLOAD_ENGINE);
    // node:crypto loads at the first upload (client/multipart.ts).
    none(modules, /^node:crypto$/);
  }
});

test('binary create uses the keep-alive pool of undici', async () => {
  const { modules } = await loadedBy(['binary', 'create', '--dry-run', 'p/main/s1/centos/9/x86_64', join(hooks.path, 'hooks.mjs')], {
    ...credentials,
    CHACRA_URL: fx.server.url,
  });
  assert.ok(modules.some((m) => UNDICI.test(m)));
  assert.ok(modules.some((m) => m.endsWith('/src/operations/upload.ts')));
});

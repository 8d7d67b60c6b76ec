// What a run loads is what its start-up costs: --version and --help run no
// command code and no HTTP library; a command of a handful of requests uses
// node:http and never loads undici or the upload engine.
//
// The CLI is the CommonJS bundle npm ships, in which esbuild wraps each
// source module but the entry in a function named after the module's path
// ("src/operations/upload.ts"), run when the module is first imported. A
// preloaded hook takes V8's precise coverage as the process exits: a module
// ran if its function was called. It also records Node's built-in modules
// (process.moduleLoadList) and every script V8 compiled (node_modules).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { CLI, runCli, serverFixture, tempDir } from '../helpers/env.js';

const fx = serverFixture();
const credentials = { CHACRA_USER: 'admin', CHACRA_KEY: 'secret' };
const BUNDLE = join(dirname(CLI), '..', 'chacractl.js');

const hooks = tempDir('chacractl-hooks-');
const HOOK = join(hooks.path, 'hook.cjs');
writeFileSync(
  HOOK,
  `const { Session } = require('node:inspector');
const { writeFileSync } = require('node:fs');
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: false });
process.once('exit', () => {
  // A session on the main thread answers synchronously.
  session.post('Profiler.takePreciseCoverage', (err, { result }) => {
    const ran = result.map((s) => ({ url: s.url, called: s.functions.filter((f) => f.ranges[0].count > 0).map((f) => f.functionName) }));
    writeFileSync(process.env.CHACRACTL_TEST_LOAD_LOG, JSON.stringify({ builtins: process.moduleLoadList, scripts: ran }));
  });
});
`,
);

/** The source modules of the bundle, each wrapped but the entry's. */
const bundleSource = readFileSync(BUNDLE, 'utf8');
const WRAPPED = new Set([...bundleSource.matchAll(/^ {2}"(src\/[^"]+\.ts)"\(\) \{$/gm)].map((m) => m[1]!));

let runs = 0;
async function loadedBy(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; modules: string[] }> {
  const log = join(hooks.path, `loaded-${++runs}.json`);
  const r = await runCli(args, {
    home: fx.home.path,
    env: { ...env, NODE_OPTIONS: `--require=${HOOK}`, CHACRACTL_TEST_LOAD_LOG: log },
  });
  const { builtins, scripts } = JSON.parse(readFileSync(log, 'utf8')) as {
    builtins: string[];
    scripts: { url: string; called: string[] }[];
  };
  const bundle = scripts.find((s) => s.url === BUNDLE || s.url.endsWith('/bundle/chacractl.js'));
  // The hook must have seen the bundle run and its wrappers, or the absences below prove nothing.
  assert.ok(bundle, `no coverage of the bundle: ${r.stderr}`);
  assert.ok(WRAPPED.size > 50, 'the bundle names its modules');
  const modules = [
    'src/bin/chacractl.ts',
    ...bundle.called.filter((name) => WRAPPED.has(name)),
    ...scripts.filter((s) => s !== bundle).map((s) => s.url),
    ...builtins.filter((b) => b.startsWith('NativeModule ')).map((b) => `node:${b.slice('NativeModule '.length)}`),
  ];
  assert.ok(modules.includes('src/cli/grammar/help.ts') || args.every((a) => a !== '--help'), 'help ran for --help');
  return { code: r.code, modules };
}

const UNDICI = /\/node_modules\/undici\//;
const UPLOAD_ENGINE = /(^|\/)(operations\/upload(-plan)?|cli\/upload-view|client\/undici-engine)\.[jt]s$/;
const RUN_CODE = /(^|\/)cli\/commands\/[^/]+-run\.[jt]s$/;
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
    none(modules, /^src\/(client|operations|server)\//);
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
      modules.some((m) => m === 'src/client/light-transport.ts'),
      `${args[0]} used node:http`,
    );
    none(modules, UNDICI);
    none(modules, UPLOAD_ENGINE);
    // node:crypto loads at the first upload (client/multipart.ts).
    none(modules, /^node:crypto$/);
    // And nothing of the server.
    none(modules, /^src\/server\//);
  }
});

test('binary create sends over node:http too: undici loads only behind a proxy', async () => {
  const { modules } = await loadedBy(['binary', 'create', '--dry-run', 'p/main/s1/centos/9/x86_64', HOOK], {
    ...credentials,
    CHACRA_URL: fx.server.url,
  });
  assert.ok(modules.some((m) => m === 'src/operations/upload.ts'));
  assert.ok(modules.some((m) => m === 'src/client/light-transport.ts'));
  none(modules, UNDICI);
  // A proxy variable: node:http has no EnvHttpProxyAgent, undici does.
  const proxied = await loadedBy(['exists', 'binaries/nothing/here', '--retries', '0'], {
    ...credentials,
    CHACRA_URL: fx.server.url,
    HTTP_PROXY: 'http://127.0.0.1:9',
  });
  assert.ok(proxied.modules.some((m) => UNDICI.test(m)));
  none(proxied.modules, /^src\/client\/light-transport\.ts$/);
});

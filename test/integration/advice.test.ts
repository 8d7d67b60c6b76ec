// Advice names the setting that is at fault, and only a config file that exists.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startPool, type RunningPool } from '../../src/server/pool.js';
import { runCli, tempDir, testServer, type TempDir, type TestServer } from '../helpers/env.js';

let pool: RunningPool;
let server: TestServer;
let dir: TempDir;
let home: TempDir;
before(async () => {
  dir = tempDir('chacra-pool-');
  home = tempDir();
  pool = await startPool({ dataDir: dir.path, nodes: 1, healthCheckDelayMs: 1, repoStepMs: 0, callbackRetryDelayMs: 10, user: 'admin', key: 'secret' });
  server = await testServer();
});
after(async () => {
  await pool.close();
  await server.stop();
  dir.cleanup();
  home.cleanup();
});

const hintOf = (stderr: string) => /hint: (.*)/.exec(stderr)?.[1] ?? '';

test("a wrong shaman key gets shaman's settings, the one sent marked, and no config file that does not exist", async () => {
  const r = await runCli(['node', 'next'], {
    home: home.path,
    env: { CHACRA_SHAMAN_URL: pool.shamanUrl, SHAMAN_API_USER: 'shaman', SHAMAN_API_KEY: 'wrong', CHACRA_NODE_SCHEME: 'http' },
  });
  assert.equal(r.code, 3, r.stderr);
  const hint = hintOf(r.stderr);
  assert.equal(hint, "check shaman's user and key: SHAMAN_API_USER and SHAMAN_API_KEY (sent this time)");
  assert.doesNotMatch(r.stderr, /CHACRA_USER|--user|\.chacractl/);
});

test("no shaman key at all: shaman's settings, and no config file that does not exist", async () => {
  const r = await runCli(['node', 'next'], { home: home.path, env: { CHACRA_SHAMAN_URL: pool.shamanUrl, CHACRA_NODE_SCHEME: 'http' } });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /shaman's user and key are not set/);
  assert.equal(hintOf(r.stderr), 'set SHAMAN_API_USER and SHAMAN_API_KEY');
  assert.doesNotMatch(r.stderr, /\.chacractl/);
});

test('a wrong shaman key from the config file names that file', async () => {
  const conf = join(home.path, 'pool.conf');
  writeFileSync(conf, `shaman_url = "${pool.shamanUrl}"\nshaman_user = "shaman"\nshaman_key = "wrong"\n`, { mode: 0o600 });
  const r = await runCli(['--config', conf, 'node', 'next'], { home: home.path, env: { CHACRA_NODE_SCHEME: 'http' } });
  assert.equal(r.code, 3, r.stderr);
  assert.equal(hintOf(r.stderr), `check shaman's user and key: SHAMAN_API_USER and SHAMAN_API_KEY, or shaman_user and shaman_key in ${conf} (sent this time)`);
  const json = await runCli(['--json', '--config', conf, 'node', 'next'], { home: home.path, env: { CHACRA_NODE_SCHEME: 'http' } });
  assert.equal(JSON.parse(json.stdout).error.hint, hintOf(r.stderr), 'the document carries the same advice');
});

test("a wrong chacra key gets chacra's settings; the config file is named only when it exists", async () => {
  const env = { CHACRA_URL: server.url, CHACRA_USER: 'admin', CHACRA_KEY: 'wrong' };
  const r = await runCli(['--retries', '0', 'project', 'create', 'p'], { home: home.path, env });
  assert.equal(r.code, 3, r.stderr);
  assert.equal(hintOf(r.stderr), 'check the user and key: --user and --key, or CHACRA_USER and CHACRA_KEY (sent this time)');
  const conf = join(home.path, 'chacra.conf');
  writeFileSync(conf, `url = "${server.url}"\nuser = "admin"\nkey = "wrong"\n`, { mode: 0o600 });
  const f = await runCli(['--retries', '0', '--config', conf, 'project', 'create', 'p'], { home: home.path });
  assert.equal(hintOf(f.stderr), `check the user and key: --user and --key, CHACRA_USER and CHACRA_KEY, or user and key in ${conf} (sent this time)`);
});

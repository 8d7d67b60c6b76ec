// Bash completion as bash runs it: COMP_LINE and COMP_POINT as typed, and
// COMP_WORDS split at blanks and at bash's word breaks (= and :, inside URLs).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startPool } from '../../src/server/pool.js';
import { CLI, runCli, tempDir, testServer, writeFiles, type TempDir, type TestServer } from '../helpers/env.js';

const fx = {} as { server: TestServer; home: TempDir };
const T = 'ceph/main/1a2b3c/centos/9/x86_64';
let bin: string;
let script: string;

before(async () => {
  fx.server = await testServer();
  fx.home = tempDir();
  const env = { CHACRA_URL: fx.server.url, CHACRA_USER: 'admin', CHACRA_KEY: 'secret' };
  const src = join(fx.home.path, 'src');
  mkdirSync(src);
  const up = await runCli(['binary', 'create', T, ...writeFiles(src, { 'ceph-18.rpm': 30, 'ceph-common-18.rpm': 50 })], { home: fx.home.path, env });
  assert.equal(up.code, 0, up.stderr);
  const flavored = await runCli(['binary', 'create', `${T}/flavors/crimson`, ...writeFiles(src, { 'crimson-osd.rpm': 9 })], { home: fx.home.path, env });
  assert.equal(flavored.code, 0, flavored.stderr);
  bin = join(fx.home.path, 'completion-bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'chacractl'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, { mode: 0o755 });
  script = (await runCli(['completion', 'bash'], { home: fx.home.path })).stdout;
});

after(async () => {
  await fx.server?.stop();
  fx.home?.cleanup();
});

/** COMP_WORDS as bash makes them: split at blanks, then at = and : (kept as words of their own). */
function compWords(line: string): string[] {
  const words = line
    .split(/\s+/)
    .filter((w, i, all) => w !== '' || i === all.length - 1)
    .flatMap((w) => (w === '' ? [''] : w.split(/([=:])/).filter((p) => p !== '')));
  return words;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** What completing at the end of `line` offers, one reply per line. */
function complete(line: string, env: Record<string, string> = {}): Promise<string[]> {
  const words = compWords(line);
  const setup = [`COMP_LINE=${quote(line)}`, `COMP_POINT=${line.length}`, `COMP_WORDS=(${words.map(quote).join(' ')})`, `COMP_CWORD=${words.length - 1}`].join(
    '; ',
  );
  return new Promise((resolve, reject) =>
    execFile(
      'bash',
      ['-c', `${script}\n${setup}; _chacractl; printf '%s\\n' "\${COMPREPLY[@]}"`],
      { encoding: 'utf8', env: { PATH: `${bin}:${process.env.PATH}`, HOME: fx.home.path, CHACRA_URL: fx.server.url, ...env }, timeout: 20_000 },
      (err, stdout) => (err ? reject(err) : resolve(stdout.split('\n').filter(Boolean))),
    ),
  );
}

test('global options with a value before the command: the value is not taken for a command word', async () => {
  assert.deepEqual(await complete(`chacractl --url ${fx.server.url} binary `), ['create', 'delete', 'download', 'show']);
  assert.deepEqual(await complete('chacractl --log debug rep'), ['repo']);
  assert.deepEqual(await complete(`chacractl --url=${fx.server.url} -q bin`), ['binary']);
  assert.deepEqual(await complete(`chacractl --timeout 5s binary -j 2 cr`), ['create']);
  assert.deepEqual(await complete(`chacractl --url ${fx.server.url} ls ce`), ['ceph/']);
});

test('option values: log levels, and files for options that take a path', async () => {
  assert.deepEqual(await complete('chacractl --log d'), ['debug']);
  assert.deepEqual(await complete('chacractl ls --logging=w'), ['warning']);
  assert.deepEqual(await complete(`chacractl --config ${fx.home.path}/completion-b`), [`${fx.home.path}/completion-bin`]);
  assert.deepEqual(await complete('chacractl --url '), [], 'a URL is typed, not guessed');
});

test('binary names are complete without a trailing slash; levels go on with one', async () => {
  assert.deepEqual(await complete(`chacractl binary download ${T}/ceph-c`), [`${T}/ceph-common-18.rpm`]);
  assert.deepEqual(await complete(`chacractl binary show ${T}/flavors/crimson/c`), [`${T}/flavors/crimson/crimson-osd.rpm`]);
  assert.deepEqual(await complete(`chacractl ls ${T}/`), [`${T}/ceph-18.rpm`, `${T}/ceph-common-18.rpm`, `${T}/flavors/`]);
  assert.deepEqual(await complete(`chacractl ls ${T}/flavors/`), [`${T}/flavors/crimson/`, `${T}/flavors/default/`]);
  assert.deepEqual(await complete('chacractl binary create ceph/main/1a2b3c/centos/9/'), ['ceph/main/1a2b3c/centos/9/x86_64/']);
  assert.deepEqual(await complete(`chacractl binary create ${T}/`), [`${T}/flavors/`], 'a target, not a binary');
  assert.deepEqual(await complete(`chacractl exists binaries/${T}/ceph-`), [`binaries/${T}/ceph-18.rpm`, `binaries/${T}/ceph-common-18.rpm`]);
  assert.deepEqual(await complete('chacractl ls binaries/ce'), ['binaries/ceph/']);
});

test('a --url, --config or --shaman typed earlier on the line is where the names come from', async () => {
  const other = await testServer();
  try {
    const env = { CHACRA_URL: other.url, CHACRA_USER: 'admin', CHACRA_KEY: 'secret' };
    const [f] = writeFiles(fx.home.path, { 'other.rpm': 3 });
    assert.equal((await runCli(['binary', 'create', 'elsewhere/main/s/centos/9/x86_64', f!], { home: fx.home.path, env })).code, 0);
    // The environment names the first server; what is typed wins, as it does for the command.
    assert.deepEqual(await complete(`chacractl --url ${other.url} ls `), ['elsewhere/']);
    assert.deepEqual(await complete(`chacractl ls --url=${other.url} e`), ['elsewhere/']);
    assert.deepEqual(await complete(`chacractl --url ${fx.server.url} ls `), ['ceph/']);
    writeFileSync(join(fx.home.path, 'other.conf'), `url = "${other.url}"\n`, { mode: 0o600 });
    assert.deepEqual(await complete('chacractl --config ~/other.conf repo show ', { CHACRA_URL: '' }), ['elsewhere/']);
    assert.deepEqual(await complete('chacractl repo show ', { CHACRA_URL: '', CHACRACTL_CONFIG: join(fx.home.path, 'other.conf') }), ['elsewhere/']);
    // And shaman's pool, when --shaman is typed and no chacra url is set.
    const dir = tempDir('chacra-pool-');
    const pool = await startPool({
      dataDir: dir.path,
      nodes: 1,
      healthCheckDelayMs: 1,
      repoStepMs: 20,
      callbackRetryDelayMs: 10,
      user: 'admin',
      key: 'secret',
    });
    try {
      const pooled = {
        CHACRA_SHAMAN_URL: pool.shamanUrl,
        SHAMAN_API_USER: 'shaman',
        SHAMAN_API_KEY: 'shamankey',
        CHACRA_NODE_SCHEME: 'http',
        CHACRA_USER: 'admin',
        CHACRA_KEY: 'secret',
      };
      const up = await runCli(['binary', 'create', 'pooled/main/s/centos/9/x86_64', f!], { home: fx.home.path, env: pooled });
      assert.equal(up.code, 0, up.stderr);
      assert.deepEqual(await complete(`chacractl --shaman ${pool.shamanUrl} ls `, { CHACRA_URL: '', CHACRA_NODE_SCHEME: 'http' }), ['pooled/']);
    } finally {
      await pool.close();
      dir.cleanup();
    }
  } finally {
    await other.stop();
  }
});

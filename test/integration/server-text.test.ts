// Text a server chose reaches the terminal escaped: a repo document's fields
// with escape sequences or carriage returns are shown, not obeyed.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runCli, tempDir, type TempDir } from '../helpers/env.js';
import { type MisbehavingServer, startMisbehavingServer } from '../helpers/misbehaving-server.js';

const hostile = {
  project_name: 'ceph',
  ref: 'main',
  sha1: 's1',
  distro: 'centos',
  distro_version: '9',
  flavor: 'default\u001b]0;owned\u0007',
  type: 'rpm\u001b[2J',
  archs: ['x86_64\r'],
  path: '/r/\u009b31m',
  size: 0,
  signed: false,
  needs_update: false,
  is_queued: false,
  is_updating: false,
  modified: '2026-12-05\u001b[1A',
  extra: { note: '\u202eevil' },
};

let home: TempDir;
let server: MisbehavingServer;

before(async () => {
  home = tempDir();
  server = await startMisbehavingServer({ behaviour: { json: hostile } });
});
after(async () => {
  await server.close();
  home.cleanup();
});

test("repo show escapes the control characters of the server's document", async () => {
  const r = await runCli(['repo', 'show', 'ceph/main/s1/centos/9'], { home: home.path, env: { CHACRA_URL: server.url } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\\x1b\[2J/, 'shown, escaped');
  assert.doesNotMatch(r.stdout, /[\u001b\u0007\r\u009b\u202e]/, JSON.stringify(r.stdout));
});

test("build ls escapes the control characters of shaman's names", async () => {
  const shaman = await startMisbehavingServer({ behaviour: { json: ['main\u001b[2J', 'wip\rX'] } });
  try {
    const r = await runCli(['build', 'ls', 'ceph'], { home: home.path, env: { CHACRA_SHAMAN_URL: shaman.url } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /main\\x1b\[2J/);
    assert.doesNotMatch(r.stdout, /[\u001b\r]/, JSON.stringify(r.stdout));
  } finally {
    await shaman.close();
  }
});

test("node ls never prints a node name holding control characters: shaman's answer is refused, and said escaped", async () => {
  const host = 'evil\u001b[2J:8443';
  const shaman = await startMisbehavingServer({
    behaviour: { json: { [host]: { host, last_used: '2026-12-05 01:00:00.000000', last_check: '2026-12-05 01:00:00.000000', healthy: true, down_count: 0 } } },
  });
  try {
    const r = await runCli(['node', 'ls'], { home: home.path, env: { CHACRA_SHAMAN_URL: shaman.url } });
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /is not a node/);
    assert.doesNotMatch(r.stderr, /\u001b/, JSON.stringify(r.stderr));
  } finally {
    await shaman.close();
  }
});

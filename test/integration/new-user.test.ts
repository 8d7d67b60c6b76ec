// What a new user trips over on the command line: paths written as exists
// takes them, misspelled commands, and option values that look like options.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli, serverFixture, writeFiles } from '../helpers/env.js';

const fx = serverFixture();
const T = 'newuser/main/1a2b3c/centos/9/x86_64';
const cli = (args: string[]) => runCli(args, { home: fx.home.path, env: { CHACRA_URL: fx.server.url, CHACRA_USER: 'admin', CHACRA_KEY: 'secret' } });

test('binary create and ls take a leading binaries/ as exists does; ls takes repos/ too', async () => {
  const files = writeFiles(fx.home.path, { 'nu-1.rpm': 100 });
  const up = await cli(['binary', 'create', `binaries/${T}`, ...files]);
  assert.equal(up.code, 0, up.stderr);
  assert.equal((await cli(['exists', `binaries/${T}/nu-1.rpm`])).code, 0);
  const ls = await cli(['ls', `binaries/${T}`]);
  assert.equal(ls.code, 0, ls.stderr);
  assert.equal(ls.stdout, 'nu-1.rpm\n');
  assert.equal((await cli(['ls', 'binaries'])).stdout, (await cli(['ls'])).stdout);
  const repos = await cli(['ls', 'repos/newuser/main/1a2b3c/centos']);
  assert.equal(repos.code, 0, repos.stderr);
  assert.equal(repos.stdout, (await cli(['ls', '--repos', 'newuser/main/1a2b3c/centos'])).stdout);
  const both = await cli(['ls', '--repos', `binaries/${T}`]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--repos lists repos\//);
});

test('a misspelled command is a usage error that says which command was meant', async () => {
  const r = await cli(['binray', 'create', T, 'x.rpm']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command 'binray'; did you mean 'binary create'\?/);
});

test("--jobs -1 gets chacractl's own message, not node's", async () => {
  const r = await cli(['binary', 'create', '--jobs', '-1', T, 'x.rpm']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--jobs takes a whole number from 1, not "-1"/);
  assert.doesNotMatch(r.stderr, /ambiguous|Did you forget/);
});

// The README's "Exit status" table, command by command: the built chacractl
// against a server that gives every request one kind of wrong answer. 1 only
// when the thing was seen absent or the operation failed, 3 whenever no
// verdict could be had; stdout never holds what the server sent in place of
// a result, and stderr never a stack or "internal error".
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, serverFixture, tempDir, type TempDir, writeFiles } from '../helpers/env.js';
import { ANSWERS, type Answer, type Misbehaving, misbehaving } from '../helpers/misbehaving.js';

const T = 'ceph/main/s1/centos/9/x86_64';
const R = 'ceph/main/s1/centos/9';

interface Row {
  args: string[];
  /** shaman's commands are given the server as shaman. */
  shaman?: boolean;
  /** Where this command's status differs from the common one, and why (the README says so too). */
  except?: Partial<Record<Answer, number>>;
  /** stdout allowed when the command fails: its verdict ("does not exist"), or the lines and summary of a run of many files. */
  failureStdout?: RegExp;
  stdin?: string;
}

/**
 * The common verdict of each kind of answer: to a read, a 404 is "not there"
 * and no other answer a verdict; to a write, a 4xx other than 401/403 is the
 * server refusing it (1). Every command here reads first, save where it says.
 */
const COMMON: Record<Answer, number> = {
  '404': 1,
  '400': 3,
  '401': 3,
  '403': 3,
  '3xx': 3,
  '5xx': 3,
  html: 3,
  shape: 3,
  empty: 3,
  cut: 3,
  stall: 3,
  'stall-body': 3,
  refused: 3,
};

// HEAD has no body: a 200 is a verdict whatever body it announces.
const HEAD_200 = { shape: 0, empty: 0, cut: 0, 'stall-body': 0 } as const;

const ROWS: Row[] = [
  { args: ['ls', 'ceph'] },
  { args: ['ls', T] },
  { args: ['ls', '--repos', R] },
  { args: ['ls', `${T}/a.rpm`] },
  // Only a 404 says "does not exist".
  { args: ['exists', `binaries/${T}`], except: HEAD_200, failureStdout: /^(?:binaries\/\S+ does not exist\n)?$/ },
  { args: ['binary', 'show', `${T}/a.rpm`] },
  { args: ['search', '--name', 'a.rpm'] },
  // Its verdict is a 2xx (healthy, 0) or a 5xx (not healthy, 1): other answers are not chacra's health.
  { args: ['health'], except: { '404': 3, '5xx': 1, shape: 0, empty: 0 }, failureStdout: /^(?:|\S+ is not healthy: it answered 502 .*\n)$/ },
  { args: ['binary', 'create', T, 'a.rpm'], failureStdout: /^(?:FAILED\s.*\n)?0 uploaded, .*\n$/ },
  // A delete is done when the binary is gone: absent already is said on stderr, and exits 0. chacra answers 204 without a body (#88).
  // (It writes first: a 400 to its DELETE is the server refusing it.)
  { args: ['binary', 'delete', `${T}/a.rpm`], except: { '404': 0, '400': 1, shape: 0, empty: 0 } },
  { args: ['binary', 'download', `${T}/a.rpm`, '-o', 'out/'], failureStdout: /^(?:FAILED\s.*\n)?0 downloaded, .*\n$/ },
  // It asks with HEAD first whether the project is there.
  { args: ['project', 'create', 'newproj'], except: HEAD_200 },
  { args: ['repo', 'show', R] },
  { args: ['repo', 'update', R] },
  { args: ['repo', 'recreate', R] },
  { args: ['repo', 'set-raw', R] },
  { args: ['repo', 'delete', '--yes', R], except: { '404': 0 } },
  // The wait's --timeout bounds a poll in flight too: a server that never answers is no verdict (3) at the deadline.
  { args: ['repo', 'wait', '--timeout', '2s', '--interval', '100ms', R] },
  { args: ['repo', 'update', '--wait', '--timeout', '2s', '--interval', '100ms', R] },
  { args: ['repo', 'extra', R, '-'], stdin: '{"a": 1}' },
  // A raw repo's file is empty (#80).
  { args: ['repo', 'file', R], except: { empty: 0 } },
  // A URL on stdout only when shaman answered one; any other answer, 3.
  { args: ['node', 'next'], shaman: true, except: { '404': 3 } },
  { args: ['node', 'ls'], shaman: true },
  { args: ['locate', 'ceph'], shaman: true },
];

const servers = new Map<Answer, Misbehaving>();
let home: TempDir;

before(async () => {
  home = tempDir();
  writeFiles(home.path, { 'a.rpm': 100 });
  mkdirSync(join(home.path, 'out'));
  for (const kind of ANSWERS) servers.set(kind, await misbehaving(kind));
});

after(async () => {
  for (const s of servers.values()) await s.close();
  home.cleanup();
});

const label = (row: Row, kind: Answer) =>
  `${row.args.map((a) => (a === T ? 'TARGET' : a === R ? 'REPO' : a.startsWith(`${T}/`) ? `TARGET${a.slice(T.length)}` : a.startsWith('binaries/') ? 'binaries/TARGET' : a)).join(' ')} <- ${kind}`;

test('every command, every kind of answer: the exit status of the README table', { concurrency: 4 }, async (t) => {
  const runs: Promise<void>[] = [];
  for (const row of ROWS)
    for (const kind of ANSWERS) {
      const name = label(row, kind);
      const expected = row.except?.[kind] ?? COMMON[kind];
      const run = t.test(`${name}: exit ${expected}`, async () => {
        const url = servers.get(kind)!.url;
        const env = row.shaman
          ? { CHACRA_SHAMAN_URL: url, SHAMAN_API_USER: 'shaman', SHAMAN_API_KEY: 'shamankey', CHACRA_NODE_SCHEME: 'http' }
          : { CHACRA_URL: url, CHACRA_USER: 'admin', CHACRA_KEY: 'secret' };
        const r = await runCli(['--retries', '0', '--timeout', '1s', ...row.args], { home: home.path, env, stdin: row.stdin, timeoutMs: 20_000 });
        assert.equal(r.code, expected, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
        assert.doesNotMatch(r.stderr, /internal error|this is a bug|\n\s+at .*:\d+:\d+/, r.stderr);
        // Whatever the server sent, none of it as a result, and nothing that drives the terminal
        // (a run of many files quotes the server's words in its failed lines, escaped).
        assert.doesNotMatch(r.stdout, row.failureStdout ? /\[object Object\]|undefined|\x1b/ : /\[object Object\]|undefined|portal|<html|\x1b/i, r.stdout);
        if (expected !== 0) assert.match(r.stdout, row.failureStdout ?? /^$/, `stdout of a failure: ${r.stdout}`);
      });
      runs.push(run);
    }
  await Promise.all(runs);
});

describe('a run of many files: what one file meets, and what every file would', () => {
  const fx = serverFixture();
  const cli = (args: string[]) =>
    runCli(['--retries', '0', ...args], { home: fx.home.path, env: { CHACRA_URL: fx.server.url, CHACRA_USER: 'admin', CHACRA_KEY: 'secret' } });

  test('a redirect to the file itself stops the run: exit 3, for an upload and a download alike', async () => {
    writeFiles(fx.home.path, { 'r.rpm': 30 });
    assert.equal((await cli(['binary', 'create', 'runs/main/s/centos/9/x86_64', 'r.rpm'])).code, 0);
    fx.server.faults.add({ method: 'GET', path: 'r\\.rpm/$', action: { kind: 'status', status: 302 } });
    const down = await cli(['binary', 'download', 'runs/main/s/centos/9/x86_64/r.rpm', '-o', 'got/']);
    assert.equal(down.code, 3, down.stderr);
    fx.server.faults.add({ method: 'POST', action: { kind: 'status', status: 302 } });
    writeFiles(fx.home.path, { 'n.rpm': 40 });
    const up = await cli(['binary', 'create', 'runs/main/s/centos/9/x86_64', 'n.rpm']);
    assert.equal(up.code, 3, up.stderr);
  });

  test('a file the server fails (503 after its retries) fails the run, 1: the server was reached and said no to that file', async () => {
    fx.server.faults.add({ method: 'POST', action: { kind: 'status', status: 503 } });
    writeFiles(fx.home.path, { 'f.rpm': 50 });
    const up = await cli(['binary', 'create', 'runs/main/s2/centos/9/x86_64', 'f.rpm']);
    assert.equal(up.code, 1, up.stderr);
  });
});

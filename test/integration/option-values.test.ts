// Bad option values are usage errors (exit 2) said before anything runs: the
// server sees no request, whatever the command would have sent.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli, serverFixture, writeFiles } from '../helpers/env.js';

const fx = serverFixture();
const T = 'optvalues/main/1a2b3c/centos/9/x86_64';
const cli = (args: string[]) => runCli(args, { home: fx.home.path, env: { CHACRA_URL: fx.server.url, CHACRA_USER: 'admin', CHACRA_KEY: 'secret' } });

const cases: { name: string; args: () => string[]; message: RegExp }[] = [
  { name: '--retries x', args: () => ['ls', '--retries', 'x'], message: /--retries takes a whole number, not "x"/ },
  {
    name: '--timeout 5x',
    args: () => ['binary', 'create', '--timeout', '5x', T, ...writeFiles(fx.home.path, { 'a.rpm': 10 })],
    message: /--timeout takes a duration such as 30s, 5m or 90, not "5x"/,
  },
  {
    name: '--jobs 0',
    args: () => ['binary', 'create', '--jobs', '0', T, ...writeFiles(fx.home.path, { 'b.rpm': 10 })],
    message: /--jobs takes a whole number from 1, not "0"/,
  },
  {
    name: '--interval -1',
    args: () => ['repo', 'update', '--wait', '--interval', '-1', 'optvalues/main/1a2b3c/centos/9'],
    message: /--interval takes a duration/,
  },
  // Past a timer's 32 bits Node fires at once: the wait ended after 0.1 s saying it waited 2160000 s.
  {
    name: '--timeout 600h',
    args: () => ['repo', 'wait', '--timeout', '600h', 'optvalues/main/1a2b3c/centos/9'],
    message: /--timeout is at most 24 days, not "600h"/,
  },
  { name: '--interval 600h', args: () => ['repo', 'wait', '--interval', '600h', 'optvalues/main/1a2b3c/centos/9'], message: /--interval is at most 24 days/ },
  { name: '--retry-delay 600h', args: () => ['ls', '--retry-delay', '600h'], message: /--retry-delay is at most 24 days/ },
  // As each request's time, 0 timed every try out at once: the verdict depended on which try beat its timer.
  { name: '--timeout 0', args: () => ['exists', '--timeout', '0', `binaries/${T}`], message: /--timeout 0 leaves each request no time at all/ },
  { name: '--url ftp://x', args: () => ['exists', '--url', 'ftp://x', `binaries/${T}`], message: /--url takes an http or https URL/ },
  { name: '--retry-delay soon', args: () => ['binary', 'download', '--retry-delay', 'soon', `${T}/a.rpm`], message: /--retry-delay takes a duration/ },
  {
    name: '--log loud',
    args: () => ['search', '--name', 'x', '--log', 'loud'],
    message: /--log takes one of debug, info, warning, error, critical, not "loud"/,
  },
];

for (const c of cases)
  test(`${c.name}: exit 2, and no request`, async () => {
    const r = await cli(c.args());
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, c.message);
    assert.equal(fx.server.stats.total, 0, JSON.stringify(fx.server.stats.byMethod));
  });

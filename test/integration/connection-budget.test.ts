// One engine and one connection budget per client (#20): a run of files of
// mixed sizes, small ones read whole and large ones streamed, opens no more
// connections than its cap (2 × jobs + 1), where two engines with a pool each
// once opened 9 for `-j 2`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli, serverFixture, tempDir, writeFiles } from '../helpers/env.js';

const fx = serverFixture();

test('binary create -j 2 with small and large files opens at most 5 connections', async () => {
  const dir = tempDir('chacractl-budget-');
  try {
    const sizes: Record<string, number> = {};
    for (let i = 0; i < 8; i++) sizes[`small-${i}.rpm`] = 2000 + i;
    for (let i = 0; i < 4; i++) sizes[`large-${i}.rpm`] = 1024 * 1024 + 4096 * (i + 1);
    const files = writeFiles(dir.path, sizes);
    const r = await runCli(['binary', 'create', '-j', '2', 'budget/main/s1/centos/9/x86_64', ...files], {
      home: fx.home.path,
      env: { CHACRA_URL: fx.server.url, CHACRA_USER: 'admin', CHACRA_KEY: 'secret' },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(fx.server.stats.connections >= 1 && fx.server.stats.connections <= 5, `${fx.server.stats.connections} connections`);
  } finally {
    dir.cleanup();
  }
});

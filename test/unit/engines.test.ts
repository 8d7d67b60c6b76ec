// package.json's engines claims the Node.js lines CI tests, and no others:
// the machine's own (20) and those .ci/run fetches (scripts/node-runtime.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CI_NODE_LINES, SEA_NODE } from '../../scripts/node-runtime.js';

const root = resolve(fileURLToPath(import.meta.url), '../../../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } };

test('engines names one range per line CI runs the tests on', () => {
  const claimed = pkg.engines.node.split('||').map((range) => /^\s*\^(\d+)\.\d+\.\d+\s*$/.exec(range)?.[1]);
  const tested = ['20', ...CI_NODE_LINES.map((p) => p.version.split('.')[0])];
  assert.deepEqual(claimed, tested);
});

test('the single executable carries a Node.js line CI tests, the same on both platforms', () => {
  const lines = CI_NODE_LINES.map((p) => `${p.name}@${p.version}`);
  assert.ok(lines.includes(`${SEA_NODE['linux-x64'].name}@${SEA_NODE['linux-x64'].version}`));
  assert.equal(SEA_NODE['linux-arm64'].version, SEA_NODE['linux-x64'].version);
});

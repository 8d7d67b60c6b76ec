import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { grammar } from '../../src/cli/main.js';
import { referenceMarkdown, withReference } from '../../src/cli/reference.js';

test("the README's command reference is the one the definitions make (run npm run docs)", () => {
  const readme = readFileSync(join(resolve(dirname(fileURLToPath(import.meta.url)), '../../..'), 'README.md'), 'utf8');
  assert.equal(withReference(readme, referenceMarkdown(grammar)), readme);
});

test('every command and option appears in the reference and in --help', () => {
  const reference = referenceMarkdown(grammar);
  for (const c of grammar.commands) {
    assert.ok(reference.includes(`### chacractl ${c.path.join(' ')}`));
    const help = grammar.parse([...c.path, '--help']).help ?? '';
    for (const o of c.options) {
      assert.ok(reference.includes(`--${o}`), `${c.path.join(' ')} --${o} in the reference`);
      assert.ok(help.includes(`--${o}`), `${c.path.join(' ')} --${o} in --help`);
    }
  }
});

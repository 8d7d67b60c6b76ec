// The layers as the README draws them, checked on the sources: the library
// never reaches up into the CLI or speaks in exit statuses, and the local
// server shares with the rest only leaf modules that depend on node: alone.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../../../src');
const sources = (dir: string) => readdirSync(join(root, dir)).filter((f) => f.endsWith('.ts'));
const importsOf = (file: string) => [...readFileSync(join(root, file), 'utf8').matchAll(/^(?:import|export)[^'"]*from '([^']+)'/gm)].map((m) => m[1]!);
/** Leaf modules the server may share with the rest. */
const LEAVES = ['types.ts', 'file-sha512.ts'];

test('the local server imports, from outside src/server, only the leaf modules', () => {
  for (const file of sources('server'))
    for (const spec of importsOf(join('server', file)))
      if (spec.startsWith('../')) assert.ok(LEAVES.includes(spec.slice(3).replace(/\.js$/, '.ts')), `server/${file} imports ${spec}`);
});

test('the leaf modules depend on node: alone', () => {
  for (const leaf of LEAVES) for (const spec of importsOf(leaf)) assert.match(spec, /^node:/, `${leaf} imports ${spec}`);
});

test('the library neither imports the CLI nor carries exit statuses', () => {
  const library = [...['config', 'client', 'operations'].flatMap((dir) => sources(dir).map((f) => join(dir, f))), 'errors.ts'];
  for (const file of library) {
    for (const spec of importsOf(file)) assert.doesNotMatch(spec, /(^|\/)cli\//, `${file} imports ${spec}`);
    assert.doesNotMatch(readFileSync(join(root, file), 'utf8'), /\bexitCode\b/, `${file} speaks of exit codes`);
  }
});

// The schemas of the --json documents and the code that prints them stay one:
// a command without a schema (a new one) fails here, naming the file to add.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { ERROR_KINDS, envelope, JSON_SCHEMA_VERSION } from '../../src/cli/json.js';
import { grammar } from '../../src/cli/main.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const dir = join(root, `schemas/v${JSON_SCHEMA_VERSION}`);
const SHARED = ['chacra', 'chacractl', 'envelope', 'error'];
const read = (name: string) => JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as Record<string, unknown>;

/** Validates a document against schemas/vN/NAME.json, with the shared schemas it refers to. */
async function checker(): Promise<(name: string, doc: object) => boolean> {
  const { Ajv2020 } = await import('ajv/dist/2020.js');
  const ajv = new Ajv2020({ strict: true, strictTypes: false, strictRequired: false });
  for (const f of readdirSync(dir)) ajv.addSchema(read(f.replace(/\.json$/, '')));
  return (name, doc) => ajv.validate(`https://unpkg.com/chacractl/schemas/v${JSON_SCHEMA_VERSION}/${name}.json`, doc) as boolean;
}

test('one schema per command, and the shared ones, each with an $id that carries the version', () => {
  const files = readdirSync(dir).map((f) => f.replace(/\.json$/, ''));
  const commands = grammar.commands.map((c) => c.path.join('-'));
  for (const c of commands) assert.ok(files.includes(c), `schemas/v${JSON_SCHEMA_VERSION}/${c}.json is missing: copy a command's schema and list its fields`);
  assert.deepEqual(files.filter((f) => !commands.includes(f)).sort(), SHARED, 'a schema for no command');
  for (const f of files) {
    const schema = read(f);
    assert.equal(schema.$id, `https://unpkg.com/chacractl/schemas/v${JSON_SCHEMA_VERSION}/${f}.json`, f);
    if (!SHARED.includes(f)) {
      assert.deepEqual((schema.properties as { command: unknown }).command, { const: f === 'chacractl' ? null : f.replace('-', ' ') }, f);
      assert.equal(schema.$ref, 'envelope.json', f);
      assert.equal(schema.unevaluatedProperties, false, `${f}: an undocumented field must fail the contract test`);
    }
  }
});

test("the error kinds are the schema's", () => {
  const kinds = ((read('error').properties as { kind: { enum: string[] } }).kind.enum as string[]).slice().sort();
  assert.deepEqual(kinds, [...ERROR_KINDS].sort());
});

test('the package ships the schemas', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { files: string[] };
  assert.ok(pkg.files.includes('schemas/'), 'package.json files lists schemas/');
});

test("the envelope's fields are not replaced by a data field of the same name", () => {
  const doc = envelope('repo show', 3, null, { ok: true, exitCode: 0, command: 'x', error: null, path: '/p' });
  assert.deepEqual(doc, { command: 'repo show', ok: false, exitCode: 3, error: null, path: '/p' });
  assert.deepEqual(Object.keys(doc).slice(0, 4), ['command', 'ok', 'exitCode', 'error']);
});

test('the schemas refuse what breaks the contract', async () => {
  const check = await checker();
  const ok = { command: 'binary delete', ok: true, exitCode: 0, error: null };
  assert.equal(check('binary-delete', { ...ok, binaries: [{ path: 'p', deleted: true }] }), true);
  assert.equal(check('binary-delete', { ...ok, path: 'p', deleted: true }), false, 'the old object for one path');
  assert.equal(check('binary-delete', { ...ok }), false, 'its data missing on success');
  assert.equal(check('binary-delete', { ...ok, exitCode: 3 }), false, 'ok with a non-zero status');
  const failed = { command: 'binary delete', ok: false, exitCode: 3 };
  assert.equal(check('binary-delete', { ...failed, error: { kind: 'network', message: 'm', hint: null } }), true);
  assert.equal(check('binary-delete', { ...failed, error: null }), false, 'a failure without its error');
  assert.equal(check('binary-delete', { ...failed, error: { kind: 'NetworkError', message: 'm', hint: null } }), false, 'a class name for a kind');
  assert.equal(check('binary-delete', { ...failed, error: { kind: 'http', message: 'm', hint: null, key: 'k' } }), false, 'an unknown error field');
});

test("the build pipeline's documents are objects: a bare list, as the commands printed before the contract, is refused", async () => {
  const check = await checker();
  const head = (command: string, exitCode = 0, kind?: string) => ({
    command,
    ok: exitCode === 0,
    exitCode,
    error: kind ? { kind, message: 'm', hint: null } : null,
  });
  // What envelope() makes of a list: its items under "0", "1", ...
  const listed = (command: string, items: unknown[]) => ({ ...head(command), ...items });
  assert.equal(check('build-ls', { ...head('build ls'), refs: ['main'] }), true);
  assert.equal(check('build-ls', listed('build ls', ['main'])), false, 'build ls as a list');
  assert.equal(check('build-ls', { ...head('build ls'), refs: ['main'], sha1s: ['a'] }), false, 'two depths at once');
  assert.equal(check('build-ls', { ...head('build ls', 1, 'not-found'), builds: [] }), true);
  assert.equal(check('build-ls', head('build ls', 1, 'not-found')), false, 'none without the depth asked');
  assert.equal(
    check('build-update', {
      ...head('build update', 3, 'http'),
      sent: { url: 'u', log_url: null, status: 'started', ref: 'r', sha1: 's', flavor: 'f', extra: {} },
      answer: null,
    }),
    true,
  );
  assert.equal(
    check('build-update', { ...head('build update', 3, 'http'), answer: null, sent: {}, status: 401 }),
    false,
    'a hand-made error beside the envelope',
  );
  const repo = {
    platform: 'centos/9',
    node: 'n',
    project: 'p',
    ref: 'r',
    sha1: 's',
    flavor: 'f',
    distro: 'centos',
    archs: [],
    status: 'ready',
    url: 'u',
    chacra_url: 'c',
  };
  assert.equal(check('locate', { ...head('locate'), repos: [repo] }), true);
  assert.equal(check('locate', listed('locate', [repo])), false, 'locate --wait as a list');
  assert.equal(check('locate', { ...head('locate', 1, 'timeout'), repos: [], missing: [{ platform: 'centos/9', reason: 'no record' }] }), true);
});

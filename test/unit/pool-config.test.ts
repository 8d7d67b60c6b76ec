// The pool behind shaman in the configuration: where shaman's url and
// credentials come from, and when the pool is used instead of one chacra.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileNodeMemory } from '../../src/cli/node-memory.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { tempDir } from '../helpers/env.js';

test('shaman from the file, the environment Ceph jobs export, or --shaman; the chacra url still wins', async () => {
  const home = tempDir();
  try {
    const file = join(home.path, '.chacractl');
    writeFileSync(file, 'user = "u"\nkey = "k"\nshaman_url = "https://shaman.file"\nshaman_user = "fu"\nshaman_key = "fk"\n', { mode: 0o600 });
    const env = { HOME: home.path };
    let c = await resolveConfig({ flags: {}, env });
    assert.equal(c.url, undefined, 'no chacra url: the pool');
    assert.deepEqual(c.shaman, { url: 'https://shaman.file', user: 'fu', key: 'fk', sources: { url: 'file', user: 'file', key: 'file' } });
    assert.deepEqual(c.warnings, [], 'the shaman keys are known keys');
    c = await resolveConfig({ flags: {}, env: { ...env, CHACRA_SHAMAN_URL: 'http://shaman.env/', SHAMAN_API_USER: 'eu', SHAMAN_API_KEY: 'ek' } });
    assert.equal(c.shaman?.url, 'http://shaman.env');
    assert.equal(c.shaman?.user, 'eu');
    assert.equal(c.shaman?.key, 'ek');
    c = await resolveConfig({ flags: { shaman: 'https://shaman.flag' }, env });
    assert.equal(c.shaman?.url, 'https://shaman.flag');
    c = await resolveConfig({ flags: {}, env: { ...env, CHACRA_URL: 'https://chacra.env' } });
    assert.equal(c.url, 'https://chacra.env', 'a chacra url wins over shaman');
    assert.equal(c.shaman?.url, 'https://shaman.file');
  } finally {
    home.cleanup();
  }
});

test("with shaman in the environment and no config file, the pool is used: the first run's placeholder url does not win", async () => {
  const home = tempDir();
  try {
    const c = await resolveConfig({ flags: {}, env: { HOME: home.path, CHACRA_SHAMAN_URL: 'https://shaman.example', CHACRA_USER: 'u', CHACRA_KEY: 'k' } });
    assert.equal(c.url, undefined);
    assert.equal(c.shaman?.url, 'https://shaman.example');
  } finally {
    home.cleanup();
  }
});

test('a shaman url that is not http(s) is a configuration error', async () => {
  const home = tempDir();
  try {
    await assert.rejects(resolveConfig({ flags: { shaman: 'ftp://x' }, env: { HOME: home.path } }), /must start with http/);
  } finally {
    home.cleanup();
  }
});

test("the node memory keeps a build's node for a day, in a file, and forgets on request", () => {
  const home = tempDir();
  try {
    let now = 1_000_000;
    const path = join(home.path, 'state', 'nodes.json');
    const memory = fileNodeMemory(path, () => now);
    assert.equal(memory.get('p/r/s/centos/9/flavors/default'), undefined);
    memory.set('p/r/s/centos/9/flavors/default', 'https://a/');
    assert.equal(fileNodeMemory(path, () => now).get('p/r/s/centos/9/flavors/default'), 'https://a/', 'another process reads it');
    now += 23 * 3600 * 1000;
    assert.equal(memory.get('p/r/s/centos/9/flavors/default'), 'https://a/');
    now += 2 * 3600 * 1000;
    assert.equal(memory.get('p/r/s/centos/9/flavors/default'), undefined, 'a day later it is gone');
    memory.set('x', 'https://b/');
    memory.forget('x');
    assert.equal(memory.get('x'), undefined);
  } finally {
    home.cleanup();
  }
});

test('a node memory file holding what it never wrote is read as empty where it is, never a crash', () => {
  const home = tempDir();
  try {
    const now = 1_000_000;
    const path = join(home.path, 'nodes.json');
    writeFileSync(
      path,
      JSON.stringify({ a: null, b: { node: 'not a url', at: now }, c: 5, d: { node: 'https://d/', at: 'soon' }, e: { node: 'https://e/', at: now } }),
    );
    const memory = fileNodeMemory(path, () => now);
    for (const build of ['a', 'b', 'c', 'd']) assert.equal(memory.get(build), undefined, build);
    assert.equal(memory.get('e'), 'https://e/');
    memory.set('f', 'https://f/');
    memory.forget('e');
    assert.equal(memory.get('f'), 'https://f/');
    assert.equal(memory.get('e'), undefined);
  } finally {
    home.cleanup();
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codeCacheDir, commandWord } from '../../src/bin/code-cache.js';

test('the cache key is the first word that looks like a command', () => {
  assert.equal(commandWord(['exists', 'binaries/p']), 'exists');
  assert.equal(commandWord(['--url', 'https://chacra.example', '-j', '4', 'binary', 'create', 'p/r']), 'binary');
  assert.equal(commandWord(['--version']), 'none');
  assert.equal(commandWord([]), 'none');
  // Without the grammar an option's value can look like a command: a cache of its own, no harm.
  assert.equal(commandWord(['--log', 'debug', 'exists']), 'debug');
});

test('the cache lives under XDG_CACHE_HOME, else ~/.cache; off with NODE_DISABLE_COMPILE_CACHE or under coverage', () => {
  assert.equal(codeCacheDir({ HOME: '/home/u' }), '/home/u/.cache/chacractl');
  assert.equal(codeCacheDir({ HOME: '/home/u', XDG_CACHE_HOME: '/c' }), '/c/chacractl');
  assert.equal(codeCacheDir({ HOME: '/home/u', XDG_CACHE_HOME: '' }), '/home/u/.cache/chacractl');
  assert.equal(codeCacheDir({}), undefined);
  assert.equal(codeCacheDir({ HOME: '/home/u', NODE_DISABLE_COMPILE_CACHE: '1' }), undefined);
  assert.equal(codeCacheDir({ HOME: '/home/u', NODE_V8_COVERAGE: '/tmp/cov' }), undefined);
});

// The shapes of chacra's and shaman's answers, checked before use, the union
// of the nodes' listings, and how a server's text reaches the terminal.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shown } from '../../src/cli/format.js';
import { isHttpUrl, isShamanNode, listingKind, listingProblem, metadataProblem, nameProblem } from '../../src/client/shapes.js';
import { unionOfListings } from '../../src/operations/pool-reads.js';

const meta = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  project: 'ceph',
  ref: 'main',
  sha1: 's',
  distro: 'centos',
  distro_version: '9',
  arch: 'x86_64',
  flavor: 'default',
  size: 10,
  checksum: 'ab',
  modified: '2026-01-01 00:00:00.000000',
  ...extra,
});

test('the kind of a level, by its depth: names, binaries, a repo document, or one binary', () => {
  const at = (n: number, flavors?: number) => Array.from({ length: n }, (_, i) => (i === flavors ? 'flavors' : `s${i}`));
  assert.equal(listingKind('binaries', at(0)), 'names');
  assert.equal(listingKind('binaries', at(5)), 'names');
  assert.equal(listingKind('binaries', at(6)), 'binaries');
  assert.equal(listingKind('binaries', at(7)), 'binary');
  assert.equal(listingKind('binaries', at(7, 6)), 'names');
  assert.equal(listingKind('binaries', at(8, 6)), 'binaries');
  assert.equal(listingKind('binaries', at(9, 6)), 'binary');
  assert.equal(listingKind('repos', at(4)), 'names');
  assert.equal(listingKind('repos', at(5)), 'repo');
  assert.equal(listingKind('repos', at(6, 5)), 'names');
  assert.equal(listingKind('repos', at(7, 5)), 'repo');
});

test("chacra's listings pass (#55-#62), other shapes are named", () => {
  assert.equal(listingProblem('names', { ceph: ['main'], newproj: [] }), undefined);
  assert.equal(listingProblem('names', ['9']), undefined);
  assert.equal(listingProblem('names', {}), undefined);
  assert.equal(listingProblem('binaries', { 'a.rpm': meta('a.rpm') }), undefined);
  assert.match(listingProblem('names', [1, 2, 3])!, /is not a list of names/);
  assert.match(listingProblem('names', { ceph: { main: 1 } })!, /at "ceph": .* is not a list of names/);
  assert.match(listingProblem('names', null)!, /null is not a list of names/);
  assert.match(listingProblem('binaries', { 'a.rpm': { name: 'a.rpm' } })!, /is not a binary's metadata/);
  assert.match(listingProblem('binaries', [])!, /not an object of binaries/);
  assert.match(listingProblem('repo', { needs_update: true })!, /is not one/);
});

test('names no chacra path can hold are refused: empty, ".", "..", a slash', () => {
  for (const name of ['', '.', '..', 'a/b']) assert.ok(nameProblem(name), JSON.stringify(name));
  assert.equal(nameProblem('with space_1.0.deb'), undefined);
  assert.match(listingProblem('names', { '..': [] })!, /the name "\.\."/);
  assert.match(listingProblem('names', { ceph: ['.'] })!, /the name "\."/);
  assert.match(listingProblem('binaries', { '': meta('') })!, /an empty name/);
  assert.match(metadataProblem(meta('a.rpm', { arch: '..' }))!, /its arch is the name "\.\."/);
});

test("shaman's nodes and node URLs: a host, an http(s) URL with one", () => {
  assert.ok(isShamanNode({ host: '127.0.0.1:18463', healthy: true, down_count: 0, last_used: 'x', last_check: 'y' }));
  assert.ok(!isShamanNode({ host: 'evil/../x', healthy: true, down_count: 0, last_used: 'x', last_check: 'y' }));
  assert.ok(isHttpUrl('https://chacra.example/'));
  for (const bad of ['<html>', 'http://', 'ftp://h/', 'https://a b/', 'http://h:1:2/', 1]) assert.ok(!isHttpUrl(bad), String(bad));
});

test('the union of the nodes: names merged, each with the nodes that hold it', () => {
  const u = unionOfListings([
    { node: 'https://a/', data: { s1: ['centos'], s2: ['centos'] } },
    { node: 'https://b/', data: { s2: ['ubuntu'], s3: ['centos'] } },
  ]);
  assert.deepEqual(u.listing, { s1: ['centos'], s2: ['centos', 'ubuntu'], s3: ['centos'] });
  assert.deepEqual(u.holders, { s1: ['https://a/'], s2: ['https://a/', 'https://b/'], s3: ['https://b/'] });
  const lists = unionOfListings([
    { node: 'https://a/', data: ['9', '8'] },
    { node: 'https://b/', data: ['9'] },
  ]);
  assert.deepEqual(lists.listing, ['8', '9']);
  const binaries = unionOfListings([
    { node: 'https://a/', data: { 'a.rpm': meta('a.rpm') } },
    { node: 'https://b/', data: { 'b.rpm': meta('b.rpm') } },
  ]);
  assert.deepEqual(Object.keys(binaries.listing as object), ['a.rpm', 'b.rpm']);
  assert.deepEqual(binaries.holders, { 'a.rpm': ['https://a/'], 'b.rpm': ['https://b/'] });
  // The server's names are data: one that is also a name of JavaScript's objects is merged as any other.
  const odd = unionOfListings([
    { node: 'https://a/', data: ['__proto__', 'constructor'] },
    { node: 'https://b/', data: ['constructor'] },
  ]);
  assert.deepEqual(odd.listing, ['__proto__', 'constructor']);
  assert.deepEqual(Object.entries(odd.holders), [
    ['__proto__', ['https://a/']],
    ['constructor', ['https://a/', 'https://b/']],
  ]);
  const oddObjects = unionOfListings([
    { node: 'https://a/', data: JSON.parse('{"__proto__": ["x"], "toString": ["y"]}') as unknown },
    { node: 'https://b/', data: { toString: ['z'] } },
  ]);
  assert.deepEqual(Object.entries(oddObjects.listing as object), [
    ['__proto__', ['x']],
    ['toString', ['y', 'z']],
  ]);
});

test("a server's text on a terminal: control characters escaped, nothing else changed", () => {
  assert.equal(shown('\u001b[31mred\u001b[0m'), '\\x1b[31mred\\x1b[0m');
  assert.equal(shown('two\nlines\r\t'), 'two\\nlines\\r\\t');
  assert.equal(shown('\u009b2J \u202eevil'), '\\x9b2J \\u202eevil');
  assert.equal(shown('ünïcode with space_1.0.deb'), 'ünïcode with space_1.0.deb');
  assert.equal(shown('keeps\nlines\u0007', '\n'), 'keeps\nlines\\x07');
});

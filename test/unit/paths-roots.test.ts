// A leading binaries/ (or repos/), as exists takes paths, is accepted where
// the shape shows it is the root and not a project of that name.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBinaryRef, parseBinaryTarget, parseRepoRef } from '../../src/client/paths.js';

test('upload targets and binary paths may start with binaries/', () => {
  assert.deepEqual(parseBinaryTarget('binaries/ceph/main/1a2b/centos/9/x86_64'), parseBinaryTarget('ceph/main/1a2b/centos/9/x86_64'));
  assert.deepEqual(
    parseBinaryTarget('/binaries/ceph/main/1a2b/centos/9/x86_64/flavors/crimson/'),
    parseBinaryTarget('ceph/main/1a2b/centos/9/x86_64/flavors/crimson'),
  );
  assert.deepEqual(parseBinaryRef('binaries/p/r/s/d/v/a/n.rpm'), parseBinaryRef('p/r/s/d/v/a/n.rpm'));
  assert.deepEqual(parseBinaryRef('binaries/p/r/s/d/v/a/flavors/f/n.rpm'), parseBinaryRef('p/r/s/d/v/a/flavors/f/n.rpm'));
  assert.deepEqual(parseRepoRef('repos/p/r/s/d/v'), parseRepoRef('p/r/s/d/v'));
  assert.deepEqual(parseRepoRef('repos/p/r/s/d/v/flavors/f'), parseRepoRef('p/r/s/d/v/flavors/f'));
});

test('a project named binaries keeps its name where the shape fits without dropping it', () => {
  assert.equal(parseBinaryTarget('binaries/main/1a2b/centos/9/x86_64').project, 'binaries');
  assert.equal(parseBinaryRef('binaries/r/s/d/v/a/n.rpm').project, 'binaries');
  assert.equal(parseRepoRef('repos/r/s/d/v').project, 'repos');
  assert.equal(parseBinaryTarget('binaries/ceph/main/1a2b/centos/9').project, 'binaries');
  assert.throws(() => parseBinaryTarget('binaries/ceph/main/1a2b/centos'), /it has 5 segments/);
});

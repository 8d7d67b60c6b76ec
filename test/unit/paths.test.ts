import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodePath, parseBinaryRef, parseBinaryTarget, parseProjectName, parseRepoRef, targetSegments } from '../../src/client/paths.js';
import { UsageError } from '../../src/errors.js';

test('upload targets: 6 segments, or 8 with flavors/F; one leading or trailing slash tolerated', () => {
  assert.deepEqual(parseBinaryTarget('ceph/main/1a2b/centos/9/x86_64'), {
    project: 'ceph',
    ref: 'main',
    sha1: '1a2b',
    distro: 'centos',
    version: '9',
    arch: 'x86_64',
    flavor: undefined,
  });
  assert.equal(parseBinaryTarget('/ceph/main/1a2b/centos/9/x86_64/flavors/crimson/').flavor, 'crimson');
  assert.deepEqual(targetSegments(parseBinaryTarget('p/r/s/d/v/a/flavors/f')), ['p', 'r', 's', 'd', 'v', 'a', 'flavors', 'f']);
});

test('malformed URL parts are refused with the expected shape, before any request', () => {
  const cases = [
    'ceph/main/centos/9/x86_64', // the old 5-segment form (#34)
    'ceph/main/1a2b/centos/9/x86_64/extra',
    'ceph/main/1a2b/centos/9/x86_64/flavours/f',
    'ceph//1a2b/centos/9/x86_64',
    'ceph/main/../centos/9/x86_64',
    'ceph/main/./centos/9/x86_64',
    'ceph/main/1a2b/centos/9/x86\n64',
    'ceph/main/1a2b/centos/9%2Fx/x86_64',
    '',
  ];
  for (const input of cases)
    assert.throws(
      () => parseBinaryTarget(input),
      (err: unknown) => err instanceof UsageError && /expected PROJECT\/REF\/SHA1\/DISTRO\/VERSION\/ARCH/.test(err.hint ?? ''),
      input,
    );
});

test('binary paths and repo paths', () => {
  assert.equal(parseBinaryRef('p/r/s/d/v/a/name.rpm').name, 'name.rpm');
  assert.equal(parseBinaryRef('p/r/s/d/v/a/flavors/f/name.rpm').flavor, 'f');
  assert.throws(() => parseBinaryRef('p/r/s/d/v/a'), UsageError);
  assert.deepEqual(parseRepoRef('p/r/s/d/v'), { project: 'p', ref: 'r', sha1: 's', distro: 'd', version: 'v', flavor: undefined });
  assert.equal(parseRepoRef('p/r/s/d/v/flavors/f').flavor, 'f');
  assert.throws(() => parseRepoRef('p/r/s/d/v/a'), /expected PROJECT\/REF\/SHA1\/DISTRO\/VERSION\[\/flavors\/FLAVOR\]|6 segments/);
  assert.throws(() => parseProjectName('a/b'), UsageError);
});

test('every segment is percent-encoded as chacra expects (#42-#50)', () => {
  assert.equal(encodePath(['with space_1.0.deb']), 'with%20space_1.0.deb/');
  assert.equal(encodePath(['unicode-éè_1.0.deb']), 'unicode-%C3%A9%C3%A8_1.0.deb/');
  assert.equal(encodePath(['hash#sign_1.0.deb']), 'hash%23sign_1.0.deb/');
  assert.equal(encodePath(['pct%41_1.0.deb']), 'pct%2541_1.0.deb/');
  assert.equal(encodePath(['plus+sign_1.0.deb', 'q?']), 'plus%2Bsign_1.0.deb/q%3F/');
});

// Upload targets name new repos: segments that cannot make a usable repo URL
// are refused before anything is sent; what Ceph's builds use is taken.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBinaryTarget, parseProjectName, parseUploadTarget, repoSegmentProblem } from '../../src/client/paths.js';
import { UsageError } from '../../src/errors.js';

test("the targets Ceph's builds upload to are taken", () => {
  for (const target of [
    'ceph/main/1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b/centos/9/x86_64',
    'ceph/wip-yuriw-testing-2024-01-02-1234-reef/latest/ubuntu/jammy/amd64/flavors/crimson-debug',
    'ceph/v18.2.0/head/ubuntu/22.04/arm64',
    'nfs-ganesha-stable/V5.7/abc/centos/8.stream/noarch',
    'ceph-iscsi/release_3.6/abc/debian/bookworm/source',
    'ceph/main/abc/debian/12/amd64/flavors/notcmalloc',
    'samba/4.19.0+dfsg~bpo12+1/abc/debian/bookworm/all',
    'ceph/user@example/abc/centos/9/SRPMS',
  ])
    assert.deepEqual(parseUploadTarget(target), parseBinaryTarget(target), target);
  assert.equal(parseProjectName('ceph-medic'), 'ceph-medic');
});

test('a segment with a blank, $, #, ?, % or a quote is refused, naming its role and why', () => {
  assert.throws(
    () => parseUploadTarget('ceph/main/aaa 111/centos/9/x86_64'),
    (err: Error) =>
      err instanceof UsageError &&
      err.message ===
        `invalid upload target "ceph/main/aaa 111/centos/9/x86_64": its sha1 "aaa 111" has a space, which cannot make a usable repo: yum and apt read a repo's URL up to the first blank` &&
      /letters, digits and \. _ - \+ ~ @ = , : only/.test(err.hint ?? ''),
  );
  assert.throws(() => parseUploadTarget('ceph/main/abc/centos/9/x86_64/flavors/a\u00a0b'), /its flavor "a\u00a0b" has a blank/);
  assert.throws(() => parseUploadTarget('ceph/$releasever/abc/centos/9/x86_64'), /its ref "\$releasever" has "\$".*yum expands \$ in a baseurl/);
  for (const bad of ['a#b', 'a?b', 'a%20b', 'a"b', "a'b", 'a<b', 'a|b', 'é'])
    assert.throws(() => parseUploadTarget(`ceph/main/abc/centos/${bad}/x86_64`), /its version .* cannot make a usable repo/, bad);
  assert.throws(() => parseProjectName('my project'), /invalid project name "my project": it has a space/);
});

test('only new repos are held to it: a target the server holds already can still be read and deleted', () => {
  assert.equal(parseBinaryTarget('ceph/main/aaa 111/centos/9/x86_64').sha1, 'aaa 111');
  assert.equal(repoSegmentProblem('18.2.0-1.el9'), undefined);
});

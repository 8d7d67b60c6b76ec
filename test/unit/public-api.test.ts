// What the types of the library let a caller write: checked by the build's
// tsc (an unused @ts-expect-error fails it), and at run time below.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { UploadBinaryOptions, UploadOptions } from '../../src/index.js';

test("a batch's options do not pass for one upload's, which would drop jobs", () => {
  const batch: UploadOptions = { jobs: 8, force: true };
  // @ts-expect-error: jobs is uploadBinaries' option; ChacraClient.uploadBinary has none.
  const single: UploadBinaryOptions = batch;
  const own: UploadBinaryOptions = { force: batch.force };
  assert.equal(single.force, own.force);
});

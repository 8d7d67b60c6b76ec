import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import { runPool, runSignal } from '../../src/operations/pool.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('at most `limit` tasks hold a slot; released ones may run on up to maxInFlight', async () => {
  let holding = 0;
  let inFlight = 0;
  let maxHolding = 0;
  let maxInFlight = 0;
  await runPool([...Array(20).keys()], { limit: 3, maxInFlight: 5 }, async (_i, release) => {
    holding++;
    inFlight++;
    maxHolding = Math.max(maxHolding, holding);
    maxInFlight = Math.max(maxInFlight, inFlight);
    await tick(2);
    holding--;
    release();
    await tick(5);
    inFlight--;
  });
  assert.equal(maxHolding, 3);
  assert.equal(maxInFlight, 5);
});

test('items run in order, a failure stops new ones and is thrown after the others end', async () => {
  const started: number[] = [];
  await assert.rejects(
    runPool([0, 1, 2, 3, 4, 5], 2, async (i) => {
      started.push(i);
      await tick(1);
      if (i === 1) throw new Error('boom');
    }),
    /boom/,
  );
  assert.deepEqual(started.slice(0, 2), [0, 1]);
  assert.ok(started.length < 6);
});

test('stop() ends the intake', async () => {
  let n = 0;
  await runPool([...Array(10).keys()], { limit: 1, stop: () => n >= 3 }, async () => {
    n++;
  });
  assert.equal(n, 3);
});

test("a run's signal follows the caller's, and leaves nothing on it when the run is over", () => {
  const outer = new AbortController();
  // A service that runs uploads for hours under one signal: a listener per run would pile up (and warn past 10).
  const signals = Array.from({ length: 20 }, () => runSignal(outer.signal));
  assert.equal(getEventListeners(outer.signal, 'abort').length, 0);
  assert.ok(signals.every((s) => !s.aborted));
  outer.abort();
  assert.ok(signals.every((s) => s.aborted));
  assert.ok(runSignal(outer.signal).aborted, 'a signal aborted already gives an aborted run');
  assert.equal(runSignal(undefined).aborted, false);
});

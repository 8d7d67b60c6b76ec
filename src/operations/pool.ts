import { setMaxListeners } from 'node:events';

export interface PoolOptions {
  /** Tasks holding a slot at once. */
  limit: number;
  /**
   * Tasks started and not finished, released ones included; `limit` when
   * absent. A task may give its slot back early (see `release`) and go on.
   */
  maxInFlight?: number;
  /** Stops taking new items once it says so. */
  stop?: () => boolean;
}

/**
 * Runs `worker` over `items` in order, taking each only as a slot frees. Each task holds one of `limit` slots
 * until it finishes or calls `release()`: an upload releases its slot once
 * its body is sent, so the next file streams while the server works on the
 * last one, as long as no more than `maxInFlight` tasks are unfinished.
 */
export async function runPool<T>(items: Iterable<T>, options: PoolOptions | number, worker: (item: T, release: () => void) => Promise<void>): Promise<void> {
  const {
    limit,
    maxInFlight = typeof options === 'number' ? options : (options.maxInFlight ?? options.limit),
    stop = () => false,
  } = typeof options === 'number' ? { limit: options } : options;
  // Taken one at a time, only when a slot is free: an item not yet taken is the caller's still.
  const iterator = items[Symbol.iterator]();
  let holding = 0;
  let inFlight = 0;
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const nudge = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  while (!stop() && failure === undefined) {
    if (holding >= Math.max(1, limit) || inFlight >= Math.max(1, maxInFlight)) {
      await new Promise<void>((resolve) => (wake = resolve));
      continue;
    }
    const next = iterator.next();
    if (next.done) break;
    const item = next.value;
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      holding--;
      nudge();
    };
    holding++;
    inFlight++;
    const task = worker(item, release)
      .catch((error: unknown) => {
        failure ??= { error };
      })
      .finally(() => {
        release();
        inFlight--;
        running.delete(task);
        nudge();
      });
    running.add(task);
  }
  await Promise.all(running);
  if (failure) throw failure.error;
}

/**
 * A signal that follows `outer` and takes any number of listeners: a run
 * puts one on it per request in flight, more than EventEmitter's default 10.
 */
export function runSignal(outer: AbortSignal | undefined): AbortSignal {
  // AbortSignal.any holds no listener on `outer`: a caller's signal that outlives many runs keeps none of them.
  const inner = outer ? AbortSignal.any([outer]) : new AbortController().signal;
  setMaxListeners(0, inner);
  return inner;
}

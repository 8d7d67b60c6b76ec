// The deadline of a wait (repo wait, locate --wait) as a signal that every
// request of the wait is given: a request in flight when the wait's time is up
// is cut there, so that --timeout 10s holds within a few seconds whatever the
// server does, instead of after the transport's own tries (4 x 30 s).
import { setMaxListeners } from 'node:events';
import { InterruptedError, NetworkError } from '../errors.js';

export class Deadline {
  readonly at: number;
  /** Aborted at the deadline, or when the caller's signal is. */
  readonly signal: AbortSignal;
  private readonly expiry = new AbortController();
  private readonly timer: NodeJS.Timeout | undefined;

  /** 0 is no deadline: one look, never cut. `startedAt`: when the wait's time began, if before now. */
  constructor(
    readonly timeoutMs: number,
    private readonly outer?: AbortSignal,
    startedAt = Date.now(),
  ) {
    this.at = startedAt + timeoutMs;
    if (timeoutMs > 0) {
      this.timer = setTimeout(() => this.expiry.abort(), Math.max(0, this.at - Date.now()));
      // A wait that ended otherwise never keeps the process alive for its deadline.
      this.timer.unref();
    }
    this.signal = outer ? AbortSignal.any([outer, this.expiry.signal]) : this.expiry.signal;
    // Every request of a look holds a listener on it (a dozen platforms, each node of a pool): not a leak past 10.
    setMaxListeners(0, this.signal);
  }

  /** Milliseconds left, 0 once passed. */
  left(): number {
    return Math.max(0, this.at - Date.now());
  }

  /** Whether `err` is the deadline cutting what was in flight, rather than the caller's own interruption or a failure. */
  cut(err: unknown): boolean {
    return this.expiry.signal.aborted && this.outer?.aborted !== true && err instanceof InterruptedError;
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}

/**
 * The server gave no answer at all before the wait's deadline: no verdict on
 * the thing waited for (the command line's 3), unlike a wait that saw it not
 * ready until the deadline.
 */
export function noAnswerBefore(deadline: Deadline, method: string, url: string, what: string): NetworkError {
  return new NetworkError({
    method,
    url,
    kind: 'timeout',
    code: 'wait-deadline',
    reason: `no answer within the wait's ${formatSeconds(deadline.timeoutMs)}: ${what}`,
    hint: 'whether it is ready is unknown: is the server up? wait longer if it is only slow',
  });
}

export function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

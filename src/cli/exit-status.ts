// The exit status each kind of failure earns. Scripts branch on these (the
// README's "Exit status" table), so they are the command line's promise, not
// the library's: errors carry what happened, and only this decides how a run
// ends. 3 means "no verdict": whether the thing asked about is there or went
// well is unknown, because the server could not be asked.
import { NoHealthyNodeError } from '../client/shaman.js';
import { type ChacraError, ConfigError, ExitCode, HttpError, InterruptedError, NetworkError, UsageError } from '../errors.js';
import { PoolNoVerdictError } from '../operations/pool-reads.js';
import { NoVerdictError } from './no-verdict.js';

export function exitStatusOf(err: ChacraError): ExitCode {
  if (err instanceof UsageError || err instanceof ConfigError) return ExitCode.usage;
  if (err instanceof NetworkError) return ExitCode.unreachable;
  // shaman's 404 here says the pool has no node to take writes, not that something is missing.
  if (err instanceof NoHealthyNodeError) return ExitCode.unreachable;
  // A node of the pool could not be asked: what it holds is unknown.
  if (err instanceof PoolNoVerdictError || err instanceof NoVerdictError) return ExitCode.unreachable;
  if (err instanceof HttpError) return httpExitStatus(err.method, err.status);
  if (err instanceof InterruptedError) return ExitCode.interrupted;
  // Verification, local files, a repo wait that timed out: the operation was tried and failed.
  return ExitCode.failed;
}

/**
 * A status the operation could not accept: no verdict when the server refused
 * the credentials, throttled, failed, or answered something that is not
 * chacra's (a redirect, a captive portal's 200). To a read, only a 404 is a
 * verdict ("not there"): chacra answers no other 4xx to a GET or a HEAD, so
 * one comes from something else on the way (nginx's 400 to plain HTTP on its
 * TLS port). To a write, a 4xx is the server refusing it: the operation failed.
 */
function httpExitStatus(method: string, status: number): ExitCode {
  const read = method === 'GET' || method === 'HEAD';
  const noVerdict = status < 400 || status === 401 || status === 403 || status === 429 || status >= 500 || (read && status !== 404);
  return noVerdict ? ExitCode.unreachable : ExitCode.failed;
}

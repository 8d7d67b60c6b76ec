// A failure as the error object of a --json document: loaded only when a
// run fails, as it knows the errors of every operation.
import { ChacraError, ConfigError, FileError, HttpError, InterruptedError, NetworkError, UsageError, VerificationError } from '../errors.js';
import { BuildWaitTimeout } from '../operations/build-wait.js';
import { PoolNoVerdictError } from '../operations/pool-reads.js';
import { RepoWaitTimeout } from '../operations/repo-wait.js';
import { CommandFailure, type ErrorKind, type JsonError } from './json.js';
import { NoLatestRepoError } from './latest.js';
import { NoVerdictError } from './no-verdict.js';

/** The failure that decided: a question left open names its cause; a pool's, its first node's. */
function causeOf(err: unknown): unknown {
  if (err instanceof NoVerdictError) return causeOf(err.cause);
  if (err instanceof PoolNoVerdictError && err.failures[0]) return causeOf(err.failures[0].error);
  return err;
}

function kindOf(err: unknown): ErrorKind {
  if (err instanceof CommandFailure) return err.kind;
  if (err instanceof UsageError) return 'usage';
  if (err instanceof ConfigError) return 'config';
  if (err instanceof HttpError) return 'http';
  if (err instanceof NetworkError) return 'network';
  if (err instanceof VerificationError) return 'verification';
  if (err instanceof FileError) return 'file';
  if (err instanceof InterruptedError) return 'interrupted';
  if (err instanceof RepoWaitTimeout || err instanceof BuildWaitTimeout) return 'timeout';
  // repo file P/REF/latest/...: no ready repo answers for it.
  if (err instanceof NoLatestRepoError) return 'not-found';
  return err instanceof ChacraError ? 'failed' : 'internal';
}

/**
 * The error object of a document. The advice is the one stderr shows; a key
 * never appears: the message and URLs go through the logger's redaction.
 */
export function jsonError(err: unknown, hint: string | undefined, redact: (text: string) => string): JsonError {
  const message = err instanceof Error ? err.message : String(err);
  err = causeOf(err);
  const kind = kindOf(err);
  const out: JsonError = {
    kind,
    message: redact(kind === 'internal' ? `internal error: ${message}` : message),
    hint: hint === undefined ? null : redact(hint),
  };
  if (err instanceof HttpError) {
    out.method = err.method;
    out.url = redact(err.url);
    out.status = err.status;
    out.serverMessage = err.serverMessage === undefined ? null : redact(err.serverMessage);
  } else if (err instanceof NetworkError) {
    out.method = err.method;
    out.url = redact(err.url);
    out.network = err.kind;
  } else if (err instanceof ConfigError) {
    if (err.file !== undefined) out.file = err.file;
    if (err.line !== undefined) out.line = err.line;
    if (err.setting !== undefined) out.setting = err.setting;
  } else if (err instanceof CommandFailure && err.status !== undefined) out.status = err.status;
  return out;
}

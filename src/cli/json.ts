// The --json contract: whatever a command does, its run ends in exactly one
// JSON document on stdout, of one shape per command (schemas/*.json, shipped
// in the package). Commands give only their data (Context.printJson) and,
// when they end non-zero without throwing, why (Context.failure); main()
// wraps either in the envelope: command, ok, exitCode, error.
import { ChacraError, ConfigError, FileError, HttpError, InterruptedError, NetworkError, UsageError, VerificationError } from '../errors.js';
import { RepoWaitTimeout } from '../operations/repo-wait.js';

/** The version of every schema's $id (schemas/v1/...): raised, and noted in the CHANGELOG, when a document changes incompatibly. */
export const JSON_SCHEMA_VERSION = 1;

/**
 * What kind of failure, for a script to branch on: the classes of errors.ts,
 * plus `timeout` (a wait that ran out), `not-found` (the thing asked about is
 * not there: exists, ls, search, locate), `failed` (some files of a run did
 * not make it), `internal` (a bug of chacractl).
 */
export const ERROR_KINDS = ['usage', 'config', 'http', 'network', 'verification', 'file', 'interrupted', 'timeout', 'not-found', 'failed', 'internal'] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

export interface JsonError {
  kind: ErrorKind;
  message: string;
  /** What to do next, as stderr's "hint:" line says it; null when there is nothing to add. */
  hint: string | null;
  /** The request that failed (http, network): its method and URL, never with credentials. */
  method?: string;
  url?: string;
  /** http: the status and the server's own words. */
  status?: number;
  serverMessage?: string | null;
  /** network: refused, dns, connect-timeout, timeout, closed, tls or other. */
  network?: string;
  /** config: the file and line at fault, and the setting. */
  file?: string;
  line?: number;
  setting?: string;
}

/** A failure a command reports by its exit status rather than a throw: exists of a missing path, files that failed. */
export class CommandFailure extends ChacraError {
  constructor(
    readonly kind: 'not-found' | 'failed' | 'http',
    message: string,
    options: { hint?: string; status?: number } = {},
  ) {
    super(message, { hint: options.hint });
    this.status = options.status;
  }
  readonly status: number | undefined;
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
  if (err instanceof RepoWaitTimeout) return 'timeout';
  return err instanceof ChacraError ? 'failed' : 'internal';
}

/**
 * The error object of a document. The advice is the one stderr shows; a key
 * never appears: the message and URLs go through the logger's redaction.
 */
export function jsonError(err: unknown, hint: string | undefined, redact: (text: string) => string): JsonError {
  const kind = kindOf(err);
  const message = err instanceof Error ? err.message : String(err);
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

/**
 * The document: the envelope first, then the command's data. A data field
 * named like an envelope field (a server's document could hold one) does not
 * replace it.
 */
export function envelope(command: string | null, exitCode: number, error: JsonError | null, data: object | undefined): Record<string, unknown> {
  const head = { command, ok: exitCode === 0, exitCode, error };
  return Object.assign({}, head, data ?? {}, head);
}

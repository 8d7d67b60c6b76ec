// The --json contract: whatever a command does, its run ends in exactly one
// JSON document on stdout, of one shape per command (schemas/*.json, shipped
// in the package). Commands give only their data (Context.printJson) and,
// when they end non-zero without throwing, why (Context.failure); main()
// wraps either in the envelope: command, ok, exitCode, error.
import { ChacraError } from '../errors.js';

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
    readonly kind: 'not-found' | 'failed' | 'http' | 'timeout',
    message: string,
    options: { hint?: string; status?: number } = {},
  ) {
    super(message, { hint: options.hint });
    this.status = options.status;
  }
  readonly status: number | undefined;
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

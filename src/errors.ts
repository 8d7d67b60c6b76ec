// One error class per kind of failure. Each carries what a user needs to act
// and what a caller needs to decide (the request, the status, the kind of
// network failure), never an exit status: the CLI alone turns errors into
// those (src/cli/exit-status.ts), so a library caller is not told how a
// command line would end.

/**
 * The command line's exit statuses, by name. They live here rather than in
 * src/cli because the executable (src/bin) answers --version and a second
 * Ctrl-C with them before it loads the CLI.
 */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  unreachable: 3,
  /** Stopped by SIGINT (Ctrl-C): 128 + 2. */
  interrupted: 130,
  /** Stopped by SIGTERM: 128 + 15. */
  terminated: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export abstract class ChacraError extends Error {
  /** What the user can do about it, shown under the message. */
  readonly hint: string | undefined;

  constructor(message: string, options: { hint?: string | undefined; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
}

/** The command line does not make sense: unknown command, bad option, malformed URL part. */
export class UsageError extends ChacraError {}

/** The configuration is missing, unreadable or invalid. */
export class ConfigError extends ChacraError {
  readonly file: string | undefined;
  readonly line: number | undefined;
  /** The setting at fault, such as "ca", when it is one. */
  readonly setting: string | undefined;
  constructor(message: string, options: { file?: string; line?: number; setting?: string; hint?: string; cause?: unknown } = {}) {
    const where = options.file ? `${options.file}${options.line ? `:${options.line}` : ''}: ` : '';
    super(where + message, options);
    this.file = options.file;
    this.line = options.line;
    this.setting = options.setting;
  }
}

export interface HttpErrorDetails {
  method: string;
  /** The request URL with any credentials removed. */
  url: string;
  status: number;
  /** The JSON `message` of the answer, or the title of an HTML error page. */
  serverMessage?: string | undefined;
  hint?: string | undefined;
  /** The answer's Retry-After, when it sent one: when a throttled request may be tried again. */
  retryAfter?: string | undefined;
}

/** The server answered with a status that the operation cannot accept. */
export class HttpError extends ChacraError {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly serverMessage: string | undefined;
  readonly retryAfter: string | undefined;

  constructor(details: HttpErrorDetails, message?: string) {
    super(message ?? `${details.method} ${details.url} answered ${details.status}` + (details.serverMessage ? `: ${details.serverMessage}` : ''), {
      hint: details.hint ?? hintForStatus(details.status),
    });
    this.method = details.method;
    this.url = details.url;
    this.status = details.status;
    this.retryAfter = details.retryAfter;
    this.serverMessage = details.serverMessage;
  }
}

/** Why an answer is not one chacra (or shaman) sends. */
export type UnexpectedAnswer = 'empty' | 'not-json' | 'too-large' | 'shape';

/**
 * The server answered with a status the operation accepts, but the answer is
 * not what chacra sends: an empty body where JSON is due, a page of HTML, JSON
 * of another shape, more than a listing may hold. An HttpError (with the
 * status it came with, usually 200) so that callers and the CLI treat it as
 * an answer that gives no verdict: a proxy or another server answering in
 * chacra's place, or a broken server. Never retried.
 */
export class UnexpectedAnswerError extends HttpError {
  readonly kind: UnexpectedAnswer;
  /** `kind` is 'shape' unless said: JSON, but not of the shape the endpoint answers. */
  constructor(details: HttpErrorDetails & { kind?: UnexpectedAnswer | undefined }, message: string) {
    super({ ...details, hint: details.hint ?? 'is the url that of a chacra server, and is no proxy answering in its place?' }, message);
    this.kind = details.kind ?? 'shape';
  }
}

function hintForStatus(status: number): string | undefined {
  if (status >= 300 && status < 400) return 'the server redirects elsewhere, which is not followed: check the url (http or https, host, path)';
  if (status === 401 || status === 403) return 'check the user and key';
  if (status >= 500) return 'the server failed; try again later or ask its administrators';
  return undefined;
}

/**
 * What kind of network failure, in the same words whatever engine carried the
 * request: for callers to decide, and for the CLI to advise.
 * - refused, dns, connect-timeout: no connection (nothing was sent);
 * - timeout: the server stayed silent, or its headers did not all come, within the timeout;
 * - closed: the connection ended before the answer did (before the headers, or a body cut short);
 * - tls: the TLS handshake failed (a certificate, or an https:// URL for a port that speaks plain HTTP);
 * - protocol: the bytes are not HTTP (a broken chunk, a body longer than its
 *   Content-Length, an http:// URL for a port that speaks TLS);
 * - other: anything else, such as a proxy that wants credentials.
 */
export type NetworkFailure = 'refused' | 'dns' | 'connect-timeout' | 'timeout' | 'closed' | 'tls' | 'protocol' | 'other';

/** The proxy a request went through, and where its address came from. */
export interface ProxyInfo {
  /** host:port of the proxy, never its credentials. */
  host: string;
  /** The environment variable that named it, such as https_proxy. */
  variable?: string | undefined;
}

/** The server could not be reached, or the connection failed mid-request. */
export class NetworkError extends ChacraError {
  readonly method: string;
  readonly url: string;
  readonly code: string | undefined;
  readonly kind: NetworkFailure;
  /** What went wrong, without the request: "connection refused by host:port". */
  readonly reason: string;
  /** Set when the failure was the proxy's (unreachable, or it would not open a tunnel), not the server's. */
  readonly proxy: ProxyInfo | undefined;
  constructor(details: {
    method: string;
    url: string;
    code?: string | undefined;
    kind?: NetworkFailure;
    reason: string;
    hint?: string | undefined;
    cause?: unknown;
    proxy?: ProxyInfo | undefined;
  }) {
    super(`${details.method} ${details.url} failed: ${details.reason}`, {
      hint: details.hint,
      cause: details.cause,
    });
    this.method = details.method;
    this.url = details.url;
    this.code = details.code;
    this.kind = details.kind ?? 'other';
    this.reason = details.reason;
    this.proxy = details.proxy;
  }
}

/** What the server holds is not what was sent, or a download is not what the server listed. */
export class VerificationError extends ChacraError {}

/** A local file or directory the command needs is missing or unusable. */
export class FileError extends ChacraError {}

/** The run was stopped by SIGINT or SIGTERM. */
export class InterruptedError extends ChacraError {
  constructor(message = 'interrupted') {
    super(message);
  }
}

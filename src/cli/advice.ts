// What to do next, in the command line's own words. The library's errors carry
// data (their class, HTTP status, kind of network failure) and a neutral hint;
// only here do flags, environment variables and ~/.chacractl get named.
import { type ChacraError, ConfigError, ExitCode, HttpError, NetworkError } from '../errors.js';
import { RepoWaitTimeout } from '../operations/repo-wait.js';
import { stoppedStatus, type Context } from './context.js';
import { exitStatusOf } from './exit-status.js';

/**
 * The exit status of a run of many files (binary create, binary download): a
 * signal's, the failure that stopped it (with its message and advice said on
 * stderr), or 1 when some file did not make it.
 */
export function runStatus(ctx: Pick<Context, 'logger' | 'signal'>, run: { interrupted: boolean; fatal: ChacraError | undefined }, allWent: boolean): number {
  if (run.interrupted) return stoppedStatus(ctx.signal);
  if (run.fatal) {
    ctx.logger.error(run.fatal.message);
    const hint = advice(run.fatal);
    if (hint) ctx.logger.error(`hint: ${hint}`);
    return exitStatusOf(run.fatal);
  }
  return allWent ? ExitCode.ok : ExitCode.failed;
}

export function advice(err: ChacraError): string | undefined {
  if (err instanceof HttpError) {
    if (err.status === 401 || err.status === 403)
      return 'check the user and key: --user and --key, CHACRA_USER and CHACRA_KEY, or user and key in ~/.chacractl';
    if (err.status >= 300 && err.status < 400)
      return 'the server redirects elsewhere, which chacractl does not follow: check --url or url in ~/.chacractl (http or https, host, path)';
  }
  if (err instanceof NetworkError) {
    if (err.proxy) {
      const named = err.proxy.variable
        ? `the proxy ${err.proxy.host} comes from ${err.proxy.variable}`
        : `the request went through the proxy ${err.proxy.host}`;
      let host = '';
      try {
        host = new URL(err.url).hostname;
      } catch {
        // a URL the client made; kept whole in the message anyway
      }
      if (err.kind === 'other') return `${named}: give its user and password in it (http://USER:PASSWORD@${err.proxy.host})`;
      return `${named}: check it, or add ${host || 'the server'} to NO_PROXY to connect directly`;
    }
    switch (err.kind) {
      case 'dns':
        return 'check the url (--url, CHACRA_URL or url in ~/.chacractl) and your DNS';
      case 'timeout':
        return 'the server stayed silent for the whole --timeout (default 30s) on each of its 1 + --retries tries: raise --timeout if it is only slow';
      case 'tls':
        // An https:// URL for a port that speaks plain HTTP: no CA would help.
        if (err.code === 'plain-port') return err.hint;
        return 'pass --ca /path/to/ca.pem (or ssl_verify = "/path/to/ca.pem" in ~/.chacractl) for a private CA; --insecure turns the check off';
    }
  }
  if (err instanceof ConfigError && err.setting === 'ca') return 'give the path of a PEM file with --ca or ssl_verify = "/path/to/ca.pem" in ~/.chacractl';
  if (err instanceof RepoWaitTimeout)
    return 'raise --timeout, or look at the server: repos build one at a time and some projects are never built automatically';
  return err.hint;
}

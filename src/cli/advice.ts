// What to do next, in the command line's own words. The library's errors carry
// data (their class, HTTP status, kind of network failure) and a neutral hint;
// only here do flags, environment variables and ~/.chacractl get named.
import type { ResolvedConfig, Source } from '../config/resolve.js';
import { type ChacraError, ConfigError, ExitCode, HttpError, NetworkError } from '../errors.js';
import { PoolNoVerdictError } from '../operations/pool-reads.js';
import { RepoWaitTimeout } from '../operations/repo-wait.js';
import { stoppedStatus, type Context } from './context.js';
import { exitStatusOf } from './exit-status.js';
import { CommandFailure } from './json.js';
import { NoVerdictError } from './no-verdict.js';

/**
 * The exit status of a run of many files (binary create, binary download): a
 * signal's, the failure that stopped it (with its message and advice said on
 * stderr), or 1 when some file did not make it.
 */
export function runStatus(
  ctx: Pick<Context, 'logger' | 'signal' | 'failure' | 'settings'>,
  run: { interrupted: boolean; fatal: ChacraError | undefined },
  allWent: boolean,
): number {
  if (run.interrupted) return stoppedStatus(ctx.signal);
  if (run.fatal) {
    ctx.logger.fatal(run.fatal.message);
    const hint = advice(run.fatal, ctx.settings());
    if (hint) ctx.logger.fatal(`hint: ${hint}`);
    ctx.failure(run.fatal);
    return exitStatusOf(run.fatal);
  }
  if (allWent) return ExitCode.ok;
  ctx.failure(new CommandFailure('failed', 'some files did not make it: each is named on standard error and in files[]'));
  return ExitCode.failed;
}

/**
 * What advice needs of the settings in use: the config file, and whether it
 * exists (a file that does not is never named), shaman's url (to tell its
 * refusals from chacra's), and where each credential came from.
 */
export type AdviceSettings = Pick<ResolvedConfig, 'file' | 'fileExists' | 'shaman' | 'sources' | 'key'>;

/**
 * The settings that give credentials, the one whose were sent marked: "--user
 * and --key, CHACRA_USER and CHACRA_KEY (sent), or user and key in FILE".
 * The config file is named only when it exists.
 */
function credentialSettings(settings: AdviceSettings | undefined, shaman: boolean): string {
  const places: [Source, string][] = shaman
    ? [['env', 'SHAMAN_API_USER and SHAMAN_API_KEY']]
    : [
        ['flag', '--user and --key'],
        ['env', 'CHACRA_USER and CHACRA_KEY'],
      ];
  if (settings === undefined || settings.fileExists)
    places.push(['file', `${shaman ? 'shaman_user and shaman_key' : 'user and key'} in ${settings?.file ?? 'the config file'}`]);
  const sentKey = shaman ? settings?.shaman?.key : settings?.key;
  const sent = sentKey === undefined ? undefined : shaman ? settings?.shaman?.sources.key : settings?.sources.key;
  const texts = places.map(([source, text]) => (source === sent ? `${text} (sent this time)` : text));
  const list = texts.length === 1 ? texts[0]! : `${texts.slice(0, -1).join(', ')}, or ${texts.at(-1)!}`;
  if (settings !== undefined && sentKey === undefined) return `none was sent: set ${list}`;
  return sent === 'url' ? `${list}; the user:key of the url was sent this time` : list;
}

/** Whether the request went to shaman rather than to a chacra server or node. */
function toShaman(err: HttpError | NetworkError, settings: AdviceSettings | undefined): boolean {
  const shaman = settings?.shaman?.url;
  return shaman !== undefined && (err.url === shaman || err.url.startsWith(`${shaman}/`));
}

export function advice(err: ChacraError, settings?: AdviceSettings): string | undefined {
  if (err instanceof NoVerdictError) return advice(err.cause, settings);
  // The advice of the first node whose failure has some: a TLS failure's --ca, a refused key's flags.
  if (err instanceof PoolNoVerdictError) {
    for (const f of err.failures) {
      const hint = f.error instanceof NetworkError && f.error.kind === 'tls' ? advice(f.error, settings) : undefined;
      if (hint) return hint;
    }
    return err.hint;
  }
  // ", or SETTING in FILE" for the config file in use, and nothing when there is none to edit.
  const inFile = (setting: string) =>
    settings === undefined ? `, or ${setting} in the config file` : settings.fileExists ? `, or ${setting} in ${settings.file}` : '';
  if (err instanceof HttpError) {
    if (err.status === 401 || err.status === 403) {
      if (toShaman(err, settings)) {
        return `check shaman's user and key: ${credentialSettings(settings, true)}`;
      }
      return `check the user and key: ${credentialSettings(settings, false)}`;
    }
    if (err.status >= 300 && err.status < 400)
      return toShaman(err, settings)
        ? `the server redirects elsewhere, which chacractl does not follow: check --shaman, CHACRA_SHAMAN_URL${inFile('shaman_url')} (http or https, host, path)`
        : `the server redirects elsewhere, which chacractl does not follow: check --url, CHACRA_URL${inFile('url')} (http or https, host, path)`;
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
        return toShaman(err, settings)
          ? `check shaman's url (--shaman, CHACRA_SHAMAN_URL${inFile('shaman_url')}) and your DNS`
          : `check the url (--url, CHACRA_URL${inFile('url')}) and your DNS`;
      case 'timeout':
        // The wait's own deadline cut the request, not the transport's silence bound.
        if (err.code === 'wait-deadline') return 'whether it is ready is unknown: is the server up? raise --timeout if it is only slow';
        return 'the server stayed silent for the whole --timeout (default 30s) on each of its 1 + --retries tries: raise --timeout if it is only slow';
      case 'tls':
        // An https:// URL for a port that speaks plain HTTP: no CA would help.
        if (err.code === 'plain-port') return err.hint;
        return `pass --ca /path/to/ca.pem (${settings?.fileExists ? `or ssl_verify = "/path/to/ca.pem" in ${settings.file}` : 'or ssl_verify = "/path/to/ca.pem" in the config file'}) for a private CA; --insecure turns the check off`;
    }
  }
  if (err instanceof ConfigError && err.setting === 'ca') return err.hint ?? `give the path of a PEM file with --ca${inFile('ssl_verify = "/path/to/ca.pem"')}`;
  if (err instanceof RepoWaitTimeout)
    return 'raise --timeout, or look at the server: repos build one at a time and some projects are never built automatically';
  return err.hint;
}

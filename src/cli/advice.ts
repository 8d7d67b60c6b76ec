// What to do next, in the command line's own words. The library's errors carry
// data (their class, HTTP status, kind of network failure) and a neutral hint;
// only here do flags, environment variables and ~/.chacractl get named.
import { type ChacraError, ConfigError, HttpError, NetworkError } from '../errors.js';
import { RepoWaitTimeout } from '../operations/repo-wait.js';

export function advice(err: ChacraError): string | undefined {
  if (err instanceof HttpError) {
    if (err.status === 401 || err.status === 403)
      return 'check the user and key: --user and --key, CHACRA_USER and CHACRA_KEY, or user and key in ~/.chacractl';
    if (err.status >= 300 && err.status < 400)
      return 'the server redirects elsewhere, which chacractl does not follow: check --url or url in ~/.chacractl (http or https, host, path)';
  }
  if (err instanceof NetworkError) {
    switch (err.kind) {
      case 'dns':
        return 'check the url (--url, CHACRA_URL or url in ~/.chacractl) and your DNS';
      case 'timeout':
        return 'raise --timeout if the server is slow';
      case 'tls':
        return 'pass --ca /path/to/ca.pem (or ssl_verify = "/path/to/ca.pem" in ~/.chacractl) for a private CA; --insecure turns the check off';
    }
  }
  if (err instanceof ConfigError && err.setting === 'ca') return 'give the path of a PEM file with --ca or ssl_verify = "/path/to/ca.pem" in ~/.chacractl';
  if (err instanceof RepoWaitTimeout)
    return 'raise --timeout, or look at the server: repos build one at a time and some projects are never built automatically';
  return err.hint;
}

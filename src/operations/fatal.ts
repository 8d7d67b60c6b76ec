// Which failure of one file stops a run of many (binary create, binary
// download): one rule for uploads and downloads, so that both give up on the
// same servers.
import { type ChacraError, HttpError, NetworkError } from '../errors.js';

/**
 * Errors after which no other file can do better: the server refused the
 * credentials (it would refuse them for every file), redirects elsewhere or
 * answers what chacra never does (a proxy, a portal: so would every file's
 * request be), or stayed out of reach through every retry. `partway`: bytes of
 * the file came through before the network failed, so the server was reached
 * and only this file failed.
 */
export function isFatal(err: unknown, options: { partway?: boolean } = {}): err is ChacraError {
  if (err instanceof HttpError) return err.status === 401 || err.status === 403 || (err.status >= 200 && err.status < 400);
  if (err instanceof NetworkError) return options.partway !== true;
  return false;
}

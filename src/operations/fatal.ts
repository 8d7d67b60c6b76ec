// Which failure of one file stops a run of many (binary create, binary
// download): one rule for uploads and downloads, so that both give up on the
// same servers.
import { type ChacraError, HttpError, NetworkError } from '../errors.js';

/**
 * Errors after which no other file can do better: the server refused the
 * credentials (it would refuse them for every file), redirects elsewhere or
 * answers what chacra never does (a proxy, a portal: so would every file's
 * request be), or stayed out of reach through every retry, before its answer
 * or in the middle of it (#20: a download cut mid-body is the same failure as
 * one cut before the headers, and ends the run with the same status).
 */
export function isFatal(err: unknown): err is ChacraError {
  if (err instanceof HttpError) return err.status === 401 || err.status === 403 || (err.status >= 200 && err.status < 400);
  return err instanceof NetworkError;
}

// A failure that leaves a command's question open, where the same failure
// would be a verdict elsewhere: a 404 to `health` or a 400 to `exists` says
// nothing of the server's health or of the path. It exits 3 whatever its cause.
import { ChacraError } from '../errors.js';

export class NoVerdictError extends ChacraError {
  declare readonly cause: ChacraError;
  constructor(question: string, cause: ChacraError) {
    super(`could not tell ${question}: ${cause.message}`, { hint: cause.hint, cause });
  }
}

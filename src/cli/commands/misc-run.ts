import { parseProjectName } from '../../client/paths.js';
import { ExitCode, HttpError, NetworkError } from '../../errors.js';
import { apiPath, ensureProject, pathExists } from '../../operations/simple.js';
import { resolveLatestPath } from '../latest.js';
import { NoVerdictError } from '../no-verdict.js';
import { NotInPoolError, readClient } from '../pool.js';
import type { Context } from '../context.js';
import type { Invocation } from '../grammar.js';
import { CommandFailure } from '../json.js';

export async function runProjectCreate({ args }: Invocation, ctx: Context): Promise<number> {
  const name = parseProjectName(args[0]!);
  const client = await ctx.client();
  const outcome = await ensureProject(client, name, ctx.signal);
  if (outcome === 'exists') ctx.logger.warn(`project ${name} exists already`);
  if (ctx.json) ctx.printJson({ project: name, created: outcome === 'created' });
  else if (outcome === 'created') ctx.print(`created project ${name}`);
  return ExitCode.ok;
}

export async function runExists({ args }: Invocation, ctx: Context): Promise<number> {
  const path = args[0]!;
  let found: boolean;
  try {
    // With the pool, the node that holds the path answers; "does not exist" only when every node said so. A sha1
    // "latest" is the newest ready repo's that answers (cli/latest.ts); none: it does not exist.
    const resolved = await resolveLatestPath(ctx, path);
    const { root, segments } = apiPath(resolved ?? path);
    const client =
      resolved === undefined
        ? undefined
        : await readClient(ctx, root, segments).catch((err: unknown) => {
            if (err instanceof NotInPoolError) return undefined;
            throw err;
          });
    found = client !== undefined && (await pathExists(client, resolved ?? path, ctx.signal));
  } catch (err) {
    // Only a 404 says "does not exist" (pathExists answers false): any other answer leaves the question open.
    if (err instanceof HttpError || err instanceof NetworkError) throw new NoVerdictError(`whether ${path} exists`, err);
    throw err;
  }
  if (!found) ctx.failure(new CommandFailure('not-found', `${path} does not exist`));
  if (ctx.json) ctx.printJson({ path, exists: found });
  else if (!ctx.quiet) ctx.print(found ? `${path} exists` : `${path} does not exist`);
  return found ? ExitCode.ok : ExitCode.failed;
}

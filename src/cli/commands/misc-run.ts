import { parseProjectName } from '../../client/paths.js';
import { ExitCode, HttpError, NetworkError } from '../../errors.js';
import { apiPath, ensureProject, pathExists } from '../../operations/simple.js';
import { NotInPoolError, readClient } from '../pool.js';
import type { Context } from '../context.js';
import type { Invocation } from '../grammar.js';

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
    // With the pool, the node that holds the path answers; none holding it is "does not exist".
    const { root, segments } = apiPath(path);
    const client = await readClient(ctx, root, segments).catch((err: unknown) => {
      if (err instanceof NotInPoolError) return undefined;
      throw err;
    });
    found = client !== undefined && (await pathExists(client, path, ctx.signal));
  } catch (err) {
    if (err instanceof HttpError || err instanceof NetworkError) {
      ctx.logger.error(`could not tell whether ${path} exists`);
    }
    throw err;
  }
  if (ctx.json) ctx.printJson({ path, exists: found });
  else if (!ctx.quiet) ctx.print(found ? `${path} exists` : `${path} does not exist`);
  return found ? ExitCode.ok : ExitCode.failed;
}

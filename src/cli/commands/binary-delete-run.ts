// Kept apart from binary create's run: a delete does not load the upload engine.
import { parseBinaryRef } from '../../client/paths.js';
import { ExitCode } from '../../errors.js';
import { deleteBinary } from '../../operations/simple.js';
import type { Context } from '../context.js';
import type { Invocation } from '../grammar.js';

export async function runBinaryDelete({ args }: Invocation, ctx: Context): Promise<number> {
  // Every path is checked before the first is deleted.
  const refs = args.map((a) => ({ given: a, ref: parseBinaryRef(a) }));
  const client = await ctx.client();
  const results: { path: string; deleted: boolean }[] = [];
  for (const { given, ref } of refs) {
    const outcome = await deleteBinary(client, ref, ctx.signal);
    results.push({ path: given, deleted: outcome === 'deleted' });
    if (outcome === 'absent') ctx.logger.warn(`${given} is not on the server (deleted already?)`);
    else if (!ctx.json) ctx.print(`deleted ${given}`);
  }
  // One shape for one path or several: a list.
  ctx.printJson({ binaries: results });
  return ExitCode.ok;
}

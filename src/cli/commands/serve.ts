import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import { parseCount, parseDuration, type Context } from '../context.js';
import type { CommandSpec, Invocation } from '../grammar.js';

export const serve: CommandSpec = {
  path: ['serve'],
  summary: 'run a local chacra server (for trials, tests and benchmarks) until interrupted',
  description: [
    'Binaries are kept under --data in chacra\'s layout and survive a restart. Repos move from',
    'requested to ready on a timer (--repo-step). --delay and --workers make it as slow as a real',
    'chacra; --fault METHOD:PATH-REGEX:ACTION[:COUNT] injects failures (ACTION: a status such',
    'as 503, reset, delayMS, corrupt-upload, truncate-upload, corrupt-download, html, garbage).',
  ].join('\n'),
  args: [],
  options: ['port', 'host', 'data', 'tls-cert', 'tls-key', 'delay', 'workers', 'repo-step', 'fault', 'outage'],
  examples: [
    'chacractl serve --port 8080 --data /tmp/chacra --user admin --key secret',
    'chacractl serve --port 8443 --tls-cert cert.pem --tls-key key.pem',
    "chacractl serve --fault 'POST:/binaries/:503:3'",
    'chacractl serve --outage 5s:10s          # refuse connections 5 s after start, for 10 s',
  ],
  async run({ values }: Invocation, ctx: Context): Promise<number> {
    const { parseFaultSpec, startServer } = await import('../../server/index.js');
    const str = (n: string) => values[n] as string | undefined;
    if ((str('tls-cert') === undefined) !== (str('tls-key') === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
    const faults = ((values.fault as string[] | undefined) ?? []).map((spec) => {
      try {
        return parseFaultSpec(spec);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
    });
    const tls = str('tls-cert') ? { cert: await readFile(str('tls-cert')!), key: await readFile(str('tls-key')!) } : undefined;
    let outage: { after: number; length: number } | undefined;
    if (str('outage') !== undefined) {
      const m = /^([^:]+):([^:]+)$/.exec(str('outage')!);
      if (!m) throw new UsageError('--outage takes AFTER:FOR, such as 5s:10s');
      outage = { after: parseDuration(m[1]!, 'outage'), length: parseDuration(m[2]!, 'outage') };
    }
    const settings = {
      host: str('host') ?? '127.0.0.1',
      port: str('port') === undefined ? 8080 : parseCount(str('port')!, 'port'),
      user: str('user') ?? 'admin',
      key: str('key') ?? 'secret',
      tls,
      delayMs: str('delay') === undefined ? 0 : parseDuration(str('delay')!, 'delay'),
      workers: str('workers') === undefined ? 0 : parseCount(str('workers')!, 'workers'),
      repoStepMs: str('repo-step') === undefined ? 1000 : parseDuration(str('repo-step')!, 'repo-step'),
      faults,
    };
    // Without --data the store is a throwaway: made here, removed when the server stops.
    const scratch = str('data') === undefined ? await mkdtemp(join(tmpdir(), 'chacra-data-')) : undefined;
    const dataDir = str('data') ?? scratch!;
    const server = await startServer({ ...settings, dataDir }).catch(async (err: unknown) => {
      if (scratch) await rm(scratch, { recursive: true, force: true });
      throw err;
    });
    ctx.logger.info(`chacra listening on ${server.url} (data in ${dataDir}; user ${settings.user}); Ctrl-C stops it`);
    if (outage) {
      const { after, length } = outage;
      setTimeout(() => {
        ctx.logger.info(`refusing connections for ${length} ms`);
        void server.outage(length).then(() => ctx.logger.info('listening again'));
      }, after).unref();
    }
    ctx.print(server.url);
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) return resolve();
      ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await server.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
    ctx.logger.info('chacra stopped');
    return 0;
  },
};

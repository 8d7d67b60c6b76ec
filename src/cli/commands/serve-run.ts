import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { errnoWords } from '../../errno-words.js';
import { FileError, UsageError } from '../../errors.js';
import type { Context } from '../context.js';
import type { Invocation } from '../grammar.js';
import type { Window } from '../grammar/model.js';

export async function runServe({ values }: Invocation, ctx: Context): Promise<number> {
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  const outage = values.outage;
  const port = values.port ?? 8080;
  if (port > 65535) throw new UsageError(`--port takes a port from 0 to 65535, not ${port}`, { hint: '--port 0 picks a free one' });
  const host = values.host ?? '127.0.0.1';
  const user = values.user ?? 'admin';
  const settings = {
    host,
    port,
    user,
    key: values.key ?? 'secret',
    delayMs: values.delay ?? 0,
    workers: values.workers ?? 0,
    repoStepMs: values['repo-step'] ?? 1000,
    faults: values.fault ?? [],
    onError: (err: Error) => ctx.logger.warn(`server: ${err.message}`),
  };
  const nodes = values.pool;
  if (nodes === undefined)
    for (const option of ['health-delay', 'shaman-user', 'shaman-key'] as const)
      if (values[option] !== undefined) throw new UsageError(`--${option} goes with --pool`);
  if (nodes !== undefined && outage) throw new UsageError('--outage does not go with --pool');
  const shaman = {
    user: values['shaman-user'] ?? 'shaman',
    key: values['shaman-key'] ?? 'shamankey',
    healthCheckDelayMs: values['health-delay'] ?? 2000,
  };
  if (nodes !== undefined && (shaman.user.includes(':') || shaman.key.includes(':')))
    throw new UsageError('--shaman-user and --shaman-key cannot contain ":": shaman splits its credentials on it');
  const tls = values['tls-cert'] ? await readTls(values['tls-cert'], values['tls-key']!) : undefined;
  // Without --data the store is a throwaway: made here, removed when the server stops.
  const scratch = values.data === undefined ? await mkdtemp(join(tmpdir(), 'chacra-data-')) : undefined;
  const dataDir = values.data ?? scratch!;
  const where = { host, port, dataDir, scratch };

  if (nodes === undefined)
    return serveUntilStopped(ctx, where, {
      start: async () => (await import('../../server/index.js')).startServer({ ...settings, tls, dataDir }),
      announce: (server) => {
        ctx.logger.info(`chacra listening on ${server.url} (data in ${dataDir}; user ${user}); Ctrl-C stops it`);
        if (outage) scheduleOutage(ctx, server, outage);
        return [server.url];
      },
      stopped: 'chacra stopped',
    });
  return serveUntilStopped(ctx, where, {
    start: async () =>
      (await import('../../server/pool.js')).startPool({
        dataDir,
        nodes,
        host,
        port,
        user,
        key: settings.key,
        shamanUser: shaman.user,
        shamanKey: shaman.key,
        // shaman checks the nodes' /health/ trusting --tls-cert: the certificate itself, or the chain the file holds.
        tls: tls && { ...tls, ca: tls.cert },
        healthCheckDelayMs: shaman.healthCheckDelayMs,
        repoStepMs: settings.repoStepMs,
        node: { delayMs: settings.delayMs, workers: settings.workers, faults: settings.faults },
        onError: settings.onError,
      }),
    announce: (pool) => {
      ctx.logger.info(
        `shaman listening on ${pool.shamanUrl}${pool.shamanTlsUrl ? ` and ${pool.shamanTlsUrl}` : ''} (user ${shaman.user}), with ${nodes} chacra node${nodes === 1 ? '' : 's'} (data in ${dataDir}; user ${user}); Ctrl-C stops them`,
      );
      for (const node of Object.values(pool.shaman.nodes()))
        if (!node.healthy)
          ctx.logger.warn(
            `shaman found node ${node.host} unhealthy when it registered it${tls ? ': with TLS, --tls-cert must hold the CA that signed the certificate' : ''}`,
          );
      // stdout: the shaman URL, then the nodes'.
      return [pool.shamanUrl, ...pool.nodeUrls];
    },
    stopped: 'shaman and its nodes stopped',
  });
}

/**
 * Starts what serves (one chacra, or a shaman and its nodes), prints its URLs
 * on stdout, and keeps it until interrupted; a throwaway data directory goes
 * with it, whether it started or not.
 */
async function serveUntilStopped<T extends { close(): Promise<void> }>(
  ctx: Context,
  where: { host: string; port: number; dataDir: string; scratch: string | undefined },
  run: { start: () => Promise<T>; announce: (running: T) => string[]; stopped: string },
): Promise<number> {
  const removeScratch = async () => {
    if (where.scratch) await rm(where.scratch, { recursive: true, force: true });
  };
  const running = await run.start().catch(async (err: unknown) => {
    await removeScratch();
    throw startFailure(err, where.host, where.port, where.dataDir);
  });
  const urls = run.announce(running);
  for (const url of urls) ctx.print(url);
  ctx.printJson({ urls });
  ctx.publishJson();
  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) return resolve();
    ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await running.close();
  await removeScratch();
  ctx.logger.info(run.stopped);
  return 0;
}

/** serve --outage AFTER:FOR: refuse connections for a while, as a server that restarts does. */
function scheduleOutage(ctx: Context, server: { outage(ms: number): Promise<void> }, outage: Window): void {
  setTimeout(() => {
    ctx.logger.info(`refusing connections for ${outage.length} ms`);
    server.outage(outage.length).then(
      () => ctx.logger.info('listening again'),
      (err: unknown) => ctx.logger.error(`could not listen again after the outage: ${(err as Error).message}`),
    );
  }, outage.after).unref();
}

/** The certificate and key, read and checked to go together before anything listens. */
async function readTls(certPath: string, keyPath: string): Promise<{ cert: Buffer; key: Buffer }> {
  const read = (path: string, option: string) =>
    readFile(path).catch((err: NodeJS.ErrnoException) => {
      throw new FileError(`cannot read --${option} ${path}: ${reasonOf(err)}`, { cause: err });
    });
  const tls = { cert: await read(certPath, 'tls-cert'), key: await read(keyPath, 'tls-key') };
  try {
    createSecureContext(tls);
  } catch (err) {
    throw new FileError(`--tls-cert ${certPath} and --tls-key ${keyPath} are not a PEM certificate and its private key: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return tls;
}

/** What stopped the server from starting, as an error that says so, not as a bug of chacractl. */
function startFailure(err: unknown, host: string, port: number, dataDir: string): unknown {
  const e = err as NodeJS.ErrnoException;
  if (!(e instanceof Error) || typeof e.code !== 'string') return err;
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (e.syscall === 'listen' || e.syscall === 'bind') {
    if (e.code === 'EADDRINUSE')
      return new UsageError(`cannot listen on ${where}: the address is already in use`, {
        hint: 'stop what listens there, or pick another --port (--port 0 picks a free one)',
        cause: e,
      });
    if (e.code === 'EACCES')
      return new UsageError(`cannot listen on ${where}: permission denied`, { hint: 'ports below 1024 need privileges: pick another --port', cause: e });
    if (e.code === 'EADDRNOTAVAIL')
      return new UsageError(`cannot listen on ${where}: ${host} is not an address of this machine`, {
        hint: '--host takes a local address, such as 127.0.0.1 or 0.0.0.0',
        cause: e,
      });
    return new UsageError(`cannot listen on ${where}: ${reasonOf(e)}`, { cause: e });
  }
  if (e.syscall === 'getaddrinfo')
    return new UsageError(`--host ${host}: no such host`, { hint: '--host takes a local address, such as 127.0.0.1 or 0.0.0.0', cause: e });
  if (e.path !== undefined)
    return new FileError(`cannot use the data directory ${dataDir}: ${e.path}: ${reasonOf(e)}`, {
      hint: '--data takes a directory chacractl may create and write',
      cause: e,
    });
  return new FileError(`cannot start the server: ${reasonOf(e)}`, { cause: e });
}

function reasonOf(err: NodeJS.ErrnoException): string {
  return errnoWords(err) ?? err.message;
}

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { FileError, UsageError } from '../../errors.js';
import type { Context } from '../context.js';
import type { Invocation } from '../grammar.js';
import type { FaultRule } from '../../server/faults.js';

export async function runServe({ values }: Invocation, ctx: Context): Promise<number> {
  const { startServer } = await import('../../server/index.js');
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  const outage = values.outage;
  const port = values.port ?? 8080;
  if (port > 65535) throw new UsageError(`--port takes a port from 0 to 65535, not ${port}`, { hint: '--port 0 picks a free one' });
  const settings = {
    host: values.host ?? '127.0.0.1',
    port,
    user: values.user ?? 'admin',
    key: values.key ?? 'secret',
    delayMs: values.delay ?? 0,
    workers: values.workers ?? 0,
    repoStepMs: values['repo-step'] ?? 1000,
    faults: values.fault ?? [],
    onError: (err: Error) => ctx.logger.warn(`server: ${err.message}`),
  };
  const pool = values.pool;
  if (pool === undefined)
    for (const option of ['health-delay', 'shaman-user', 'shaman-key'] as const)
      if (values[option] !== undefined) throw new UsageError(`--${option} goes with --pool`);
  if (pool !== undefined && outage) throw new UsageError('--outage does not go with --pool');
  const shaman =
    pool === undefined
      ? undefined
      : {
          user: values['shaman-user'] ?? 'shaman',
          key: values['shaman-key'] ?? 'shamankey',
          healthCheckDelayMs: values['health-delay'] ?? 2000,
        };
  if (shaman && (shaman.user.includes(':') || shaman.key.includes(':')))
    throw new UsageError('--shaman-user and --shaman-key cannot contain ":": shaman splits its credentials on it');
  const tls = values['tls-cert'] ? await readTls(values['tls-cert'], values['tls-key']!) : undefined;
  // Without --data the store is a throwaway: made here, removed when the server stops.
  const scratch = values.data === undefined ? await mkdtemp(join(tmpdir(), 'chacra-data-')) : undefined;
  const dataDir = values.data ?? scratch!;
  // shaman checks the nodes' /health/ trusting --tls-cert: the certificate itself, or the chain the file holds.
  if (pool !== undefined) return servePool({ nodes: pool, settings, shaman: shaman!, tls: tls && { ...tls, ca: tls.cert }, dataDir, scratch }, ctx);
  const server = await startServer({ ...settings, tls, dataDir }).catch(async (err: unknown) => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
    throw startFailure(err, settings.host, settings.port, dataDir);
  });
  ctx.logger.info(`chacra listening on ${server.url} (data in ${dataDir}; user ${settings.user}); Ctrl-C stops it`);
  if (outage) {
    const { after, length } = outage;
    setTimeout(() => {
      ctx.logger.info(`refusing connections for ${length} ms`);
      server.outage(length).then(
        () => ctx.logger.info('listening again'),
        (err: unknown) => ctx.logger.error(`could not listen again after the outage: ${(err as Error).message}`),
      );
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
}

interface PoolRun {
  nodes: number;
  settings: {
    host: string;
    port: number;
    user: string;
    key: string;
    delayMs: number;
    workers: number;
    repoStepMs: number;
    faults: FaultRule[];
    onError: (err: Error) => void;
  };
  shaman: { user: string; key: string; healthCheckDelayMs: number };
  tls: { cert: Buffer; key: Buffer; ca?: Buffer } | undefined;
  dataDir: string;
  scratch: string | undefined;
}

/** serve --pool: a shaman and its nodes until interrupted; stdout has the shaman URL, then the nodes'. */
async function servePool(run: PoolRun, ctx: Context): Promise<number> {
  const { startPool } = await import('../../server/pool.js');
  const { settings, dataDir, scratch } = run;
  const pool = await startPool({
    dataDir,
    nodes: run.nodes,
    host: settings.host,
    port: settings.port,
    user: settings.user,
    key: settings.key,
    shamanUser: run.shaman.user,
    shamanKey: run.shaman.key,
    tls: run.tls,
    healthCheckDelayMs: run.shaman.healthCheckDelayMs,
    repoStepMs: settings.repoStepMs,
    node: { delayMs: settings.delayMs, workers: settings.workers, faults: settings.faults },
    onError: settings.onError,
  }).catch(async (err: unknown) => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
    throw startFailure(err, settings.host, settings.port, dataDir);
  });
  ctx.logger.info(
    `shaman listening on ${pool.shamanUrl}${pool.shamanTlsUrl ? ` and ${pool.shamanTlsUrl}` : ''} (user ${run.shaman.user}), with ${run.nodes} chacra node${run.nodes === 1 ? '' : 's'} (data in ${dataDir}; user ${settings.user}); Ctrl-C stops them`,
  );
  for (const node of Object.values(pool.shaman.nodes()))
    if (!node.healthy)
      ctx.logger.warn(
        `shaman found node ${node.host} unhealthy when it registered it${run.tls ? ': with TLS, --tls-cert must hold the CA that signed the certificate' : ''}`,
      );
  ctx.print(pool.shamanUrl);
  for (const url of pool.nodeUrls) ctx.print(url);
  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) return resolve();
    ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await pool.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
  ctx.logger.info('shaman and its nodes stopped');
  return 0;
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
  const reasons: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOTDIR: 'not a directory',
    EISDIR: 'is a directory',
    EEXIST: 'already exists',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on device',
    ENAMETOOLONG: 'name too long',
  };
  return (err.code && reasons[err.code]) ?? err.message;
}

// The pool the conformance suites run against: the real shaman named by
// CHACRA_TEST_SHAMAN_URL (its CA in CHACRA_TEST_CA), or else a local HTTPS
// pool of two nodes started in `dir`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPool, type RunningPool } from '../../src/server/pool.js';
import { makeCertificates } from './env.js';

export const REMOTE_SHAMAN = process.env.CHACRA_TEST_SHAMAN_URL;
export const poolCredentials = {
  user: process.env.CHACRA_TEST_USER ?? 'admin',
  key: process.env.CHACRA_TEST_KEY ?? 'secret',
  shamanUser: process.env.CHACRA_TEST_SHAMAN_USER ?? 'shaman',
  shamanKey: process.env.CHACRA_TEST_SHAMAN_KEY ?? 'shamankey',
};

export interface ConformancePool {
  /** The local pool, to close after; undefined against a real shaman. */
  pool: RunningPool | undefined;
  shamanUrl: string;
  ca: string | undefined;
}

export async function conformancePool(dir: string): Promise<ConformancePool> {
  if (REMOTE_SHAMAN) return { pool: undefined, shamanUrl: REMOTE_SHAMAN, ca: process.env.CHACRA_TEST_CA };
  const certs = makeCertificates(dir);
  const pool = await startPool({
    dataDir: join(dir, 'pool'),
    nodes: 2,
    ...poolCredentials,
    tls: { cert: readFileSync(certs.cert), key: readFileSync(certs.key), ca: readFileSync(certs.ca) },
    healthCheckDelayMs: 20,
    repoStepMs: 20,
  });
  return { pool, shamanUrl: pool.shamanUrl, ca: certs.ca };
}

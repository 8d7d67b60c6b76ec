// Shared by the tests: temporary directories that are always removed, the
// local server started in-process, and the built CLI run as a subprocess.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { after, before, beforeEach } from 'node:test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/index.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The built executable as npm ships it: dist/bundle/bin/chacractl.js, the bundle of src/bin/chacractl.ts. */
export const CLI = resolve(here, '../../bundle/bin/chacractl.js');

export interface TempDir {
  path: string;
  cleanup(): void;
}

export function tempDir(prefix = 'chacractl-test-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export interface TestServer extends RunningServer {
  dataDir: string;
  stop(): Promise<void>;
}

/** A local server on a temporary data directory; with `dataDir`, on that one, which stop() then keeps. */
export async function testServer(options: Partial<ServerOptions> = {}): Promise<TestServer> {
  const dir = options.dataDir ? { path: options.dataDir, cleanup: () => {} } : tempDir('chacra-data-');
  const server = await startServer({ user: 'admin', key: 'secret', repoStepMs: 0, ...options, dataDir: dir.path });
  return Object.assign(server, {
    dataDir: dir.path,
    async stop() {
      await server.close();
      dir.cleanup();
    },
  });
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  stdin?: string | Buffer;
  cwd?: string;
  home: string;
  /** Called with the child once it runs, to signal it. */
  onSpawn?: (child: ReturnType<typeof spawn>) => void;
  timeoutMs?: number;
}

/** Runs the built chacractl with a clean environment: only what the test gives, HOME in a temp dir. */
export function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: options.home };
    // Coverage of the CLI runs too, when the suite runs under c8.
    if (process.env.NODE_V8_COVERAGE) env.NODE_V8_COVERAGE = process.env.NODE_V8_COVERAGE;
    for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) env[k] = v;
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? options.home, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {});
    if (options.stdin !== undefined) child.stdin.end(options.stdin);
    else child.stdin.end();
    options.onSpawn?.(child);
  });
}

/** A CA and a server certificate for localhost, made with openssl for this test run. */
export function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const p = (n: string) => join(dir, n);
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=chacractl test CA', '-keyout', p('ca.key'), '-out', p('ca.pem')]);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', p('server.key'), '-out', p('server.csr')]);
  writeFileSync(p('ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  run([
    'x509',
    '-req',
    '-in',
    p('server.csr'),
    '-CA',
    p('ca.pem'),
    '-CAkey',
    p('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    p('ext.cnf'),
    '-out',
    p('server.pem'),
  ]);
  return { ca: p('ca.pem'), cert: p('server.pem'), key: p('server.key') };
}

/** Writes files of the given sizes with varied contents; returns their paths. */
export function writeFiles(dir: string, files: Record<string, number | string | Buffer>): string[] {
  return Object.entries(files).map(([name, content]) => {
    const path = join(dir, name);
    const data = typeof content === 'number' ? Buffer.alloc(content, name) : content;
    writeFileSync(path, data);
    return path;
  });
}

export const sha512 = (data: Buffer | string): string => createHash('sha512').update(data).digest('hex');

/** Forgets injected faults and counted requests, so each test counts its own. */
export function resetServer(server: TestServer): void {
  server.faults.clear();
  server.stats.total = 0;
  server.stats.byMethod = {};
  server.stats.connections = 0;
  server.stats.uploadTypes = {};
  server.stats.duplicateRepos = 0;
}

/**
 * A local server and a home directory for a test file, made before its
 * tests and removed after them; each test starts with a reset server.
 */
export function serverFixture(options: Partial<ServerOptions> = {}): { readonly server: TestServer; readonly home: TempDir } {
  let server: TestServer | undefined;
  let home: TempDir | undefined;
  before(async () => {
    server = await testServer(options);
    home = tempDir();
  });
  after(async () => {
    await server?.stop();
    home?.cleanup();
  });
  beforeEach(() => resetServer(server!));
  return {
    get server() {
      return server!;
    },
    get home() {
      return home!;
    },
  };
}

/** Resolves once `condition` holds, checking every few milliseconds: for waiting on what a server has seen. */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

export interface Serving {
  url: string;
  child: ChildProcess;
  /** Everything the server wrote on stderr so far. */
  stderr(): string;
  /** SIGINT, then its exit status. */
  stop(): Promise<number | null>;
}

/** `chacractl serve` as a process, once it prints its URL. */
export function serve(args: string[], home: string): Promise<Serving> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], {
      env: { PATH: process.env.PATH, HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const url = /^(https?:\/\/\S+)\n/.exec(out)?.[1];
      if (url)
        resolvePromise({
          url,
          child,
          stderr: () => err,
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done(child.exitCode);
              child.once('exit', (code) => done(code));
              child.kill('SIGINT');
            }),
        });
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`serve exited ${code} before listening: ${err}`)));
  });
}

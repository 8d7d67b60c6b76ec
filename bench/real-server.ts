// The big-file comparison against a chacra of the user's (#13): one file
// uploaded by chacractl binary create and by one curl -F, runs interleaved,
// the binary deleted before each, dirty pages flushed so that no run pays
// for the last one's writes; prints every run, the medians and their ratios.
//
//   npm run bench -- --url http://127.0.0.1:18080 --user admin --key secret [--ca FILE] [--big 1g] [--runs 5] [--target P/R/S/D/V/A] [--cli BUNDLE]
import { spawnSync } from 'node:child_process';
import { basename } from 'node:path';

interface Measured {
  wallMs: number;
  maxRssKb?: number;
}

export interface RealServer {
  url: string;
  user: string;
  key: string;
  ca: string | undefined;
  target: string;
  runs: number;
  /** The bundled CLI. */
  cli: string;
  home: string;
}

type Run = (command: string, args: string[], env: NodeJS.ProcessEnv) => Promise<Measured>;

export async function benchRealServer(run: Run, server: RealServer, file: string, bytes: number): Promise<void> {
  const url = server.url.replace(/\/+$/, '');
  const env = { ...process.env, HOME: server.home, CHACRA_URL: url, CHACRA_USER: server.user, CHACRA_KEY: server.key };
  const tls = server.ca ? ['--ca', server.ca] : [];
  const cli = (args: string[]) => run(process.execPath, [server.cli, ...tls, ...args], env);
  const binary = `${server.target}/${basename(file)}`;
  const clear = () => {
    spawnSync(process.execPath, [server.cli, ...tls, 'binary', 'delete', '-q', binary], { env, stdio: 'ignore' });
    spawnSync('sync');
  };
  const clients: Record<'chacractl' | 'curl', () => Promise<Measured>> = {
    chacractl: () => cli(['binary', 'create', '-q', server.target, file]),
    curl: () =>
      run(
        'curl',
        [
          '-sS',
          '-f',
          '-o',
          '/dev/null',
          ...(server.ca ? ['--cacert', server.ca] : []),
          '-u',
          `${server.user}:${server.key}`,
          '-F',
          `file=@${file}`,
          `${url}/binaries/${server.target}/`,
        ],
        process.env,
      ),
  };
  console.log(`\none file of ${(bytes / 1024 ** 2).toFixed(0)} MiB to ${url}/binaries/${server.target}/, ${server.runs} runs each, interleaved`);
  const results: Record<keyof typeof clients, Measured[]> = { chacractl: [], curl: [] };
  try {
    for (let i = 0; i < server.runs; i++) {
      // Each goes first in every other round: a drift in the server's pace falls on both alike.
      const order = i % 2 === 0 ? (['chacractl', 'curl'] as const) : (['curl', 'chacractl'] as const);
      for (const name of order) {
        clear();
        const r = await clients[name]();
        results[name].push(r);
        console.log(`  run ${i + 1} ${name.padEnd(10)} ${(r.wallMs / 1000).toFixed(2).padStart(7)} s ${rss(r.maxRssKb).padStart(9)}`);
      }
    }
  } finally {
    clear();
  }
  const wall = (name: keyof typeof clients) => median(results[name].map((r) => r.wallMs));
  const peak = (name: keyof typeof clients) => median(results[name].map((r) => r.maxRssKb ?? 0));
  const spread = (name: keyof typeof clients) => {
    const walls = results[name].map((r) => r.wallMs / 1000);
    return `${Math.min(...walls).toFixed(2)}-${Math.max(...walls).toFixed(2)} s`;
  };
  console.log(`\n  medians       ${'wall'.padStart(8)} ${'(range)'.padStart(15)} ${'peak RSS'.padStart(9)}`);
  for (const name of ['chacractl', 'curl'] as const)
    console.log(`  ${name.padEnd(12)} ${(wall(name) / 1000).toFixed(2).padStart(7)}s ${spread(name).padStart(15)} ${rss(peak(name)).padStart(9)}`);
  console.log(`\n  chacractl / curl, wall:     ${(wall('chacractl') / wall('curl')).toFixed(3)}   (bar: <= 1.05)`);
  console.log(`  chacractl / curl, peak RSS: ${(peak('chacractl') / peak('curl')).toFixed(1)}   (bar: chacractl < 100 MiB)`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const rss = (kb: number | undefined) => (kb ? `${(kb / 1024).toFixed(0)} MiB` : 'n/m');

// The start-up part of npm run bench: what a one-request command costs, next
// to what a process costs at all. `chacractl exists` (one HEAD), `node -e 0`,
// `curl -I` (the same HEAD) and `chacractl --version`, interleaved so that
// load on the machine falls on all alike; medians of `runs` runs each.
import { join } from 'node:path';
import { startServer } from '../src/server/index.js';

export interface Timed {
  wallMs: number;
  maxRssKb?: number | undefined;
}

export type Runner = (command: string, args: string[], env: NodeJS.ProcessEnv) => Promise<Timed>;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

export async function benchStartup(run: Runner, opts: { cli: string; work: string; runs: number; curl: boolean }): Promise<void> {
  const server = await startServer({ dataDir: join(opts.work, 'startup'), user: 'admin', key: 'secret', delayMs: 0, repoStepMs: 0 });
  try {
    const env = { ...process.env, HOME: opts.work, CHACRA_USER: 'admin', CHACRA_KEY: 'secret' };
    const node = process.execPath;
    await run(node, [opts.cli, '--url', server.url, 'project', 'create', '-q', 'startup'], env);
    const path = `${server.url}/binaries/startup/`;
    const cases: [string, string, string[]][] = [
      ['node -e 0', node, ['-e', '0']],
      ['chacractl --version', node, [opts.cli, '--version']],
      ['chacractl exists (HEAD)', node, [opts.cli, '--url', server.url, 'exists', '-q', 'binaries/startup']],
    ];
    if (opts.curl) cases.push(['curl -I (HEAD)', 'curl', ['-sS', '-f', '-o', '/dev/null', '-I', path]]);
    const samples = cases.map(() => ({ wall: [] as number[], rss: [] as number[] }));
    // One warm-up round: the first runs pay for a cold file cache.
    for (let round = -1; round < opts.runs; round++)
      for (const [i, [, command, args]] of cases.entries()) {
        const r = await run(command, args, env);
        if (round < 0) continue;
        samples[i]!.wall.push(r.wallMs);
        if (r.maxRssKb) samples[i]!.rss.push(r.maxRssKb);
      }
    console.log(`\nstart-up: medians of ${opts.runs} runs, interleaved, against a local server with no delay`);
    console.log(`  ${'command'.padEnd(26)} ${'wall'.padStart(9)} ${'min'.padStart(9)} ${'peak RSS'.padStart(10)}`);
    const at = (name: string) => {
      const i = cases.findIndex(([n]) => n === name);
      return i < 0 ? undefined : { wall: median(samples[i]!.wall), rss: samples[i]!.rss.length ? median(samples[i]!.rss) : undefined };
    };
    for (const [i, [name]] of cases.entries()) {
      const m = at(name)!;
      const rss = m.rss === undefined ? 'n/m' : `${(m.rss / 1024).toFixed(0)} MiB`;
      console.log(
        `  ${name.padEnd(26)} ${m.wall.toFixed(0).padStart(7)}ms ${Math.min(...samples[i]!.wall)
          .toFixed(0)
          .padStart(7)}ms ${rss.padStart(10)}`,
      );
    }
    const bare = at('node -e 0')!;
    const exists = at('chacractl exists (HEAD)')!;
    const version = at('chacractl --version')!;
    const curl = at('curl -I (HEAD)');
    console.log('\n  ratios:');
    console.log(`    exists / node -e 0       ${(exists.wall / bare.wall).toFixed(2)}   (+${(exists.wall - bare.wall).toFixed(0)} ms)`);
    if (curl) console.log(`    exists / curl -I         ${(exists.wall / curl.wall).toFixed(2)}`);
    console.log(`    --version / node -e 0    ${(version.wall / bare.wall).toFixed(2)}   (+${(version.wall - bare.wall).toFixed(0)} ms)`);
    if (exists.rss && bare.rss) console.log(`    exists peak RSS / node   ${(exists.rss / bare.rss).toFixed(2)}`);
  } finally {
    await server.close();
  }
}

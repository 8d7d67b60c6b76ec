// The start-up part of npm run bench: what a one-request command costs, next
// to what a process costs at all. `chacractl exists` (one HEAD), `node -e 0`,
// a bare node:http HEAD script, `curl -I` (the same HEAD), `chacractl
// --version` and, when CHACRACTL_BENCH_PYTHON names it (as a command line,
// such as "python3 /src/chacractl/bin/chacractl"), the Python client's
// `exists`, interleaved so that load on the machine falls on all alike;
// medians of `runs` runs each.
import { writeFileSync } from 'node:fs';
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
    // What any Node client pays for one HEAD: the floor under `exists`.
    const bareHead = join(opts.work, 'head.cjs');
    writeFileSync(
      bareHead,
      `require('node:http').request(${JSON.stringify(path)}, { method: 'HEAD' }, (r) => { r.resume(); process.exitCode = r.statusCode === 200 ? 0 : 1; }).end();\n`,
    );
    const cases: [string, string, string[]][] = [
      ['node -e 0', node, ['-e', '0']],
      ['node:http HEAD script', node, [bareHead]],
      ['chacractl --version', node, [opts.cli, '--version']],
      ['chacractl exists (HEAD)', node, [opts.cli, '--url', server.url, 'exists', '-q', 'binaries/startup']],
    ];
    if (opts.curl) cases.push(['curl -I (HEAD)', 'curl', ['-sS', '-f', '-o', '/dev/null', '-I', path]]);
    const python = process.env.CHACRACTL_BENCH_PYTHON?.trim().split(/\s+/);
    if (python?.[0]) {
      // The Python client is given its settings in ~/.chacractl: with CHACRA_USER
      // and CHACRA_KEY set it fails to read the url (a defect of its own).
      writeFileSync(join(opts.work, '.chacractl'), `url = "${server.url}"\nuser = "admin"\nkey = "secret"\nssl_verify = True\n`, { mode: 0o600 });
      cases.push(['Python chacractl exists', python[0], [...python.slice(1), 'exists', 'binaries/startup']]);
    }
    const { CHACRA_USER: _user, CHACRA_KEY: _key, ...pythonEnv } = env;
    const samples = cases.map(() => ({ wall: [] as number[], rss: [] as number[] }));
    // One warm-up round: the first runs pay for a cold file cache.
    for (let round = -1; round < opts.runs; round++)
      for (const [i, [name, command, args]] of cases.entries()) {
        const r = await run(command, args, name.startsWith('Python') ? pythonEnv : env);
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
    const head = at('node:http HEAD script')!;
    const py = at('Python chacractl exists');
    console.log('\n  ratios:');
    if (py) console.log(`    exists / Python exists   ${(exists.wall / py.wall).toFixed(2)}   (bar: <= 0.80)`);
    console.log(`    exists / node:http HEAD  ${(exists.wall / head.wall).toFixed(2)}   (+${(exists.wall - head.wall).toFixed(0)} ms)`);
    console.log(`    exists / node -e 0       ${(exists.wall / bare.wall).toFixed(2)}   (+${(exists.wall - bare.wall).toFixed(0)} ms)`);
    if (curl) console.log(`    exists / curl -I         ${(exists.wall / curl.wall).toFixed(2)}`);
    console.log(`    --version / node -e 0    ${(version.wall / bare.wall).toFixed(2)}   (+${(version.wall - bare.wall).toFixed(0)} ms)`);
    if (exists.rss && bare.rss) console.log(`    exists peak RSS / node   ${(exists.rss / bare.rss).toFixed(2)}`);
    if (exists.rss) console.log(`    exists peak RSS          ${((exists.rss * 1024) / 1e6).toFixed(0)} MB   (bar: <= 60 MB)`);
  } finally {
    await server.close();
  }
}

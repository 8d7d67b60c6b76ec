// npm run bench -- --scale: what a run costs as the number of files grows. For
// each size of the series (1,000, 10,000, 100,000 files of 1-4 KB), against the
// local server with no delay: an upload of new files (the list on standard
// input, as `find` pipes it), a rerun that finds them all unchanged, and a
// download of the whole target; wall time, time per file, peak RSS and the
// requests the server saw. Beside them, the floor of the same work: the
// listing fetched by curl plus `sha512sum` of every file. A last row feeds a
// list of paths that do not exist and counts the lines written to stderr.
//
//   npm run bench -- --scale [--scale-sizes 1000,10000,100000] [--missing 200000] [--cli BUNDLE]
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from '../src/server/index.js';

export interface ScaleOptions {
  cli: string;
  work: string;
  sizes: number[];
  /** Paths that do not exist on the last row's standard input; 0 skips it. */
  missing: number;
  timeAvailable: boolean;
}

interface Measured {
  wallMs: number;
  maxRssKb: number | undefined;
  stderrLines: number;
  code: number | null;
}

/** Runs a command with `stdinFile` as its standard input, under GNU time for its peak memory. */
function measure(command: string, args: string[], opts: { env: NodeJS.ProcessEnv; stdinFile?: string; work: string; time: boolean }): Promise<Measured> {
  const timeFile = join(opts.work, `time-${Math.random().toString(36).slice(2)}.txt`);
  const argv = opts.time ? ['/usr/bin/time', '-o', timeFile, '-f', '%M', command, ...args] : [command, ...args];
  const stdin = opts.stdinFile === undefined ? 'ignore' : openSync(opts.stdinFile, 'r');
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env: opts.env, stdio: [stdin, 'ignore', 'pipe'] });
    if (typeof stdin === 'number') closeSync(stdin);
    let stderrLines = 0;
    let firstLines = '';
    child.stderr!.on('data', (d: Buffer) => {
      for (const byte of d) if (byte === 0x0a) stderrLines++;
      if (firstLines.length < 2000) firstLines += d.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      let maxRssKb: number | undefined;
      if (opts.time) {
        maxRssKb = Number(readFileSync(timeFile, 'utf8').trim().split('\n').pop());
        rmSync(timeFile, { force: true });
      }
      if (code !== 0 && code !== 1) return reject(new Error(`${args.slice(1, 3).join(' ')} exited ${code}: ${firstLines.slice(0, 500)}`));
      resolve({ wallMs, maxRssKb, stderrLines, code });
    });
  });
}

/** `count` files of 1-4 KB, every one different; returns the list, one path a line. */
function makeFiles(dir: string, count: number): string {
  mkdirSync(dir, { recursive: true });
  const block = Buffer.alloc(4096);
  for (let i = 0; i < block.length; i++) block[i] = (i * 131 + 7) & 0xff;
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const path = join(dir, `scale-${String(i).padStart(6, '0')}.el9.x86_64.rpm`);
    block.writeUInt32BE(i, 0);
    const fd = openSync(path, 'w');
    writeSync(fd, block, 0, 1024 + ((i * 2654435761) % 3073));
    closeSync(fd);
    paths.push(path);
  }
  const list = `${dir}.list`;
  writeFileSync(list, `${paths.join('\n')}\n`);
  return list;
}

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mib = (kb: number | undefined) => (kb === undefined ? 'n/m' : `${(kb / 1024).toFixed(0)} MiB`);
const perFile = (ms: number, n: number) => `${((ms * 1000) / n).toFixed(0)} µs`;

export async function benchScale(opts: ScaleOptions): Promise<void> {
  const dataDir = join(opts.work, 'scale-data');
  const server = await startServer({ dataDir, user: 'admin', key: 'secret', delayMs: 0, workers: 0, repoStepMs: 0 });
  const env = { ...process.env, HOME: opts.work, CHACRA_URL: server.url, CHACRA_USER: 'admin', CHACRA_KEY: 'secret' };
  const run = (args: string[], stdinFile?: string) =>
    measure(process.execPath, [opts.cli, ...args], { env, stdinFile, work: opts.work, time: opts.timeAvailable });
  console.log('\nscale: files of 1-4 KB against the local server (no delay); floor = the listing by curl + sha512sum of every file');
  console.log(
    `  ${'files'.padStart(7)}  ${'work'.padEnd(8)} ${'wall'.padStart(9)} ${'per file'.padStart(9)} ${'peak RSS'.padStart(9)} ${'requests'.padStart(9)}  ${'floor'.padStart(8)} ${'x floor'.padStart(8)}`,
  );
  try {
    for (const count of opts.sizes) {
      const dir = join(opts.work, `scale-${count}`);
      const list = makeFiles(dir, count);
      const target = `scale/main/n${count}/centos/9/x86_64`;
      const row = async (work: string, args: string[], stdinFile: string | undefined, floorMs: number | undefined) => {
        const before = server.stats.total;
        const m = await run(args, stdinFile);
        if (m.code !== 0) throw new Error(`${work} of ${count} files exited ${m.code}`);
        const requests = server.stats.total - before;
        const ratio = floorMs ? `${(m.wallMs / floorMs).toFixed(2)}` : '';
        console.log(
          `  ${String(count).padStart(7)}  ${work.padEnd(8)} ${secs(m.wallMs).padStart(9)} ${perFile(m.wallMs, count).padStart(9)} ${mib(m.maxRssKb).padStart(9)} ${String(requests).padStart(9)}  ${floorMs ? secs(floorMs).padStart(8) : ''.padStart(8)} ${ratio.padStart(8)}`,
        );
      };
      await row('upload', ['binary', 'create', '-q', target], list, undefined);
      const floorMs = await floor(server.url, target, list, opts.work);
      await row('rerun', ['binary', 'create', '-q', target], list, floorMs);
      const out = join(opts.work, `scale-out-${count}`);
      await row('download', ['binary', 'download', '-q', target, '-o', `${out}/`], undefined, floorMs);
      rmSync(out, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
      rmSync(list, { force: true });
    }
    if (opts.missing > 0) {
      const list = join(opts.work, 'missing.list');
      const lines: string[] = [];
      for (let i = 0; i < opts.missing; i++) lines.push(join(opts.work, 'nowhere', `missing-${i}.rpm`));
      writeFileSync(list, `${lines.join('\n')}\n`);
      const m = await run(['binary', 'create', 'scale/main/missing/centos/9/x86_64'], list);
      console.log(
        `\n  ${opts.missing} paths that do not exist on stdin: ${secs(m.wallMs)}, peak RSS ${mib(m.maxRssKb)}, ${m.stderrLines} lines on stderr, exit ${m.code}`,
      );
      rmSync(list, { force: true });
    }
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** What a rerun cannot do without: fetch the listing (curl) and hash every file (sha512sum), one after the other. */
async function floor(url: string, target: string, list: string, work: string): Promise<number> {
  const sh = (command: string, args: string[], stdinFile?: string) =>
    measure(command, args, { env: process.env, stdinFile, work, time: false }).then((m) => {
      if (m.code !== 0) throw new Error(`${command} exited ${m.code}`);
      return m.wallMs;
    });
  const listing = await sh('curl', ['-sS', '-f', '-o', '/dev/null', `${url}/binaries/${target}/flavors/default/`]);
  const hashing = await sh('sh', ['-c', 'xargs sha512sum > /dev/null'], list);
  return listing + hashing;
}

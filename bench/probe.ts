// Preloaded (node --import) into each measured Node process: at exit, writes
// the bytes the process read while it ran and its peak memory to the file
// named by CHACRA_BENCH_PROBE.
import { readFileSync, writeFileSync } from 'node:fs';

function rchar(): number {
  const io = readFileSync('/proc/self/io', 'utf8');
  return Number(/rchar:\s*(\d+)/.exec(io)?.[1] ?? 0);
}

const atStart = rchar();
process.on('exit', () => {
  const out = process.env.CHACRA_BENCH_PROBE;
  if (!out) return;
  writeFileSync(out, JSON.stringify({ readBytes: rchar() - atStart, maxRssKb: process.resourceUsage().maxRSS }));
});

// The README's TypeScript examples, as a user would take them: each ```ts
// block compiled as an ES module of a project that has chacractl installed
// (as CommonJS when its fence says `ts cjs`), and each run (in README order,
// against one server) unless its fence says `ts no-run`. Used by test/integration (chacractl linked to this checkout)
// and test/e2e (chacractl installed from the packed tarball).
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../../..');

export interface Snippet {
  /** 1-based line of the fence in README.md. */
  line: number;
  source: string;
  run: boolean;
  /** A CommonJS program (`import x = require(...)`), not an ES module. */
  cjs: boolean;
}

export function readmeSnippets(text = readFileSync(join(root, 'README.md'), 'utf8')): Snippet[] {
  const snippets: Snippet[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(ts|typescript)(?:\s+(.*))?$/.exec(lines[i]!);
    if (!fence) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]!);
    snippets.push({ line: start + 1, source: `${body.join('\n')}\n`, run: !/\bno-run\b/.test(fence[2] ?? ''), cjs: /\bcjs\b/.test(fence[2] ?? '') });
  }
  return snippets;
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Run> {
  return new Promise((done) => {
    execFile(command, args, { cwd: options.cwd, env: options.env ?? process.env, encoding: 'utf8' }, (err, stdout, stderr) =>
      done({ code: err ? ((err as { code?: unknown }).code as number | null) : 0, stdout, stderr }),
    );
  });
}

/** The TypeScript compiler of this checkout, strict, for a project in `dir` whose files are listed. */
export async function compile(dir: string, files: string[], module: 'nodenext' = 'nodenext'): Promise<Run> {
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module,
        moduleResolution: 'nodenext',
        strict: true,
        outDir: 'out',
        // The user's own @types/node; this checkout's stands in for it.
        typeRoots: [join(root, 'node_modules/@types')],
        types: ['node'],
      },
      files,
    }),
  );
  return run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], { cwd: dir });
}

/**
 * Writes each example to `dir` (a project where `chacractl` resolves), compiles
 * them all, then runs the runnable ones in order with `env` (CHACRA_URL...),
 * in a directory holding the a.rpm and b.rpm they upload. Returns each run.
 */
export async function checkReadmeExamples(dir: string, env: NodeJS.ProcessEnv): Promise<{ compiled: Run; runs: (Run & Snippet)[] }> {
  const snippets = readmeSnippets();
  const files = snippets.map((s) => `readme-${s.line}.${s.cjs ? 'cts' : 'mts'}`);
  for (const [i, s] of snippets.entries()) writeFileSync(join(dir, files[i]!), `// README.md line ${s.line}\n${s.source}${s.cjs ? '' : 'export {};\n'}`);
  const compiled = await compile(dir, files);
  const runs: (Run & Snippet)[] = [];
  if (compiled.code !== 0) return { compiled, runs };
  const work = join(dir, 'work');
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'a.rpm'), 'the first package of the README');
  writeFileSync(join(work, 'b.rpm'), 'the second package of the README');
  for (const [i, s] of snippets.entries()) {
    if (!s.run) continue;
    const script = join(dir, 'out', files[i]!.replace(/\.([mc])ts$/, '.$1js'));
    runs.push({ ...s, ...(await run(process.execPath, [script], { cwd: work, env: { ...process.env, ...env } })) });
  }
  return { compiled, runs };
}

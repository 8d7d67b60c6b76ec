// What the CLI touches of the process, passed in so that main() runs in tests.
import type * as Readline from 'node:readline/promises';
import { type Readable, Writable } from 'node:stream';
import { InterruptedError, UsageError } from '../errors.js';

// Loaded when a question is asked: most runs ask none.
const readline = (): typeof Readline => process.getBuiltinModule('node:readline/promises');

export interface Io {
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean; columns?: number };
  stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** Colour only on a terminal, and never against NO_COLOR or TERM=dumb; FORCE_COLOR forces it. */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

export interface Paint {
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const code = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;

export function paint(enabled: boolean): Paint {
  const same = (s: string) => s;
  if (!enabled) return { red: same, yellow: same, green: same, dim: same, bold: same };
  return { red: code(31, 39), yellow: code(33, 39), green: code(32, 39), dim: code(2, 22), bold: code(1, 22) };
}

/** Everything a stream gives, as bytes. */
export async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}

/**
 * The records of a stream split at `separator`, as bytes, one at a time as
 * they come: a list of any length costs one record and one chunk (#23).
 */
export async function* records(stream: AsyncIterable<unknown>, separator: number): AsyncGenerator<Buffer> {
  let rest: Buffer | undefined;
  for await (const data of stream) {
    const chunk = Buffer.isBuffer(data) ? data : Buffer.from(data as string);
    let start = 0;
    for (let end = chunk.indexOf(separator); end >= 0; end = chunk.indexOf(separator, start)) {
      const piece = chunk.subarray(start, end);
      yield rest ? Buffer.concat([rest, piece]) : piece;
      rest = undefined;
      start = end + 1;
    }
    if (start < chunk.length) rest = rest ? Buffer.concat([rest, chunk.subarray(start)]) : Buffer.from(chunk.subarray(start));
  }
  if (rest?.length) yield rest;
}

/**
 * Asks a yes/no question when a person is there to answer (standard input and
 * standard error on a terminal); a script is not asked, and gets `true`.
 */
export async function confirm(io: Io, question: string): Promise<boolean> {
  if (!io.stdin.isTTY || !io.stderr.isTTY) return true;
  const rl = readline().createInterface({ input: io.stdin, output: io.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

/**
 * Asks for one line on a terminal: the question on standard error, the answer
 * from standard input. With `hidden` (a key, a password) nothing of the answer
 * is echoed: readline puts the terminal in raw mode, so the terminal does not
 * echo, and echoes itself to a stream that drops everything. Ctrl-C is an
 * interruption; the end of standard input before an answer, a usage error.
 */
export async function ask(io: Io, question: string, options: { hidden?: boolean; signal?: AbortSignal | undefined } = {}): Promise<string> {
  const hidden = options.hidden === true;
  const nowhere = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = readline().createInterface({ input: io.stdin, output: hidden ? nowhere : io.stderr, ...(hidden ? { terminal: true } : {}) });
  // Asked only now that the terminal is in raw mode: what is typed after it is not echoed.
  if (hidden) io.stderr.write(question);
  let answered = false;
  try {
    return await new Promise<string>((resolve, reject) => {
      // In raw mode Ctrl-C is a keystroke, not a signal: readline reports it here.
      rl.on('SIGINT', () => reject(new InterruptedError()));
      rl.on('close', () => {
        if (!answered) reject(new UsageError('standard input ended before an answer was given'));
      });
      rl.question(hidden ? '' : question, options.signal ? { signal: options.signal } : {}).then(
        (line) => {
          answered = true;
          resolve(line);
        },
        (err: unknown) => reject(options.signal?.aborted ? new InterruptedError() : err),
      );
    });
  } finally {
    answered = true;
    rl.close();
    // The Enter that ended a hidden answer was not echoed either.
    if (hidden) io.stderr.write('\n');
  }
}

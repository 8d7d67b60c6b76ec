#!/usr/bin/env node
// The executable: wires the process to main() and owns process exit.
import { setMaxListeners } from 'node:events';
import { ExitCode } from '../errors.js';

const controller = new AbortController();
// Each request in flight holds a listener on the run's signal, a dozen at once and more: not a leak past EventEmitter's 10.
setMaxListeners(0, controller.signal);
let interrupts = 0;
// The signal is the abort's reason: main() answers 130 for SIGINT, 143 for SIGTERM.
const onSignal = (signal: NodeJS.Signals) => {
  interrupts++;
  // A second Ctrl-C does not wait for in-flight requests to wind down.
  if (interrupts > 1) process.exit(signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted);
  controller.abort(signal);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// `chacractl ... | head` closes stdout early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
});

const flushed = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => stream.write('', () => resolve()));

const argv = process.argv.slice(2);
// `chacractl --version` alone, as scripts check it, need not load the grammar
// and its commands; any other spelling goes through main() as before.
const run: Promise<number> =
  argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')
    ? import('../version.js').then(({ VERSION }) => {
        process.stdout.write(`${VERSION}\n`);
        return ExitCode.ok;
      })
    : import('../cli/main.js').then(({ main }) =>
        main(argv, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() }, controller.signal),
      );

// No top-level await: the single executable runs this file bundled as CommonJS.
void run.then(async (code) => {
  // Everything is done once main() returns, but undici's closed sockets keep the
  // event loop alive for a further ~100 ms; exit as soon as the output is out.
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
});

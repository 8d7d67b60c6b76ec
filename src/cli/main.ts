// main(argv) parses, runs one command and returns its exit status. It never
// calls process.exit, so tests can run it; bin/chacractl.ts is the only caller
// that touches the process.
import { ChacraError, ExitCode, InterruptedError, UsageError } from '../errors.js';
import { binaryCreate, binaryDelete } from './commands/binary.js';
import { exists, projectCreate } from './commands/misc.js';
import { repoDelete, repoExtra, repoFile, repoRecreate, repoSetRaw, repoShow, repoUpdate, repoWait } from './commands/repo.js';
import { locate, nodeLs, nodeNext } from './commands/node.js';
import { buildLs, buildUpdate } from './commands/build.js';
import { serve } from './commands/serve.js';
import { binaryShow, health, ls, search } from './commands/browse.js';
import { completionCommand } from './commands/completion.js';
import { configInit, configShow } from './commands/config.js';
import { binaryDownload } from './commands/download.js';
import { createContext, type RunOutput, stoppedStatus } from './context.js';
import { Grammar, type OptionName, type OptionTable } from './grammar.js';
import { MAX_TIMER_MS } from './grammar/values.js';
import type { AdviceSettings } from './advice.js';
import { colorEnabled, paint, type Io } from './io.js';
import { CommandFailure, envelope } from './json.js';
import { CliLogger, LOG_LEVELS } from './log.js';
import { VERSION } from '../version.js';

const OPTIONS: OptionTable = {
  url: { kind: 'url', value: 'URL', description: 'chacra API root (else CHACRA_URL, else url in the config file)' },
  shaman: {
    kind: 'url',
    value: 'URL',
    description: 'shaman, in front of a pool of chacra nodes, used when no chacra url is set (else CHACRA_SHAMAN_URL, else shaman_url in the config file)',
  },
  user: { kind: 'string', value: 'USER', description: 'API user (else CHACRA_USER, else the config file)' },
  key: { kind: 'string', value: 'KEY', description: 'API key (else CHACRA_KEY, else the config file)' },
  config: { kind: 'path', value: 'PATH', description: 'config file (else CHACRACTL_CONFIG, else ~/.chacractl)' },
  insecure: { kind: 'flag', description: "do not verify the server's TLS certificate" },
  ca: { kind: 'path', value: 'PATH', description: 'verify the server against this PEM CA bundle' },
  log: { kind: 'level', alias: 'logging', value: 'LEVEL', description: `log level: ${LOG_LEVELS.join(', ')} (default info)` },
  json: { kind: 'flag', description: 'print one JSON document on stdout' },
  quiet: { kind: 'flag', short: 'q', description: 'print only errors and the summary' },
  timeout: {
    kind: 'duration',
    // A timer past 32 bits fires at once: a longer timeout would end a wait, or every request, at its start.
    max: MAX_TIMER_MS,
    value: 'DURATION',
    description:
      'how long the server may stay silent before a try is given up (default 30s; with the default 3 retries, a server that never answers is left after about 2 minutes; a transfer that keeps moving is never cut short); with --wait and repo wait, how long to wait for the repo (default 30m)',
  },
  retries: { kind: 'count', value: 'N', description: 'retries of a failed request (default 3)' },
  'retry-delay': { kind: 'duration', max: MAX_TIMER_MS, value: 'DURATION', description: 'first backoff between retries, doubled each time (default 500ms)' },
  help: { kind: 'flag', short: 'h', description: 'show help' },
  version: { kind: 'flag', short: 'V', description: 'print the version' },
  force: { kind: 'flag', description: 'replace what is there' },
  jobs: { kind: 'count', min: 1, short: 'j', value: 'N', description: 'uploads at once (default 4)' },
  'dry-run': { kind: 'flag', description: 'show what would be uploaded, replaced or skipped; send no write' },
  yes: { kind: 'flag', short: 'y', description: 'do not ask for confirmation on a terminal' },
  null: { kind: 'flag', short: '0', description: 'file names on standard input are NUL-separated (find -print0)' },
  wait: { kind: 'flag', description: 'then wait until the repo is built (see --timeout, --interval)' },
  interval: { kind: 'duration', max: MAX_TIMER_MS, value: 'DURATION', description: 'time between polls (default 5s)' },
  port: { kind: 'count', value: 'N', description: 'port to listen on (default 8080; 0 picks a free one)' },
  host: { kind: 'string', value: 'ADDRESS', description: 'address to listen on (default 127.0.0.1)' },
  data: { kind: 'path', value: 'DIR', description: 'data directory, kept (default: a temporary one, removed at exit)' },
  'tls-cert': { kind: 'path', value: 'PEM', description: 'serve HTTPS with this certificate' },
  'tls-key': { kind: 'path', value: 'PEM', description: 'the private key of --tls-cert' },
  delay: { kind: 'duration', max: MAX_TIMER_MS, value: 'DURATION', description: 'time each request takes, such as 30ms (default 0)' },
  workers: { kind: 'count', value: 'N', description: 'requests handled at once, like gunicorn workers (default: no limit)' },
  'repo-step': { kind: 'duration', max: MAX_TIMER_MS, value: 'DURATION', description: 'time between repo states; 0 stops the repo worker (default 1s)' },
  repos: { kind: 'flag', description: 'list repos/ instead of binaries/' },
  long: { kind: 'flag', short: 'l', description: 'show full sha512 checksums' },
  output: { kind: 'path', short: 'o', value: 'PATH', description: 'where to write: a file for one binary, or a directory' },
  name: { kind: 'string', value: 'NAME', description: 'exact binary name' },
  'name-has': { kind: 'string', value: 'TEXT', description: 'part of the binary name' },
  distro: { kind: 'string', value: 'DISTRO', description: 'such as centos or ubuntu' },
  'distro-version': { kind: 'string', value: 'VERSION', description: 'such as 9 or jammy' },
  arch: { kind: 'string', value: 'ARCH', description: 'such as x86_64' },
  ref: { kind: 'string', value: 'REF', description: 'branch or tag' },
  'built-by': { kind: 'string', value: 'WHO', description: 'who built it' },
  size: { kind: 'count', value: 'BYTES', description: 'exact size in bytes' },
  project: { kind: 'string', value: 'PROJECT', description: 'project (filtered here)' },
  sha1: { kind: 'string', value: 'SHA1', description: 'build sha1 (filtered here)' },
  flavor: { kind: 'string', value: 'FLAVOR', description: 'flavor (filtered here)' },
  distros: { kind: 'distros', value: 'D/V[/ARCH],...', description: 'distro versions, such as centos/9,ubuntu/jammy/amd64' },
  ready: { kind: 'flag', description: 'ready repos only' },
  fault: { kind: 'fault', multiple: true, value: 'SPEC', description: 'inject a fault: METHOD:PATH-REGEX:ACTION[:COUNT]' },
  outage: { kind: 'window', max: MAX_TIMER_MS, value: 'AFTER:FOR', description: 'refuse connections for a while, such as 5s:10s' },
  pool: { kind: 'count', min: 1, value: 'N', description: 'run a shaman on --port with N chacra nodes (free ports) that report to it' },
  'health-delay': {
    kind: 'duration',
    max: MAX_TIMER_MS,
    value: 'DURATION',
    description: "with --pool: the time a node's health check takes (default 2s, as chacra)",
  },
  'shaman-user': { kind: 'string', value: 'USER', description: "with --pool: the user of shaman and of the nodes' callbacks (default shaman)" },
  'shaman-key': { kind: 'string', value: 'KEY', description: 'with --pool: the key of --shaman-user (default shamankey)' },
  'build-url': { kind: 'url', value: 'URL', description: "the Jenkins build's url (else BUILD_URL)" },
  'log-url': { kind: 'url', value: 'URL', description: "the build's log (default: the build url + /consoleFull)" },
  extra: { kind: 'string', multiple: true, value: 'KEY=VALUE', description: "one more field of the build's extra (repeatable)" },
  'build-version': { kind: 'string', value: 'VERSION', description: 'the version being built, extra.version (also spelled --version here)' },
};

const GLOBAL_OPTIONS: OptionName[] = [
  'url',
  'shaman',
  'user',
  'key',
  'config',
  'insecure',
  'ca',
  'log',
  'json',
  'quiet',
  'timeout',
  'retries',
  'retry-delay',
  'help',
  'version',
];

export const grammar: Grammar = new Grammar(
  [
    binaryCreate,
    binaryDelete,
    binaryDownload,
    binaryShow,
    projectCreate,
    exists,
    ls,
    search,
    repoUpdate,
    repoRecreate,
    repoSetRaw,
    repoDelete,
    repoShow,
    repoWait,
    repoExtra,
    repoFile,
    health,
    configShow,
    configInit,
    completionCommand((): Grammar => grammar),
    nodeNext,
    nodeLs,
    locate,
    buildUpdate,
    buildLs,
    serve,
  ],
  OPTIONS,
  GLOBAL_OPTIONS,
);

export async function main(argv: string[], io: Io, signal: AbortSignal = new AbortController().signal): Promise<number> {
  const colors = paint(colorEnabled(io.stderr, io.env));
  const logger = new CliLogger((text) => io.stderr.write(text), 'info', colors);
  const ctxRef: { close?: () => Promise<void>; settings?: () => AdviceSettings | undefined } = {};
  // Known before parsing, so that a line the grammar refuses still gets its document.
  const asked = grammar.peek(argv);
  const output: RunOutput = {};
  let command = asked.command;
  // serve runs until stopped: its document goes out once it listens.
  output.publish = () => {
    output.printed = true;
    printNow(io, logger, command, output.data);
  };
  let code: number;
  let thrown: Thrown | undefined;
  try {
    const parsed = grammar.parse(argv);
    // --help and --version are no command's run: their document names none.
    if (parsed.version || parsed.help !== undefined) command = null;
    if (parsed.version) {
      if (asked.json) output.data = { version: VERSION };
      else io.stdout.write(`${VERSION}\n`);
      code = ExitCode.ok;
    } else if (parsed.help !== undefined) {
      if (asked.json) output.data = { help: parsed.help };
      else io.stdout.write(parsed.help + '\n');
      code = ExitCode.ok;
    } else {
      const { command, values } = parsed.invocation!;
      logger.level = values.log ?? (values.quiet ? 'error' : 'info');
      logger.addSecret(values.key);
      logger.addSecret(io.env.CHACRA_KEY);
      logger.addSecret(io.env.SHAMAN_API_KEY);
      // --timeout bounds each request, or, where a command waits for a repo, the wait.
      const waits = command.waitsForRepo?.(values) === true;
      // 0 is "one look" where --timeout is a wait's; as each request's, it gave none any time, and the verdict was chance.
      if (!waits && values.timeout === 0)
        throw new UsageError('--timeout 0 leaves each request no time at all', {
          hint: 'give each request a time, such as --timeout 30s; 0 means "one look" only where a command waits (locate --wait, repo wait, --wait)',
        });
      const ctx = createContext(
        {
          io,
          logger,
          paint: colors,
          signal,
          values,
          requestTimeout: !waits,
          preloadClient: command.offline !== true,
        },
        output,
      );
      ctxRef.close = ctx.close;
      ctxRef.settings = ctx.settings;
      code = await command.run(parsed.invocation!, ctx);
      if (code === ExitCode.interrupted) code = stoppedStatus(signal);
    }
  } catch (err) {
    thrown = await reportError(err, logger, signal, ctxRef.settings?.());
    code = thrown.code;
  } finally {
    await ctxRef.close?.().catch(() => undefined);
  }
  if (asked.json && !output.printed) await printDocument(io, logger, command, code, output, thrown, ctxRef.settings?.());
  return code;
}

function printNow(io: Io, logger: CliLogger, command: string | null, data: object | undefined): void {
  io.stdout.write(logger.redact(JSON.stringify(envelope(command, ExitCode.ok, null, data), null, 2)) + '\n');
}

/** The run's one --json document, on success and on failure alike. */
async function printDocument(
  io: Io,
  logger: CliLogger,
  command: string | null,
  code: number,
  output: RunOutput,
  thrown: Thrown | undefined,
  settings: AdviceSettings | undefined,
): Promise<void> {
  let error = null;
  if (code !== ExitCode.ok) {
    let err: unknown = thrown?.err ?? output.failure;
    let hint = thrown?.hint;
    if (err === undefined)
      err =
        code === ExitCode.interrupted || code === ExitCode.terminated
          ? new InterruptedError(code === ExitCode.terminated ? 'terminated' : 'interrupted')
          : new CommandFailure('failed', `exit status ${code}: see the messages on standard error`);
    if (thrown === undefined && err instanceof ChacraError) hint = (await import('./advice.js')).advice(err, settings);
    const { jsonError } = await import('./json-error.js');
    error = jsonError(err, hint, (text) => logger.redact(text));
  }
  io.stdout.write(logger.redact(JSON.stringify(envelope(command, code, error, output.data), null, 2)) + '\n');
}

/** A run that ended in a throw: its status, the error and the advice stderr showed. */
interface Thrown {
  code: number;
  err: unknown;
  hint: string | undefined;
}

async function reportError(err: unknown, logger: CliLogger, signal: AbortSignal, settings: AdviceSettings | undefined): Promise<Thrown> {
  if (signal.aborted || err instanceof InterruptedError) {
    const status = stoppedStatus(signal);
    const word = status === ExitCode.terminated ? 'terminated' : 'interrupted';
    logger.error(word);
    return { code: status, err: err instanceof InterruptedError ? err : new InterruptedError(word), hint: undefined };
  }
  if (err instanceof ChacraError) {
    // Expected failures: the message and what to do, no stack.
    logger.fatal(err.message);
    // The advice and the statuses know every operation's errors: loaded on failure only.
    const [{ advice }, { exitStatusOf }] = await Promise.all([import('./advice.js'), import('./exit-status.js')]);
    const hint = advice(err, settings);
    if (hint) logger.fatal(`hint: ${hint}`);
    if (err.cause) logger.debug(`cause: ${(err.cause as Error).stack ?? String(err.cause)}`);
    return { code: exitStatusOf(err), err, hint };
  }
  logger.fatal(`internal error: ${(err as Error)?.message ?? String(err)}`);
  logger.fatal('this is a bug in chacractl; please report it with the output of --log debug');
  logger.debug((err as Error)?.stack ?? '');
  return { code: ExitCode.failed, err, hint: 'this is a bug in chacractl; please report it with the output of --log debug' };
}

// Log lines on stderr, in the Python client's shape "[chacractl][LEVEL] message",
// filtered by --log, with every secret the run knows masked.
import type { Logger } from '../logger.js';
import { shown } from './format.js';
import type { Paint } from './io.js';

export const LOG_LEVELS = ['debug', 'info', 'warning', 'error', 'critical'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function parseLogLevel(value: string): LogLevel | undefined {
  const v = value.toLowerCase();
  if (v === 'warn') return 'warning';
  return (LOG_LEVELS as readonly string[]).includes(v) ? (v as LogLevel) : undefined;
}

export class CliLogger implements Logger {
  private readonly secrets: string[] = [];
  /** Set while a progress display owns the last line of stderr. */
  beforeWrite: (() => void) | undefined;
  afterWrite: (() => void) | undefined;

  constructor(
    private readonly write: (text: string) => void,
    public level: LogLevel,
    private readonly paint: Paint,
  ) {}

  /** Never print these, whatever the message. */
  addSecret(secret: string | undefined): void {
    if (secret && secret.length >= 3 && !this.secrets.includes(secret)) this.secrets.push(secret);
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('****');
    // user:key@host in any URL that reaches a message.
    return out.replace(/(\w+:\/\/)[^/\s:@]*:[^/\s@]*@/g, '$1****@');
  }

  enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(this.level);
  }

  /** `shownAs` labels a line whose severity (`level`) is not its label's: the reason a run failed. */
  private log(level: LogLevel, message: string, shownAs: LogLevel = level): void {
    if (!this.enabled(level)) return;
    const label = shownAs.toUpperCase().padEnd(7);
    const color = level === 'debug' ? this.paint.dim : level === 'info' ? (s: string) => s : level === 'warning' ? this.paint.yellow : this.paint.red;
    this.beforeWrite?.();
    // Messages carry servers' words: no escape sequence of theirs reaches the terminal.
    this.write(`${color(`[chacractl][${label}]`)} ${shown(this.redact(message), '\n\t')}\n`);
    this.afterWrite?.();
  }

  debug(message: string): void {
    this.log('debug', message);
  }
  info(message: string): void {
    this.log('info', message);
  }
  warn(message: string): void {
    this.log('warning', message);
  }
  error(message: string): void {
    this.log('error', message);
  }
  /**
   * Why the run ends in failure, and what to do: said at every level, as
   * nothing else is said under --log critical, where an exit status alone
   * would leave a script's log without a reason.
   */
  fatal(message: string): void {
    this.log('critical', message, 'error');
  }
}

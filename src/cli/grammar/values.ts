// The option parsers: an option's text to its typed value, or a usage error
// that names the option, before any command runs.
import { UsageError } from '../../errors.js';
import type { FaultAction, FaultRule } from '../../server/faults.js';
import { LOG_LEVELS, type LogLevel, parseLogLevel } from '../log.js';
import type { OptionSpec, Window } from './model.js';

/** The longest wait a Node timer makes: it fires longer ones at once. Durations that set a timer are bounded by it. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Seconds, or a number with a unit: 500ms, 30s, 5m, 1h. */
export function parseDuration(text: string, option: string, max = Number.POSITIVE_INFINITY): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`--${option} takes a duration such as 30s, 5m or 90, not ${JSON.stringify(text)}`);
  const ms = Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!);
  if (ms > max) throw new UsageError(`--${option} is at most ${Math.floor(max / 86_400_000)} days, not ${JSON.stringify(text)}`);
  return ms;
}

export function parseCount(text: string, option: string, min = 0): number {
  if (!/^\d+$/.test(text) || Number(text) < min)
    throw new UsageError(`--${option} takes a whole number${min ? ` from ${min}` : ''}, not ${JSON.stringify(text)}`);
  return Number(text);
}

export function parseLevel(text: string, option: string): LogLevel {
  const level = parseLogLevel(text);
  if (level === undefined) throw new UsageError(`--${option} takes one of ${LOG_LEVELS.join(', ')}, not ${JSON.stringify(text)}`);
  return level;
}

/**
 * The text itself, once it is an http or https URL: the config resolution
 * reads it again, but a wrong one is the option's mistake, said before
 * anything is read or sent.
 */
export function parseHttpUrl(text: string, option: string): string {
  let protocol: string | undefined;
  try {
    protocol = new URL(text.trim()).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'http:' && protocol !== 'https:')
    throw new UsageError(`--${option} takes an http or https URL, such as https://chacra.example.com, not ${JSON.stringify(text)}`);
  return text;
}

/** AFTER:FOR, two durations, such as 5s:10s. */
export function parseWindow(text: string, option: string, max?: number): Window {
  const m = /^([^:]+):([^:]+)$/.exec(text);
  if (!m) throw new UsageError(`--${option} takes AFTER:FOR, such as 5s:10s, not ${JSON.stringify(text)}`);
  return { after: parseDuration(m[1]!, option, max), length: parseDuration(m[2]!, option, max) };
}

/**
 * DISTRO/VERSION[/ARCH],... such as centos/9,ubuntu/jammy/amd64: checked,
 * then kept as written, since shaman's search reads that very text.
 */
export function parseDistros(text: string, option: string): string {
  for (const distro of text.split(',')) {
    const parts = distro.split('/');
    if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === ''))
      throw new UsageError(`--${option} takes DISTRO/VERSION[/ARCH],... not ${JSON.stringify(text)}`, { hint: 'such as centos/9,ubuntu/jammy/amd64' });
  }
  return text;
}

const FAULT_HINT =
  'a fault is METHOD:PATH-REGEX:ACTION[:COUNT], such as POST:/binaries/:503:3; ACTION is a status (100 to 599), reset, delayMS, corrupt-upload, truncate-upload, corrupt-download, html or garbage';

/** The local server's fault, METHOD:PATH-REGEX:ACTION[:COUNT], such as POST:/binaries/:503:2; * for any method or path. */
export function parseFault(text: string, option: string): FaultRule {
  const wrong = (why: string) => new UsageError(`--${option} ${JSON.stringify(text)}${why}`, { hint: FAULT_HINT });
  const fields = text.split(':');
  if (fields.length < 3 || fields.length > 4) throw wrong(' is not METHOD:PATH-REGEX:ACTION[:COUNT]');
  const [method, path, action, count] = fields as [string, string, string, string | undefined];
  const rule: FaultRule = { action: faultAction(action, wrong) };
  if (method && method !== '*') rule.method = method.toUpperCase();
  if (path && path !== '*') {
    try {
      new RegExp(path);
    } catch (err) {
      throw wrong(`: ${JSON.stringify(path)} is not a regular expression (${(err as Error).message})`);
    }
    rule.path = path;
  }
  if (count !== undefined) {
    if (!/^\d+$/.test(count)) throw wrong(`: COUNT must be a whole number, not ${JSON.stringify(count)}`);
    rule.count = Number(count);
  }
  return rule;
}

function faultAction(action: string, wrong: (why: string) => UsageError): FaultAction {
  if (/^\d{3}$/.test(action)) {
    const status = Number(action);
    if (status < 100 || status > 599) throw wrong(`: ${action} is not an HTTP status (100 to 599)`);
    // A 429 says when to come back, as servers that throttle do.
    return { kind: 'status', status, retryAfter: status === 429 ? 1 : undefined };
  }
  const delay = /^delay(\d*)$/.exec(action);
  if (delay) {
    const ms = Number(delay[1]) || 5000;
    if (ms > MAX_TIMER_MS) throw wrong(`: a delay is at most ${MAX_TIMER_MS} ms`);
    return { kind: 'delay', ms };
  }
  switch (action) {
    case 'reset':
    case 'corrupt-upload':
    case 'truncate-upload':
    case 'corrupt-download':
    case 'html':
    case 'garbage':
      return { kind: action };
  }
  throw wrong(`: unknown fault action ${JSON.stringify(action)}`);
}

/** One written value of the option `name`, typed by its kind. */
export function parseOptionValue(name: string, spec: OptionSpec, text: string): string | number | Window | FaultRule {
  switch (spec.kind) {
    case 'count':
      return parseCount(text, name, spec.min);
    case 'duration':
      return parseDuration(text, name, spec.max);
    case 'level':
      return parseLevel(text, name);
    case 'url':
      return parseHttpUrl(text, name);
    case 'window':
      return parseWindow(text, name, spec.max);
    case 'distros':
      return parseDistros(text, name);
    case 'fault':
      return parseFault(text, name);
    default:
      return text;
  }
}

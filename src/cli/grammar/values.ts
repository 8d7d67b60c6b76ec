// The option parsers: an option's text to its typed value, or a usage error
// that names the option, before any command runs.
import { UsageError } from '../../errors.js';
import { LOG_LEVELS, type LogLevel, parseLogLevel } from '../log.js';
import type { OptionSpec, Window } from './model.js';

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

/** One written value of the option `name`, typed by its kind. */
export function parseOptionValue(name: string, spec: OptionSpec, text: string): string | number | Window {
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
    default:
      return text;
  }
}

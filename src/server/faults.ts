// Fault injection for tests and manual trials: answer errors, drop
// connections, stall, or store and serve altered bytes, for requests that
// match a method and path pattern.
import { STATUS_CODES } from 'node:http';
import { Transform } from 'node:stream';
import { crash, sendJson, sendText, type Exchange } from './respond.js';

export type FaultAction =
  /** Answer this status instead of handling the request (with Retry-After for 429/503 when given). */
  | { kind: 'status'; status: number; retryAfter?: number }
  /** Close the connection without an answer, after reading `afterBytes` of the request body (0: at once). */
  | { kind: 'reset'; afterBytes?: number }
  /** Wait before handling the request. */
  | { kind: 'delay'; ms: number }
  /** Store an upload with one byte changed. */
  | { kind: 'corrupt-upload' }
  /** Store only the first half of an upload; with `thenStatus`, answer that instead of success. */
  | { kind: 'truncate-upload'; thenStatus?: number }
  /** Serve a download with one byte changed. */
  | { kind: 'corrupt-download' }
  /** Answer 200 with an HTML page, as a captive proxy would. */
  | { kind: 'html' }
  /** Answer 200 with a body that is not JSON. */
  | { kind: 'garbage' };

export interface FaultRule {
  /** Method to match, such as POST; any when absent. */
  method?: string;
  /** A regular expression tested against the raw request path. */
  path?: string;
  /** How many matching requests to affect; unlimited when absent. */
  count?: number;
  /** Affect this fraction of matching requests (0..1), drawn from `seed`. */
  fraction?: number;
  seed?: number;
  action: FaultAction;
}

interface ActiveRule extends FaultRule {
  regex: RegExp | undefined;
  random: () => number;
  hits: number;
}

// mulberry32: a small seeded generator, so a failing fraction can be replayed.
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Faults {
  private rules: ActiveRule[] = [];
  // Keyed by the request: handlers see copies of the exchange with fewer segments.
  private readonly chosen = new WeakMap<object, FaultAction>();
  /** Faults applied so far, by "METHOD kind" (METHOD * for any): tests compare it with what the client retried. */
  readonly applied: Record<string, number> = {};

  add(rule: FaultRule): void {
    this.rules.push({ ...rule, regex: rule.path ? new RegExp(rule.path) : undefined, random: seeded(rule.seed ?? 1), hits: 0 });
  }

  clear(): void {
    this.rules = [];
  }

  /** Picks the fault for a request, once, when it arrives. */
  choose(x: Exchange): FaultAction | undefined {
    for (const rule of this.rules) {
      if (rule.method && rule.method !== x.method) continue;
      if (rule.regex && !rule.regex.test(x.rawPath)) continue;
      if (rule.count !== undefined && rule.hits >= rule.count) continue;
      if (rule.fraction !== undefined && rule.random() >= rule.fraction) continue;
      rule.hits++;
      const key = `${rule.method ?? '*'} ${rule.action.kind}`;
      this.applied[key] = (this.applied[key] ?? 0) + 1;
      this.chosen.set(x.req, rule.action);
      return rule.action;
    }
    return undefined;
  }

  alterUpload(x: Exchange): Transform {
    const action = this.chosen.get(x.req);
    if (action?.kind === 'corrupt-upload') return flipFirstByte();
    if (action?.kind === 'truncate-upload') {
      let kept = 0;
      const limit = Number(x.req.headers['content-length'] ?? 0) / 2;
      return new Transform({
        transform(chunk: Buffer, _enc, done) {
          const room = Math.max(0, limit - kept);
          kept += chunk.length;
          done(null, chunk.subarray(0, room));
        },
      });
    }
    return new Transform({ transform: (chunk, _enc, done) => done(null, chunk) });
  }

  /** The status to answer after storing, for faults that store and then fail. */
  statusAfterStore(x: Exchange): number | undefined {
    const action = this.chosen.get(x.req);
    return action?.kind === 'truncate-upload' ? action.thenStatus : undefined;
  }

  alterDownload(x: Exchange, _size: number): Transform {
    if (this.chosen.get(x.req)?.kind === 'corrupt-download') return flipFirstByte();
    return new Transform({ transform: (chunk, _enc, done) => done(null, chunk) });
  }
}

function flipFirstByte(): Transform {
  let first = true;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (first && chunk.length > 0) {
        first = false;
        const copy = Buffer.from(chunk);
        copy[0] = copy[0]! ^ 0xff;
        return done(null, copy);
      }
      done(null, chunk);
    },
  });
}

/** Answers for a fault that replaces the handler; false when the fault alters the handling instead. */
export async function applyFault(x: Exchange, fault: FaultAction): Promise<boolean> {
  switch (fault.kind) {
    case 'status':
      x.req.resume();
      if (fault.retryAfter !== undefined) x.res.setHeader('retry-after', String(fault.retryAfter));
      // What nginx in front of chacra answers when its upstream fails.
      if (fault.status > 500)
        sendText(
          x,
          fault.status,
          `<html><head><title>${fault.status} ${STATUS_CODES[fault.status] ?? 'Error'}</title></head><body><center>nginx</center></body></html>`,
          'text/html',
        );
      else if (fault.status === 500) crash(x);
      else sendJson(x, fault.status, { message: 'injected fault' });
      return true;
    case 'reset': {
      const after = fault.afterBytes ?? 0;
      if (after <= 0) {
        x.req.socket.destroy();
        return true;
      }
      let seen = 0;
      await new Promise<void>((resolve) => {
        x.req.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (seen >= after) {
            x.req.socket.destroy();
            resolve();
          }
        });
        x.req.on('end', () => {
          x.req.socket.destroy();
          resolve();
        });
        x.req.on('close', () => resolve());
      });
      return true;
    }
    case 'html':
      x.req.resume();
      sendText(x, 200, '<html><head><title>Sign in to the network</title></head><body>portal</body></html>', 'text/html');
      return true;
    case 'garbage':
      x.req.resume();
      sendText(x, 200, 'this is not json', 'application/json');
      return true;
    default:
      return false;
  }
}

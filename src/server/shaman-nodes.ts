// shaman's pool of chacra nodes (shaman/util.py, controllers/api/nodes): the
// rotation by least recent use, the inline health check of the chosen node,
// down_count and health_check_retries, and registration by POST.
import { abortableSleep, send } from './net.js';
import { nowMicros, pythonTimestamp } from './shaman-respond.js';

export interface NodeRecord {
  /** As registered: any path segment, used verbatim in SCHEME://HOST/. */
  host: string;
  /** Microseconds since the epoch; 0 for a node never used (1970-01-01 00:00:00 puts new nodes first). */
  lastUsed: number;
  /** The last POST /api/nodes/HOST/, not the last check: next's checks leave it alone. */
  lastCheck: number | null;
  healthy: boolean;
  downCount: number;
}

export interface NodePoolOptions {
  /** `https` as shaman hard-codes; `http` for a local pool without TLS. */
  scheme: 'http' | 'https';
  /** Trusted for the nodes' certificates (shaman's chacra_verify_ssl). */
  ca?: string | Buffer | undefined;
  /** What a chacra health check takes on top of the request (about 2 s: two Celery inspect broadcasts). */
  healthCheckDelayMs: number;
  healthCheckRetries: number;
  healthCheckTimeoutMs: number;
  /** Told after every change, for those who wait on the pool's state. */
  onChange: () => void;
}

export interface NodeCheckStats {
  /** Health checks made, by next and by registrations. */
  healthChecks: number;
  failedChecks: number;
  /** next calls answered with a node, and answered 404 for want of one. */
  nextAnswered: number;
  nextNone: number;
}

export class NodePool {
  // Insertion order stands for the database's id order, which breaks ties of last_used (#9: C, registered first, comes first).
  readonly nodes = new Map<string, NodeRecord>();
  readonly stats: NodeCheckStats = { healthChecks: 0, failedChecks: 0, nextAnswered: 0, nextNone: 0 };
  private readonly closing = new AbortController();

  constructor(private readonly options: NodePoolOptions) {}

  /** Ends the checks under way (as failures), so that a closed shaman keeps no timer. */
  close(): void {
    this.closing.abort();
  }

  json(node: NodeRecord): Record<string, unknown> {
    return {
      host: node.host,
      last_used: pythonTimestamp(node.lastUsed),
      last_check: node.lastCheck === null ? null : pythonTimestamp(node.lastCheck),
      healthy: node.healthy,
      down_count: node.downCount,
    };
  }

  urlOf(node: NodeRecord): string {
    return `${this.options.scheme}://${node.host}/`;
  }

  /**
   * util.get_next_node: healthy nodes by last_used, each checked in turn until
   * one passes; a failure counts against the node and falls through to the
   * next. Two calls at once may both get the same node, as on shaman.
   */
  async next(): Promise<NodeRecord | undefined> {
    const candidates = [...this.nodes.values()].filter((n) => n.healthy).sort((a, b) => a.lastUsed - b.lastUsed);
    for (const node of candidates) {
      if (await this.isNodeHealthy(node)) {
        node.lastUsed = nowMicros();
        this.stats.nextAnswered++;
        this.options.onChange();
        return node;
      }
    }
    this.stats.nextNone++;
    return undefined;
  }

  /** POST /api/nodes/HOST/: creates the node, then a passing check puts it back in rotation; a failing one takes it out, down_count as it was. */
  async register(host: string): Promise<void> {
    let node = this.nodes.get(host);
    if (!node) {
      node = { host, lastUsed: 0, lastCheck: null, healthy: true, downCount: 0 };
      this.nodes.set(host, node);
    }
    node.lastCheck = nowMicros();
    this.options.onChange();
    if (await this.check(node)) {
      node.downCount = 0;
      node.healthy = true;
    } else {
      node.healthy = false;
    }
    this.options.onChange();
  }

  private async isNodeHealthy(node: NodeRecord): Promise<boolean> {
    if (!(await this.check(node))) {
      node.downCount++;
      // Equality, as shaman compares: a node marked down is never checked by next again, so it cannot pass the limit there.
      if (node.downCount === this.options.healthCheckRetries) node.healthy = false;
      this.options.onChange();
      return false;
    }
    node.downCount = 0;
    node.healthy = true;
    return true;
  }

  /** GET SCHEME://HOST/health/: any 2xx passes (requests' r.ok also takes 3xx, which chacra never answers there). */
  private async check(node: NodeRecord): Promise<boolean> {
    this.stats.healthChecks++;
    let ok = false;
    try {
      const signal = this.closing.signal;
      const res = await send(`${this.urlOf(node)}health/`, { ca: this.options.ca, timeoutMs: this.options.healthCheckTimeoutMs, signal });
      // A node that answers took chacra's checks' time; one where nothing listens fails at once (#19).
      if (this.options.healthCheckDelayMs > 0) await abortableSleep(this.options.healthCheckDelayMs, signal);
      ok = res.status >= 200 && res.status < 400 && !signal.aborted;
    } catch {
      ok = false;
    }
    if (!ok) this.stats.failedChecks++;
    return ok;
  }
}

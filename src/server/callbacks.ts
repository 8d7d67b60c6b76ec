// A node's repo status callbacks to shaman, as chacra's post_status and its
// Celery `callback` task send them: POST <callback url>PROJECT/ with the repo
// document plus status, chacra_url and url. Fire and forget with a few
// retries: a shaman that is down never stops or slows the node.
import type { RepoDocument } from '../types.js';
import { abortableSleep, basicAuth, send } from './net.js';

export type RepoStatus = 'requested' | 'queued' | 'building' | 'ready' | 'deleted';

export interface CallbackOptions {
  /** shaman's repos API, such as http://127.0.0.1:8080/api/repos/ (chacra's callback_url). */
  url: string;
  user: string;
  key: string;
  /**
   * HOST[:PORT] this node calls itself in chacra_url and url (chacra's
   * `hostname`); default the address and port it listens on, as the pool
   * registers it with shaman.
   */
  hostname?: string;
  /** PEM CA for an https callback URL. */
  ca?: string | Buffer;
  /** Retries of a failed callback (chacra's Celery task: 3). */
  retries?: number;
  /** Wait before the first retry, doubled each time (chacra: 30 s apart). */
  retryDelayMs?: number;
}

export interface CallbackStats {
  /** Callbacks shaman accepted, by status. */
  sent: Record<string, number>;
  /** Callbacks given up after every retry. */
  failed: number;
  /** Failed attempts, retried or not. */
  failedAttempts: number;
}

export class CallbackSender {
  readonly stats: CallbackStats = { sent: {}, failed: 0, failedAttempts: 0 };
  // One after another: sent at once, queued, building and ready could reach shaman out of order and leave it on "building".
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  private readonly stop = new AbortController();

  constructor(
    private readonly options: CallbackOptions,
    /** The node's own root, such as https://127.0.0.1:8443/. */
    private readonly nodeRoot: string,
    private readonly onError?: (err: Error) => void,
  ) {}

  /** Queues a callback with the repo as it is now, as chacra serialises the repo when it posts. */
  post(status: RepoStatus, doc: RepoDocument): void {
    if (this.stop.signal.aborted) return;
    const uri = `${[doc.project_name, doc.ref, doc.sha1, doc.distro, doc.distro_version].map(encodeURIComponent).join('/')}/flavors/${encodeURIComponent(doc.flavor)}/`;
    const body = JSON.stringify({ ...doc, status, chacra_url: `${this.nodeRoot}repos/${uri}`, url: `${this.nodeRoot}r/${uri}` });
    const target = `${this.options.url.replace(/\/?$/, '/')}${encodeURIComponent(doc.project_name)}/`;
    this.pending++;
    this.chain = this.chain.then(() => this.deliver(target, body, status)).finally(() => this.pending--);
  }

  /** Resolves once every queued callback was delivered or given up. */
  async idle(): Promise<void> {
    while (this.pending > 0) await this.chain;
  }

  /** Drops what is queued and stops retrying, as a stopped node's Celery tasks are lost. */
  close(): void {
    this.stop.abort();
  }

  private async deliver(target: string, body: string, status: RepoStatus): Promise<void> {
    const retries = this.options.retries ?? 3;
    let delay = this.options.retryDelayMs ?? 1000;
    for (let attempt = 0; attempt <= retries && !this.stop.signal.aborted; attempt++) {
      try {
        const res = await send(target, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: basicAuth(this.options.user, this.options.key) },
          body,
          ca: this.options.ca,
          timeoutMs: 30_000,
          signal: this.stop.signal,
        });
        // chacra's task calls raise_for_status: a 4xx is retried like a 5xx.
        if (res.status >= 200 && res.status < 300) {
          this.stats.sent[status] = (this.stats.sent[status] ?? 0) + 1;
          return;
        }
        throw new Error(`shaman answered ${res.status}`);
      } catch (err) {
        if (this.stop.signal.aborted) return;
        this.stats.failedAttempts++;
        if (attempt === retries) {
          this.stats.failed++;
          this.onError?.(new Error(`callback ${status} to ${target} failed: ${(err as Error).message}`));
          return;
        }
      }
      await abortableSleep(delay, this.stop.signal);
      delay *= 2;
    }
  }
}

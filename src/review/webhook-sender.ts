import { createHash, createHmac, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { AppContext } from '../app-context.js';
import type { WebhookTarget } from '../policy/policy.js';
import type { JobQueue } from '../store/job-queue.js';
import { JobQueueWaker } from '../store/job-queue-waker.js';

/** Events Airlock posts; a webhook's `events` list in the policy picks among them. */
export type WebhookEventName = 'awaiting-review' | 'approve' | 'reject' | 'revoke';

export interface WebhookPayload {
  event: WebhookEventName;
  /** One readable line, so a Slack incoming webhook shows something useful as is. */
  text: string;
  release: string;
  state: string;
  reason: string;
  actor: string;
  role: string;
  at: string;
  /** The release's page on this Airlock. */
  url: string;
  findings: { kind: string; severity: string; path: string | null; line: number | null }[];
}

export interface WebhookSenderOptions {
  /** First retry delay; each next one doubles. @default 1000 */
  baseDelayMs?: number;
  /** Attempts in all, the first included. @default 6 */
  maxAttempts?: number;
  /** Per-attempt timeout. @default 10s */
  timeoutMs?: number;
  /**
   * How often the outbox (with `AppDeps.jobs`) is looked at while deliveries other replicas queue
   * may go unheard; otherwise it is looked at when told and when a retry's back-off ends. @default 500
   */
  outboxPollMs?: number;
  /** How often it is looked at while they are heard, in case a notification was lost. @default 5000 */
  outboxSafetyPollMs?: number;
  /** The outbox is first looked at once this settles (a new process's first sweep, which may add to it); what this process sends goes at once. */
  startAfter?: Promise<unknown>;
}

/** What an outbox job holds: the target by its URL's hash (the URL itself is a secret), and the exact body. */
interface OutboxDelivery {
  target: string;
  event: string;
  body: string;
  delivery: string;
}

const targetId = (target: WebhookTarget) => createHash('sha256').update(target.url).digest('hex');

/** Signs a body the way receivers verify it: `sha256=<hex HMAC-SHA256 of the raw body with the shared secret>`. */
export function webhookSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Whether a failed delivery is worth repeating: network errors, timeouts, 408, 429 and 5xx. */
function isRetriable(status: number | null): boolean {
  return status === null || status === 408 || status === 429 || status >= 500;
}

/**
 * Posts events to the webhooks in the current policy, each delivery retried with exponential
 * backoff (in real time: retries are about the receiver being down, not about the release clock).
 * Deliveries are fire-and-forget for the caller; `close()` cancels pending retries.
 */
export class WebhookSender {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly aborter = new AbortController();
  private closed = false;
  private readonly outboxWaker: JobQueueWaker | null = null;
  private outboxRun: Promise<void> | null = null;
  private outboxAgain = false;
  /** This process, as the owner of the outbox jobs it claims. */
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

  constructor(
    private readonly ctx: AppContext,
    private readonly options: WebhookSenderOptions = {},
  ) {
    if (ctx.jobs)
      this.outboxWaker = new JobQueueWaker({
        jobs: ctx.jobs,
        kind: 'webhook',
        owner: this.owner,
        look: () => void this.pollOutbox(),
        unheardMs: options.outboxPollMs ?? 500,
        safetyMs: options.outboxSafetyPollMs,
        after: options.startAfter,
      });
  }

  send(payload: WebhookPayload): void {
    if (this.closed) return;
    const body = JSON.stringify(payload);
    for (const target of this.ctx.policy().webhooks) {
      if (target.events && !target.events.includes(payload.event)) continue;
      const delivery = randomUUID();
      if (this.ctx.jobs) {
        // Into the outbox: any replica delivers it, a restart does not lose it.
        const job: OutboxDelivery = { target: targetId(target), event: payload.event, body, delivery };
        const queued = this.ctx.jobs
          .enqueue({ kind: 'webhook', key: `webhook:${delivery}`, payload: { ...job } }, new Date())
          .then(() => this.pollOutbox())
          .catch((err: unknown) => this.ctx.log(`webhook ${redact(target.url)} (${payload.event}) not queued: ${(err as Error).message}`));
        this.inFlight.add(queued);
        void queued.finally(() => this.inFlight.delete(queued));
      } else this.attempt(target, payload.event, body, delivery, 1);
    }
  }

  /** Claims due outbox deliveries and makes one attempt at each; one pass at a time. */
  private pollOutbox(): Promise<void> {
    const jobs = this.ctx.jobs;
    if (this.closed || !jobs) return Promise.resolve();
    if (this.outboxRun) {
      // Told of a delivery while a pass runs: it may have claimed before that one committed.
      this.outboxAgain = true;
      return this.outboxRun;
    }
    this.outboxRun = (async () => {
      do {
        this.outboxAgain = false;
        await this.deliverOutbox(jobs);
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- pollOutbox() sets it while deliverOutbox awaits
      } while (this.outboxAgain && !this.closed);
    })()
      .catch((err: unknown) => this.ctx.log(`webhook outbox: ${(err as Error).message}`))
      .finally(() => (this.outboxRun = null));
    return this.outboxRun;
  }

  private async deliverOutbox(jobs: JobQueue): Promise<void> {
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    for (;;) {
      // The lease outlasts one attempt; a replica killed mid-attempt leaves the job to another.
      const claimed = await jobs.claim('webhook', this.owner, new Date(), timeoutMs + 20_000, 8);
      if (this.closed) return;
      // All delivered that could be: wake when the soonest retry's back-off ends.
      if (claimed.length === 0) return this.outboxWaker?.idle();
      await Promise.all(
        claimed.map(async (job) => {
          const d = job.payload as unknown as OutboxDelivery;
          const target = this.ctx.policy().webhooks.find((t) => targetId(t) === d.target);
          if (!target) {
            this.ctx.log(`webhook delivery ${d.delivery} (${d.event}) dropped: its webhook is no longer in the policy`);
            await jobs.complete(job.id, this.owner, new Date());
            return;
          }
          const status = await this.post(target, d.event, d.body, d.delivery, job.attempts);
          const what = `webhook ${redact(target.url)} (${d.event}, delivery ${d.delivery}, attempt ${job.attempts})`;
          if (status !== null && status >= 200 && status < 300) {
            await jobs.complete(job.id, this.owner, new Date());
            return;
          }
          const maxAttempts = this.options.maxAttempts ?? 6;
          if (!isRetriable(status) || job.attempts >= maxAttempts) {
            this.ctx.log(`${what} failed${status === null ? '' : ` with HTTP ${status}`}; giving up`);
            await jobs.complete(job.id, this.owner, new Date());
            return;
          }
          const delayMs = Math.min((this.options.baseDelayMs ?? 1000) * 2 ** (job.attempts - 1), 5 * 60_000);
          this.ctx.log(`${what} failed${status === null ? '' : ` with HTTP ${status}`}; retrying in ${delayMs}ms`);
          await jobs.retry(job.id, this.owner, new Date(Date.now() + delayMs), `HTTP ${status ?? 'no answer'}`);
        }),
      );
    }
  }

  /** Resolves when no delivery is in flight (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.outboxWaker?.close();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.aborter.abort();
    // An attempt cut short here stays in the outbox for the next process to deliver.
    await this.outboxRun;
    await this.idle();
  }

  private attempt(target: WebhookTarget, event: string, body: string, delivery: string, attempt: number): void {
    const run = this.post(target, event, body, delivery, attempt).then((status) => {
      if (status !== null && status >= 200 && status < 300) return;
      const what = `webhook ${redact(target.url)} (${event}, delivery ${delivery}, attempt ${attempt})`;
      const maxAttempts = this.options.maxAttempts ?? 6;
      if (this.closed || !isRetriable(status) || attempt >= maxAttempts) {
        this.ctx.log(`${what} failed${status === null ? '' : ` with HTTP ${status}`}; giving up`);
        return;
      }
      const delayMs = Math.min((this.options.baseDelayMs ?? 1000) * 2 ** (attempt - 1), 5 * 60_000);
      this.ctx.log(`${what} failed${status === null ? '' : ` with HTTP ${status}`}; retrying in ${delayMs}ms`);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.attempt(target, event, body, delivery, attempt + 1);
      }, delayMs);
      timer.unref();
      this.timers.add(timer);
    });
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  /** One POST; the HTTP status, or null when no response came. */
  private async post(target: WebhookTarget, event: string, body: string, delivery: string, attempt: number): Promise<number | null> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'Airlock-Webhook',
      'x-airlock-event': event,
      'x-airlock-delivery': delivery,
      'x-airlock-attempt': String(attempt),
    };
    if (target.secret) headers['x-airlock-signature'] = webhookSignature(target.secret, body);
    try {
      const res = await fetch(target.url, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.any([this.aborter.signal, AbortSignal.timeout(this.options.timeoutMs ?? 10_000)]),
      });
      await res.body?.cancel();
      return res.status;
    } catch {
      return null;
    }
  }
}

/** Slack and similar webhook URLs are secrets themselves; logs show only the host. */
function redact(url: string): string {
  try {
    return `${new URL(url).origin}/…`;
  } catch {
    return '<bad url>';
  }
}

import { createHmac, randomUUID } from 'node:crypto';
import type { AppContext } from '../app-context.js';
import type { WebhookTarget } from '../policy/policy.js';

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
}

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

  constructor(
    private readonly ctx: AppContext,
    private readonly options: WebhookSenderOptions = {},
  ) {}

  send(payload: WebhookPayload): void {
    if (this.closed) return;
    const body = JSON.stringify(payload);
    for (const target of this.ctx.policy().webhooks) {
      if (target.events && !target.events.includes(payload.event)) continue;
      this.attempt(target, payload.event, body, randomUUID(), 1);
    }
  }

  /** Resolves when no delivery is in flight (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.aborter.abort();
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

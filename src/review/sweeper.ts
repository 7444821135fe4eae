import type { AppContext } from '../app-context.js';
import { releaseStates, type Release, type ReleaseState } from '../quarantine/release.js';
import { ecosystems, formatReleaseId, parseReleaseId } from '../release-id.js';
import type { AuditEntry } from '../store/release-store.js';
import { sortFindings } from './release-view.js';
import type { WebhookEventName, WebhookPayload, WebhookSender } from './webhook-sender.js';

/** Audit action recorded when time (or a policy edit) moves an undecided release into a state. */
const actionFor: Partial<Record<ReleaseState, string>> = {
  quarantined: 'quarantined',
  'awaiting-review': 'awaiting-review',
  released: 'released',
  rejected: 'blocked',
};

/**
 * Notices state changes nobody asked for: a cooldown ending (quarantined → released or
 * awaiting-review), an analysis finishing, a policy edit. It appends the automatic audit entries
 * and posts the `awaiting-review` webhook, and keeps the release gauges current.
 *
 * The last recorded state of each release is derived from the audit log itself (every automatic
 * entry carries `detail.state`), read once at start and then incrementally, so there is no second
 * source of truth and a restart picks up where the log ends.
 */
export class Sweeper {
  private readonly known = new Map<string, string>();
  private cursor = 0;
  private caughtUp = false;
  private running: Promise<void> | null = null;
  private again = false;
  private lastSweepAt = -Infinity;
  private dirty = false;
  private scheduled: NodeJS.Immediate | null = null;

  constructor(
    private readonly ctx: AppContext,
    private readonly webhooks: WebhookSender,
    /** Reads sweep first when the clock moved this much since the last sweep (the timer's interval). */
    private readonly staleAfterMs = 30_000,
  ) {}

  /** Runs a sweep now (one at a time; a call during a sweep runs one more after it). */
  sweep(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.sweepOnce();
        } while (this.again);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  /** Resolves when no sweep is running. */
  async idle(): Promise<void> {
    while (this.running) await this.running.catch(() => {});
  }

  /**
   * Notes that a package's releases changed (analysis finished, decision, new releases) and
   * sweeps soon, so an `awaiting-review` webhook follows an analysis without waiting for the timer.
   */
  markDirty(): void {
    this.dirty = true;
    if (this.scheduled) return;
    this.scheduled = setImmediate(() => {
      this.scheduled = null;
      this.sweep().catch((err: unknown) => this.ctx.log(`review sweep failed: ${(err as Error).stack ?? err}`));
    });
  }

  /**
   * Sweeps first when something changed or the clock moved past the sweep interval since the last
   * sweep (a stopped process, or a test's clock), so answers read after time passed match the
   * audit log, without sweeping on every request.
   */
  async sweepIfStale(): Promise<void> {
    if (this.dirty || this.ctx.clock.now().getTime() - this.lastSweepAt >= this.staleAfterMs) await this.sweep();
  }

  /** Stops a scheduled sweep (shutdown). */
  stop(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = null;
  }

  private async sweepOnce(): Promise<void> {
    const now = this.ctx.clock.now();
    this.lastSweepAt = now.getTime();
    this.dirty = false;
    await this.ingest();
    // One read serves both the undecided releases and the gauges.
    const all = await this.ctx.store.listReleases();
    const counts = new Map<string, number>();
    for (const release of all) {
      const status = this.ctx.quarantine.status(release, now);
      const key = `${release.ecosystem} ${status.state}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      if (release.decision || release.withdrawnAt) continue;
      const id = formatReleaseId(release);
      const action = actionFor[status.state];
      if (!action || this.known.get(id) === status.state) continue;
      await this.ctx.store.appendAudit({
        at: now,
        actor: 'system',
        role: 'system',
        action,
        subject: id,
        reason: status.reason,
        detail: { state: status.state, until: status.until?.toISOString() ?? null },
      });
    }
    await this.ingest();
    await this.updateGauges(counts);
  }

  /** Reads audit entries appended since the last read (by anyone: the runner, ecosystems, us). */
  private async ingest(): Promise<void> {
    for (;;) {
      const page = await this.ctx.store.listAudit({ afterId: this.cursor, order: 'oldest', limit: 1000 });
      for (const entry of page) this.learn(entry);
      if (page.length > 0) this.cursor = page[page.length - 1]!.id;
      if (page.length < 1000) break;
    }
    this.caughtUp = true;
  }

  private learn(entry: AuditEntry): void {
    let state: string | undefined;
    if (entry.action === 'withdrawn') state = 'withdrawn';
    else if (entry.actor === 'system' && typeof entry.detail.state === 'string') state = entry.detail.state;
    if (!state) return;
    const previous = this.known.get(entry.subject);
    this.known.set(entry.subject, state);
    // History read at start-up was announced by whoever ran then; only new entries notify.
    if (this.caughtUp && state === 'awaiting-review' && previous !== 'awaiting-review') void this.announce(entry);
  }

  private async announce(entry: AuditEntry): Promise<void> {
    try {
      const id = parseReleaseId(entry.subject);
      const release = await this.ctx.store.getRelease(id.ecosystem, id.name, id.version);
      if (!release) return;
      this.webhooks.send(payloadFor(this.ctx, release, 'awaiting-review', entry.reason ?? '', 'system', 'system', entry.at));
    } catch (err) {
      this.ctx.log(`webhook for ${entry.subject} not sent: ${(err as Error).message}`);
    }
  }

  private async updateGauges(counted: Map<string, number>): Promise<void> {
    for (const ecosystem of ecosystems)
      for (const state of releaseStates) this.ctx.metrics.releasesByState.set({ ecosystem, state }, counted.get(`${ecosystem} ${state}`) ?? 0);
    this.ctx.metrics.analysisQueueLength.set((await this.ctx.store.listReleases({ analysis: 'pending' })).length);
  }
}

/** The webhook body for an event about a release. */
export function payloadFor(
  ctx: AppContext,
  release: Release,
  event: WebhookEventName,
  reason: string,
  actor: string,
  role: string,
  at: Date,
): WebhookPayload {
  const id = formatReleaseId(release);
  const status = ctx.quarantine.status(release, at);
  const url = new URL(`#/release/${encodeURIComponent(id)}`, ctx.config.publicUrl).href;
  const findings = sortFindings(release.findings).map((f) => ({ kind: f.kind, severity: f.severity, path: f.path, line: f.line }));
  const kinds = [...new Set(findings.map((f) => f.kind))].join(', ');
  const text =
    event === 'awaiting-review'
      ? `${id} is awaiting review${kinds ? ` (${kinds})` : ''}: ${url}`
      : `${id} was ${event === 'approve' ? 'approved' : event === 'reject' ? 'rejected' : 'revoked'} by ${actor}: ${reason}`;
  return { event, text, release: id, state: status.state, reason, actor, role, at: at.toISOString(), url, findings };
}

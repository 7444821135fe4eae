import { errorStack } from '../errors.js';
import { createHash } from 'node:crypto';
import type { AppContext } from '../app-context.js';
import { effectivePolicy, releasePatternsFor } from '../policy/effective-policy.js';
import type { Policy } from '../policy/policy.js';
import type { Release } from '../domain/release.js';
import type { ReleaseState } from '../domain/release-state.js';
import { ecosystems, type Ecosystem } from '../domain/ecosystem.js';
import { formatReleaseId } from '../domain/release-id.js';
import type { DuePage, NewAuditEntry, StateTransition, TrackedRelease } from '../store/release-store.js';
import { sortFindings } from './release-view.js';
import type { WebhookEventName, WebhookPayload, WebhookSender } from './webhook-sender.js';

/** Audit action recorded when time (or a policy edit) moves an undecided release into a state. */
const actionFor: Partial<Record<ReleaseState, string>> = {
  quarantined: 'quarantined',
  'awaiting-review': 'awaiting-review',
  released: 'released',
  rejected: 'blocked',
};

/** Releases read from the store per query; a sweep yields to the event loop after `pagesPerTurn` of them. */
const pageSize = 500;
const pagesPerTurn = 10;
/** Packages compared per page when a policy reload is followed. */
const packagePageSize = 500;
/**
 * What the sweeper knows of the store's next change is read again after this long in any case:
 * should a notification be lost without the connection being seen to drop, a due release waits
 * at most this long (and no longer than without notifications, where the timer sweeps this often).
 */
const safetyReadMs = 60_000;
/** A next change this soon gets a timer of its own; a later one is looked at by a later sweep or timer. */
const timerWithinMs = 30_000;

/**
 * Records state changes nobody asked for: a cooldown ending (quarantined → released or
 * awaiting-review), an analysis finishing, a policy edit. It appends the automatic audit entries
 * and posts the `awaiting-review` webhook.
 *
 * Its cost grows with what changes, not with what is stored: each release row carries its last
 * recorded state and the moment it may next change (set whenever a fact of the release is written,
 * and from `releaseStatus`'s `until` by each transition), so a sweep asks the store only for rows
 * whose moment has come. A transition is conditional on the row's revision, with its audit entry
 * in the same transaction, so two sweepers (two replicas) on one database write each entry once.
 *
 * A sweep with nothing due asks the store nothing: the sweeper knows the soonest next change in
 * the store, read after each sweep that asked (one indexed row) and lowered by every write it
 * hears of (`watchNextChanges`: its own process's at once, other replicas' on PostgreSQL through
 * LISTEN/NOTIFY). It asks again when that moment has come, when told of a change (`markDirty`),
 * when writes by others may have gone unheard (the notification connection is down, or was), and
 * every `safetyReadMs` besides. A next change within `timerWithinMs` gets a timer, so a cooldown
 * ending is recorded on time whichever replica wrote the release.
 */
export class Sweeper {
  private running: Promise<void> | null = null;
  private again = false;
  private scheduled: NodeJS.Immediate | null = null;
  /** The policy object the stored states were last brought up to date with, by this process. */
  private followedPolicy: Policy | null = null;
  /** The soonest next change in the store as far as this sweeper knows (null: none timed), and when (wall clock) it was read; null: unknown. */
  private known: { at: Date | null; readAtMs: number } | null = null;
  /** Whether writes by other replicas are heard now; while not, every sweep asks the store. */
  private hearing = false;
  /** Counts the changes of `hearing`: a read that saw one happen cannot be trusted to cover what went unheard. */
  private hearingChanges = 0;
  /** While the store is being asked: the soonest change heard meanwhile (the answer may predate it). */
  private heardDuringRead: Date | null | undefined = undefined;
  /** Something changed here (`markDirty`): ask the store whatever is known. */
  private dirty = true;
  private timer: NodeJS.Timeout | null = null;
  private readonly stopWatching: () => void;

  constructor(
    private readonly ctx: AppContext,
    private readonly webhooks: WebhookSender,
  ) {
    this.stopWatching = ctx.store.watchNextChanges({
      changed: (at) => this.heard(at),
      listening: (on) => {
        this.hearing = on;
        this.hearingChanges++;
        // Off: what others write is unheard. On again: what they wrote meanwhile was announced to nobody.
        this.known = null;
      },
    });
  }

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
          // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- sweep() sets it while sweepOnce awaits
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
      this.sweep().catch((err: unknown) => this.ctx.log(`review sweep failed: ${errorStack(err)}`));
    });
  }

  /**
   * Sweeps before a review answer is read, so it matches the audit log even when the clock moved
   * (a stopped process, or a test's clock). Cheap: when nothing is due it asks the store nothing.
   */
  async sweepIfStale(): Promise<void> {
    await this.sweep();
  }

  /** Stops a scheduled sweep (shutdown). */
  stop(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.stopWatching();
  }

  /** A write made a release due at `at`. */
  private heard(at: Date): void {
    if (this.known && (this.known.at === null || at < this.known.at)) this.known = { ...this.known, at };
    if (this.heardDuringRead !== undefined && (this.heardDuringRead === null || at < this.heardDuringRead)) this.heardDuringRead = at;
    this.arm();
  }

  /** Whether a sweep at `now` must ask the store what is due. */
  private mustAsk(now: Date): boolean {
    if (this.dirty || !this.hearing || !this.known) return true;
    if (Date.now() - this.known.readAtMs >= safetyReadMs) return true;
    return this.known.at !== null && this.known.at <= now;
  }

  /**
   * A timer for the known next change, when it is soon and still to come. A change due at once
   * that another replica wrote is that replica's to sweep (it was told); here the next sweep sees it.
   */
  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const at = this.known?.at;
    if (!at) return;
    const inMs = at.getTime() - this.ctx.clock.now().getTime();
    if (inMs <= 0 || inMs > timerWithinMs) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.sweep().catch((err: unknown) => this.ctx.log(`review sweep failed: ${errorStack(err)}`));
    }, inMs);
    this.timer.unref();
  }

  private async sweepOnce(): Promise<void> {
    const now = this.ctx.clock.now();
    // A policy to follow (a reload, or the first sweep, whose predecessor is read from the audit
    // log) and the first page of releases due are read together: a start waits one round trip
    // less. When the policy did change what is due, that page is read again after.
    const prefetch = this.ctx.policy() !== this.followedPolicy && this.dirty;
    // A read during which hearing went off or on again cannot be trusted to cover what went unheard:
    // counted from the start of the read that says when the next change is.
    let hearingSince = this.hearingChanges;
    if (prefetch) this.heardDuringRead = null;
    const firstPage = prefetch ? this.ctx.store.dueAndNext(now, pageSize) : null;
    // Its failure is the sweep's, after the policy's read (or unused, when that one fails first).
    firstPage?.catch(() => {});
    try {
      const marked = await this.followPolicy(now);
      if (!prefetch && !this.mustAsk(now)) return;
      this.dirty = false;
      this.heardDuringRead ??= null;
      const usePrefetched = prefetch && !marked;
      if (!usePrefetched) hearingSince = this.hearingChanges;
      const swept = await this.applyDue(now, usePrefetched ? firstPage : null);
      if (swept === 'more') {
        // More is due (after an upgrade, or a policy edit touching many packages): go on after other work.
        this.known = null;
        this.markDirty();
        return;
      }
      // Without hearing others' writes, what would be read now is stale at once: the next sweep asks again.
      this.known = null;
      if (!this.hearing) return;
      // A read that found nothing due said when the next change is; after transitions, ask.
      if (swept === 'moved') hearingSince = this.hearingChanges;
      const next = swept === 'moved' ? await this.ctx.store.nextChangeAt() : swept.next;
      // Heard while the store was read (the sweep's own transitions among them): the answer may predate it.
      const heard = this.heardDuringRead as Date | null | undefined;
      if (hearingSince === this.hearingChanges) this.known = { at: heard && (next === null || heard < next) ? heard : next, readAtMs: Date.now() };
    } finally {
      this.heardDuringRead = undefined;
    }
    this.arm();
  }

  /**
   * Applies the transitions of releases due at `now`, a few pages at most (the first as read
   * already, if given). Answers what the last read found: nothing due (and when the next change
   * is), `moved` (transitions applied, none left on that page), or `more` (more may be due).
   */
  private async applyDue(now: Date, firstPage: Promise<DuePage> | null): Promise<{ next: Date | null } | 'moved' | 'more'> {
    for (let page = 0; page < pagesPerTurn; page++) {
      const { due, next } = await (page === 0 && firstPage ? firstPage : this.ctx.store.dueAndNext(now, pageSize));
      if (due.length === 0) return { next };
      const transitions = due.map((tracked) => this.transitionOf(tracked, now));
      const applied = new Set(await this.ctx.store.applyTransitions(transitions));
      due.forEach((tracked, i) => {
        const t = transitions[i];
        if (t === undefined) return;
        if (applied.has(t.releaseId) && t.audit && t.state === 'awaiting-review') this.announce(tracked.release, t.audit);
      });
      if (due.length < pageSize) return 'moved';
    }
    return 'more';
  }

  /** The transition recording a due release's state now; with an audit entry when time or policy moved an undecided release. */
  private transitionOf(tracked: TrackedRelease, now: Date): StateTransition {
    const { release } = tracked;
    const { status, transition } = this.ctx.quarantine.transition(release, tracked.revision, now);
    const action = actionFor[status.state];
    // A null state was never recorded (a store upgraded from before states were kept): its history is in the log already.
    const announce = tracked.state !== null && tracked.state !== status.state && !release.decision && !release.withdrawnAt && action;
    const audit: NewAuditEntry | null = announce
      ? {
          at: now,
          actor: 'system',
          role: 'system',
          action,
          subject: formatReleaseId(release),
          reason: status.reason,
          detail: { state: status.state, until: status.until?.toISOString() ?? null },
        }
      : null;
    return { ...transition, audit };
  }

  /**
   * Brings stored states up to date with a reloaded policy. Only packages whose effective policy
   * changed are made due, found by a paged pass over package names (a reload is rare, and the pass
   * reads names, not releases). The policy each pass applied is recorded in the audit log
   * (`policy-applied`, without webhook secrets), so a restart with an edited policy file, or another
   * replica, knows what the stored states were computed with. True when it may have made releases due.
   */
  private async followPolicy(now: Date): Promise<boolean> {
    const policy = this.ctx.policy();
    if (policy === this.followedPolicy) return false;
    const digest = policyDigest(policy);
    const previous = this.followedPolicy
      ? { digest: policyDigest(this.followedPolicy), policy: this.followedPolicy }
      : await this.recordedPolicy();
    if (previous?.digest !== digest) {
      // Without a recorded policy the store is new, or upgraded with every release due already.
      if (previous) await this.markChangedPackages(previous.policy, policy);
      await this.ctx.store.appendAudit({
        at: now,
        actor: 'system',
        role: 'system',
        action: 'policy-applied',
        subject: 'policy',
        reason: previous ? 'the policy changed' : 'first policy recorded',
        detail: { digest, policy: stateRelevant(policy) },
      });
    }
    this.followedPolicy = policy;
    return previous !== null && previous.digest !== digest;
  }

  private async recordedPolicy(): Promise<{ digest: string; policy: Policy } | null> {
    const [entry] = await this.ctx.store.listAudit({ action: 'policy-applied', limit: 1 });
    if (!entry || typeof entry.detail.digest !== 'string' || typeof entry.detail.policy !== 'object') return null;
    return { digest: entry.detail.digest, policy: { ...(entry.detail.policy as Omit<Policy, 'webhooks'>), webhooks: [] } };
  }

  private async markChangedPackages(before: Policy, after: Policy): Promise<void> {
    for (const ecosystem of ecosystems) {
      let cursor: string | undefined;
      for (;;) {
        const names = await this.ctx.store.listPackages(ecosystem, { after: cursor, limit: packagePageSize });
        for (const name of names) if (packagePolicyKey(before, ecosystem, name) !== packagePolicyKey(after, ecosystem, name)) await this.ctx.store.markDue(ecosystem, name);
        if (names.length < packagePageSize) break;
        cursor = names[names.length - 1];
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  }

  private announce(release: Release, entry: NewAuditEntry): void {
    try {
      this.webhooks.send(payloadFor(this.ctx, release, 'awaiting-review', entry.reason ?? '', 'system', 'system', entry.at));
    } catch (err) {
      this.ctx.log(`webhook for ${entry.subject} not sent: ${(err as Error).message}`);
    }
  }
}

/** The parts of a policy that decide states (webhooks do not), as stored with `policy-applied`. */
function stateRelevant(policy: Policy): Omit<Policy, 'webhooks'> {
  return { defaults: policy.defaults, ecosystems: policy.ecosystems, rules: policy.rules, block: policy.block, internal: policy.internal };
}

function policyDigest(policy: Policy): string {
  return createHash('sha256').update(JSON.stringify(stateRelevant(policy))).digest('hex');
}

/** What of a package's effective policy can change its releases' states; equal keys mean nothing moved. */
function packagePolicyKey(policy: Policy, ecosystem: Ecosystem, name: string): string {
  const p = effectivePolicy(policy, ecosystem, name);
  return JSON.stringify([p.cooldownMs, p.reviewThreshold, p.mediumHoldMs, p.blockedBy, p.internalBy, releasePatternsFor(policy, ecosystem, name)]);
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

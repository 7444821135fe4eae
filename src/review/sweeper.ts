import { errorStack } from '../errors.js';
import { createHash } from 'node:crypto';
import type { AppContext } from '../app-context.js';
import { effectivePolicy, releasePatternsFor } from '../policy/effective-policy.js';
import type { Policy } from '../policy/policy.js';
import type { Release } from '../domain/release.js';
import type { ReleaseState } from '../domain/release-state.js';
import { ecosystems, type Ecosystem } from '../domain/ecosystem.js';
import { formatReleaseId } from '../domain/release-id.js';
import type { NewAuditEntry, StateTransition, TrackedRelease } from '../store/release-store.js';
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
 * Records state changes nobody asked for: a cooldown ending (quarantined → released or
 * awaiting-review), an analysis finishing, a policy edit. It appends the automatic audit entries
 * and posts the `awaiting-review` webhook.
 *
 * Its cost grows with what changes, not with what is stored: each release row carries its last
 * recorded state and the moment it may next change (set whenever a fact of the release is written,
 * and from `releaseStatus`'s `until` by each transition), so a sweep asks the store only for rows
 * whose moment has come. A transition is conditional on the row's revision, with its audit entry
 * in the same transaction, so two sweepers (two replicas) on one database write each entry once.
 */
export class Sweeper {
  private running: Promise<void> | null = null;
  private again = false;
  private scheduled: NodeJS.Immediate | null = null;
  /** The policy object the stored states were last brought up to date with, by this process. */
  private followedPolicy: Policy | null = null;

  constructor(
    private readonly ctx: AppContext,
    private readonly webhooks: WebhookSender,
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
    if (this.scheduled) return;
    this.scheduled = setImmediate(() => {
      this.scheduled = null;
      this.sweep().catch((err: unknown) => this.ctx.log(`review sweep failed: ${errorStack(err)}`));
    });
  }

  /**
   * Sweeps before a review answer is read, so it matches the audit log even when the clock moved
   * (a stopped process, or a test's clock). Cheap: when nothing is due it is one indexed query.
   */
  async sweepIfStale(): Promise<void> {
    await this.sweep();
  }

  /** Stops a scheduled sweep (shutdown). */
  stop(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = null;
  }

  private async sweepOnce(): Promise<void> {
    const now = this.ctx.clock.now();
    await this.followPolicy(now);
    for (let page = 0; page < pagesPerTurn; page++) {
      const due = await this.ctx.store.listDue(now, pageSize);
      if (due.length === 0) return;
      const transitions = due.map((tracked) => this.transitionOf(tracked, now));
      const applied = new Set(await this.ctx.store.applyTransitions(transitions));
      due.forEach((tracked, i) => {
        const t = transitions[i];
        if (t === undefined) return;
        if (applied.has(t.releaseId) && t.audit && t.state === 'awaiting-review') this.announce(tracked.release, t.audit);
      });
      if (due.length < pageSize) return;
    }
    // More is due (after an upgrade, or a policy edit touching many packages): go on after other work.
    this.markDirty();
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
   * replica, knows what the stored states were computed with.
   */
  private async followPolicy(now: Date): Promise<void> {
    const policy = this.ctx.policy();
    if (policy === this.followedPolicy) return;
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

import type { AppContext } from '../../app-context.js';
import type { Release } from '../../domain/release.js';
import { formatReleaseId } from '../../domain/release-id.js';
import { canonicalVersion } from './pep440-version.js';

/**
 * Makes stored releases of a project that are one version to pip (`1.2` and `1.2.0`, kept apart
 * by Airlock before releases were keyed by `canonicalVersion`) one release, and returns the
 * project's releases afterwards. Run on each ingest of the project's page, before anything is
 * recorded, so no client is ever shown the old split; it costs nothing when there is none.
 *
 * Fail closed: a rejected spelling takes in the others, so its rejection covers all their files;
 * otherwise the first seen does. Files that move were decided under the other spelling, so each
 * is analyzed again as a file added to the release, on its own clock.
 */
export async function mergeEquivalentReleases(ctx: AppContext, name: string, releases: Release[]): Promise<Release[]> {
  const groups = new Map<string, Release[]>();
  for (const r of releases) {
    const key = canonicalVersion(r.version) ?? r.version;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  let merged = false;
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const [into] = [...group].sort(intoOrder);
    if (!into) continue;
    const from = group.filter((r) => r !== into);
    await ctx.store.mergeReleases(
      into.id,
      from.map((r) => r.id),
    );
    await ctx.store.appendAudit({
      at: ctx.clock.now(),
      actor: 'system',
      role: 'system',
      action: 'merged',
      subject: formatReleaseId(into),
      reason: `${from.map(formatReleaseId).join(', ')} ${from.length === 1 ? 'is' : 'are'} the same version under PEP 440; ${from.length === 1 ? 'its' : 'their'} files are now files of ${formatReleaseId(into)}, each analyzed as a file added to it`,
      detail: { merged: from.map((r) => r.version) },
    });
    merged = true;
  }
  if (!merged) return releases;
  ctx.quarantine.changed('pypi', name);
  return ctx.store.listReleases({ ecosystem: 'pypi', name });
}

/** Rejected (or revoked) first, then the first seen. */
function intoOrder(a: Release, b: Release): number {
  const rejected = (r: Release) => (r.decision && r.decision.action !== 'approve' ? 0 : 1);
  return rejected(a) - rejected(b) || a.firstSeenAt.getTime() - b.firstSeenAt.getTime() || a.id - b.id;
}

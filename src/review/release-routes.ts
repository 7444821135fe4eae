import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../app-context.js';
import { AirlockError } from '../errors.js';
import type { ArtifactProvider, ReleaseArtifact } from '../quarantine/artifact-provider.js';
import { releaseStates, type DecisionAction, type Release, type ReleaseState } from '../quarantine/release.js';
import { ecosystems, formatReleaseId, parseReleaseId, type Ecosystem } from '../release-id.js';
import { archiveKind, checkArchivePath, readArchiveFile, type ArchiveFile } from './archive-file.js';
import { requireRole } from './authenticate.js';
import { queryParams } from './query-params.js';
import { callerOf } from './caller.js';
import { lineDiff } from './line-diff.js';
import { byRisk, describeRelease, summarize } from './release-view.js';
import type { Sweeper } from './sweeper.js';
import { payloadFor } from './sweeper.js';
import type { WebhookSender } from './webhook-sender.js';

/** Which states each decision may be taken from; anything else is a 409 with the reason. */
const allowedFrom: Record<DecisionAction, ReleaseState[]> = {
  // withdrawn: upstream took it down; a reviewer may still vouch for the bytes Airlock has.
  approve: ['quarantined', 'awaiting-review', 'rejected', 'withdrawn'],
  reject: ['quarantined', 'awaiting-review'],
  revoke: ['approved', 'released'],
};

/**
 * Splits `/api/v1/releases/<release id>[/<action>]`. The id may come with its `/` raw
 * (`npm:@acme/widget@1.0.1`) or encoded (`npm:@acme%2Fwidget@1.0.1`); versions never contain `/`,
 * so a last segment without `@` is the action.
 */
function splitReleasePath(req: Request): { id: string; action: string | null } {
  const segments = (req.params as { release?: string[] }).release ?? [];
  const last = segments[segments.length - 1] ?? '';
  if (segments.length > 1 && !last.includes('@')) return { id: segments.slice(0, -1).join('/'), action: last };
  return { id: segments.join('/'), action: null };
}

export function releaseRoutes(
  ctx: AppContext,
  artifacts: Record<Ecosystem, ArtifactProvider>,
  sweeper: Sweeper,
  webhooks: WebhookSender,
): Router {
  const router = Router();

  const findRelease = async (text: string): Promise<Release> => {
    const id = parseReleaseId(text);
    const release = await ctx.store.getRelease(id.ecosystem, id.name, id.version);
    if (!release) throw new AirlockError('ENOTFOUND', `${formatReleaseId(id)} is not known to Airlock`, { subject: formatReleaseId(id) });
    return release;
  };

  router.get('/releases', requireRole('reader'), async (req: Request, res: Response) => {
    await sweeper.sweepIfStale();
    const q = queryParams(req);
    const states = q.state ? q.state.split(',') : [];
    for (const s of states)
      if (!releaseStates.includes(s as ReleaseState))
        throw new AirlockError('EBADREQUEST', `state must be one of ${releaseStates.join(', ')}, got "${s}"`);
    if (q.ecosystem && !ecosystems.includes(q.ecosystem as Ecosystem))
      throw new AirlockError('EBADREQUEST', `ecosystem must be one of ${ecosystems.join(', ')}, got "${q.ecosystem}"`);
    const limit = q.limit === undefined ? 200 : Number(q.limit);
    const offset = q.offset === undefined ? 0 : Number(q.offset);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new AirlockError('EBADREQUEST', `limit must be 1 to 1000, got "${q.limit}"`);
    if (!Number.isInteger(offset) || offset < 0) throw new AirlockError('EBADREQUEST', `offset must be 0 or more, got "${q.offset}"`);

    // Only undecided releases can be quarantined or awaiting review: ask the store for fewer rows.
    const undecided = states.length > 0 && states.every((s) => s === 'quarantined' || s === 'awaiting-review');
    const now = ctx.clock.now();
    const search = q.q?.toLowerCase();
    const all = (await ctx.store.listReleases({ ecosystem: q.ecosystem as Ecosystem | undefined, undecided }))
      .filter((r) => !search || formatReleaseId(r).toLowerCase().includes(search))
      .map((r) => summarize(r, ctx.quarantine.status(r, now), now))
      .filter((s) => states.length === 0 || states.includes(s.state));
    if (states.length === 1 && states[0] === 'quarantined') all.sort((a, b) => (a.until ?? '').localeCompare(b.until ?? ''));
    else all.sort(byRisk);
    res.json({ total: all.length, offset, releases: all.slice(offset, offset + limit) });
  });

  router.get('/releases/*release', requireRole('reader'), async (req: Request, res: Response) => {
    await sweeper.sweepIfStale();
    const { id, action } = splitReleasePath(req);
    const release = await findRelease(id);
    if (action === null) return void res.json(await describeRelease(ctx, release));
    if (action !== 'file') throw new AirlockError('ENOTFOUND', `no such endpoint: GET ${req.path}`);
    const path = checkArchivePath(queryParams(req).path ?? '');
    res.json(await fileDiff(ctx, artifacts[release.ecosystem], release, path));
  });

  router.post('/releases/*release', requireRole('reviewer'), async (req: Request, res: Response) => {
    const { id, action } = splitReleasePath(req);
    if (action !== 'approve' && action !== 'reject' && action !== 'revoke')
      throw new AirlockError('ENOTFOUND', `no such endpoint: POST ${req.path} (approve, reject or revoke)`);
    const body = (req.body ?? {}) as { reason?: unknown; expectedState?: unknown };
    const reason = typeof body.reason === 'string' ? body.reason.trim() : '';
    if (!reason) throw new AirlockError('EBADREQUEST', `a reason is required to ${action} a release`);
    if (reason.length > 2000) throw new AirlockError('EBADREQUEST', 'the reason is longer than 2000 characters');
    await sweeper.sweepIfStale();
    const release = await findRelease(id);
    const releaseId = formatReleaseId(release);
    const now = ctx.clock.now();
    const before = ctx.quarantine.status(release, now);
    if (typeof body.expectedState === 'string' && body.expectedState !== before.state)
      throw new AirlockError('ECONFLICT', `${releaseId} is ${before.state} now, not ${body.expectedState}; reload and decide again`, { subject: releaseId });
    const policy = ctx.quarantine.policyFor(release.ecosystem, release.name, release.version);
    if (action === 'approve' && (policy.blockedBy || policy.internalBy))
      throw new AirlockError('ECONFLICT', `${before.reason}; the policy wins over decisions, so change the policy instead`, { subject: releaseId });
    if (!allowedFrom[action].includes(before.state)) {
      const hint = action === 'reject' && before.visible ? ' (use revoke for a release clients can already see)' : '';
      throw new AirlockError('ECONFLICT', `cannot ${action} ${releaseId}: it is ${before.state}${hint}`, { subject: releaseId });
    }
    const caller = callerOf(res)!;
    const decided = await ctx.quarantine.decide(release, { action, reason, actor: caller.name, role: caller.role, decidedAt: now });
    webhooks.send(payloadFor(ctx, decided, action, reason, caller.name, caller.role, now));
    res.json({ early: action === 'approve' && before.state === 'quarantined', previousState: before.state, release: await describeRelease(ctx, decided) });
  });

  router.get('/policy/*package', requireRole('reader'), (req: Request, res: Response) => {
    const text = ((req.params as { package?: string[] }).package ?? []).join('/');
    const m = /^(npm|pypi):(.+?)(?:@([^@/]+))?$/.exec(text);
    if (!m) throw new AirlockError('EBADREQUEST', `"${text}" is not a package id; expected e.g. npm:express or pypi:requests`);
    const policy = ctx.quarantine.policyFor(m[1] as Ecosystem, m[2]!, m[3]);
    res.json({ package: `${m[1]}:${m[2]}`, version: m[3] ?? null, ...policy });
  });

  return router;
}

type Side = (Omit<ArchiveFile, 'text'> & { artifact: string; text: string | null }) | null;

/** Finds the file in the first artifact that has it, preferring an artifact of the same kind as `like`. */
async function findFile(list: ReleaseArtifact[], path: string, like?: string): Promise<Side> {
  const readable = list.filter((a) => archiveKind(a.filename) !== null);
  const ordered = like ? [...readable].sort((a, b) => Number(archiveKind(b.filename) === like) - Number(archiveKind(a.filename) === like)) : readable;
  for (const artifact of ordered) {
    const file = await readArchiveFile(artifact, path);
    if (file) return { artifact: artifact.filename, ...file };
  }
  return null;
}

/** The finding's file in the candidate and in the baseline, and their side-by-side line diff. */
async function fileDiff(ctx: AppContext, provider: ArtifactProvider, release: Release, path: string) {
  const candidate = await findFile(await provider.artifactsOf(release), path);
  const baselineRelease = release.baselineVersion ? await ctx.store.getRelease(release.ecosystem, release.name, release.baselineVersion) : null;
  let baseline: Side = null;
  let baselineError: string | null = null;
  if (baselineRelease) {
    try {
      baseline = await findFile(await provider.artifactsOf(baselineRelease), path, candidate ? (archiveKind(candidate.artifact) ?? undefined) : undefined);
    } catch (err) {
      baselineError = (err as Error).message;
    }
  }
  const split = (s: Side) => (s?.text ?? '').replace(/\n$/, '').split('\n');
  const rows = candidate?.text != null || baseline?.text != null ? lineDiff(baseline?.text != null ? split(baseline) : [], candidate?.text != null ? split(candidate) : []) : null;
  return {
    release: formatReleaseId(release),
    path,
    baselineVersion: release.baselineVersion,
    candidate,
    baseline,
    baselineError,
    rows,
  };
}

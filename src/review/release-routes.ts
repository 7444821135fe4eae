import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../app-context.js';
import { AirlockError } from '../errors.js';
import type { ArtifactProvider } from '../quarantine/artifact-provider.js';
import { releaseStates, type ReleaseState } from '../domain/release-state.js';
import type { DecisionAction } from '../domain/decision.js';
import type { Release } from '../domain/release.js';
import { ecosystems, type Ecosystem } from '../domain/ecosystem.js';
import { formatReleaseId, parseReleaseId } from '../domain/release-id.js';
import { archiveKind, checkArchivePath, readArchiveFile } from './archive-file.js';
import { requireRole } from './authenticate.js';
import { queryParams } from './query-params.js';
import { signedInCaller } from './caller.js';
import { lineDiff } from './line-diff.js';
import { evidenceWindow } from './evidence-window.js';
import { ReleaseEvidence, type PageEvidence, type ShownFile } from './release-evidence.js';
import type { ReleaseQuery } from '../store/release-store.js';
import { describeRelease, sortFindings, summarize, type ReleaseSummary } from './release-view.js';
import type { Sweeper } from './sweeper.js';
import { payloadFor } from './sweeper.js';
import type { WebhookSender } from './webhook-sender.js';

/** How long a release page waits for its evidence before it is sent without it. */
const pageEvidenceWaitMs = 8000;

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
  const evidence = new ReleaseEvidence(ctx, artifacts);

  /** Within a package, newest first by the ecosystem's version order (semver, PEP 440). */
  const byVersion = (a: ReleaseSummary, b: ReleaseSummary): number => {
    if (a.ecosystem !== b.ecosystem || a.name !== b.name) return a.ecosystem.localeCompare(b.ecosystem) || a.name.localeCompare(b.name);
    try {
      return artifacts[a.ecosystem].compareVersions(b.version, a.version);
    } catch {
      return b.version.localeCompare(a.version);
    }
  };

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
    if (q.order !== undefined && !['risk', 'version', 'hold'].includes(q.order))
      throw new AirlockError('EBADREQUEST', `order must be risk, version or hold, got "${q.order}"`);

    // Filtered, ordered and paged in the store (indexed on the recorded state): never a full listing.
    const now = ctx.clock.now();
    const order = q.order ?? (states.length === 1 && states[0] === 'quarantined' ? 'hold' : 'risk');
    const query: ReleaseQuery = {
      ecosystem: q.ecosystem as Ecosystem | undefined,
      states: states.length > 0 ? (states as ReleaseState[]) : undefined,
      search: q.q || undefined,
      // Version order is the ecosystem's, which SQL cannot sort by: the store orders by package
      // and each page is put in version order within its packages.
      order: order === 'hold' ? 'until' : order === 'version' ? 'package' : 'risk',
    };
    const [total, page] = await Promise.all([ctx.store.countReleases(query), ctx.store.listReleases({ ...query, limit, offset })]);
    const releases = page.map((r) =>
      summarize(r, ctx.quarantine.status(r, now), now, ctx.quarantine.policyFor(r.ecosystem, r.name, r.version).reviewThreshold),
    );
    if (order === 'version') releases.sort(byVersion);
    res.json({ total, offset, releases });
  });

  router.get('/releases/*release', requireRole('reader'), async (req: Request, res: Response) => {
    await sweeper.sweepIfStale();
    const { id, action } = splitReleasePath(req);
    const release = await findRelease(id);
    if (action === null) return void res.json(await describeRelease(ctx, release, await evidenceWithin(release, pageEvidenceWaitMs)));
    const q = queryParams(req);
    if (action === 'excerpt') return void res.json(await excerpt(release, q));
    if (action === 'raw') return rawFile(release, checkArchivePath(q.path ?? ''), res);
    if (action !== 'file') throw new AirlockError('ENOTFOUND', `no such endpoint: GET ${req.path} (file, excerpt or raw)`);
    res.json(await fileDiff(ctx, evidence, release, checkArchivePath(q.path ?? '')));
  });

  /**
   * The page evidence, or after `waitMs` a page without it: reading a large artifact (or
   * fetching one upstream) must not hold the page. The read goes on and the next load has it.
   */
  const evidenceWithin = async (release: Release, waitMs: number): Promise<PageEvidence> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<PageEvidence>((resolve) => {
      timer = setTimeout(
        () => resolve({ findings: release.findings.map(() => null), diff: null, error: 'the artifacts are still being read; reload in a moment' }),
        waitMs,
      );
      timer.unref();
    });
    try {
      return await Promise.race([evidence.forRelease(release), late]);
    } finally {
      clearTimeout(timer);
    }
  };

  /** A larger window around one finding ("show more"): `finding` is its index in the page's order. */
  const excerpt = async (release: Release, q: Record<string, string | undefined>) => {
    const findings = sortFindings(release.findings);
    const index = Number(q.finding);
    const finding = Number.isInteger(index) ? findings[index] : undefined;
    if (!finding || finding.path === null) throw new AirlockError('EBADREQUEST', `finding must be the index of a finding with a file (0 to ${findings.length - 1}), got "${q.finding}"`);
    const lines = q.lines === undefined ? 20 : Number(q.lines);
    const chars = q.chars === undefined ? 4000 : Number(q.chars);
    if (!Number.isInteger(lines) || lines < 0 || lines > 500) throw new AirlockError('EBADREQUEST', `lines must be 0 to 500, got "${q.lines}"`);
    if (!Number.isInteger(chars) || chars < 80 || chars > 100_000) throw new AirlockError('EBADREQUEST', `chars must be 80 to 100000, got "${q.chars}"`);
    const file = await evidence.file(release, finding.path);
    if (!file) throw new AirlockError('ENOTFOUND', `${finding.path} is not in ${formatReleaseId(release)}'s artifacts`);
    return {
      release: formatReleaseId(release),
      path: finding.path,
      artifact: file.artifact,
      size: file.size,
      truncated: file.truncated,
      window: file.text === null ? null : evidenceWindow(file.text, finding, { contextLines: lines, lineChars: chars }),
    };
  };

  /** The whole file as plain text, for the "whole file" link; never rendered as a page by the browser. */
  const rawFile = async (release: Release, path: string, res: Response) => {
    let file = null;
    for (const artifact of await artifacts[release.ecosystem].artifactsOf(release)) {
      if (archiveKind(artifact.filename) === null) continue;
      file = await readArchiveFile(artifact, path, { maxFileBytes: 8 << 20 });
      if (file) break;
    }
    if (!file) throw new AirlockError('ENOTFOUND', `${path} is not in ${formatReleaseId(release)}'s artifacts`);
    if (file.text === null) throw new AirlockError('EBADREQUEST', `${path} is ${file.binary ? 'binary' : 'too large to show'} (${file.size} bytes)`);
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    res.setHeader('Content-Disposition', `inline; filename="${(path.split('/').pop() ?? 'file').replace(/[^\w.-]/g, '_')}"`);
    res.send(file.truncated ? `${file.text}\n\n[Airlock: only the first ${8 << 20} of ${file.size} bytes are shown]\n` : file.text);
  };

  /**
   * One decision, checked the way a single POST checks it; throws an AirlockError (409, 404…)
   * when it cannot be taken. Each decision is recorded and audited on its own by `decide`.
   */
  const decideOne = async (id: string, action: DecisionAction, reason: string, caller: { name: string; role: string }, expectedState?: unknown) => {
    const release = await findRelease(id);
    const releaseId = formatReleaseId(release);
    const now = ctx.clock.now();
    const before = ctx.quarantine.status(release, now);
    if (typeof expectedState === 'string' && expectedState !== before.state)
      throw new AirlockError('ECONFLICT', `${releaseId} is ${before.state} now, not ${expectedState}; reload and decide again`, { subject: releaseId });
    const policy = ctx.quarantine.policyFor(release.ecosystem, release.name, release.version);
    if (action === 'approve' && (policy.blockedBy || policy.internalBy))
      throw new AirlockError('ECONFLICT', `${before.reason}; the policy wins over decisions, so change the policy instead`, { subject: releaseId });
    if (!allowedFrom[action].includes(before.state)) {
      const hint = action === 'reject' && before.visible ? ' (use revoke for a release clients can already see)' : '';
      throw new AirlockError('ECONFLICT', `cannot ${action} ${releaseId}: it is ${before.state}${hint}`, { subject: releaseId });
    }
    const decided = await ctx.quarantine.decide(release, { action, reason, actor: caller.name, role: caller.role, decidedAt: now });
    webhooks.send(payloadFor(ctx, decided, action, reason, caller.name, caller.role, now));
    return { decided, before };
  };

  const readReason = (body: { reason?: unknown }, action: string): string => {
    const reason = typeof body.reason === 'string' ? body.reason.trim() : '';
    if (!reason) throw new AirlockError('EBADREQUEST', `a reason is required to ${action} a release`);
    if (reason.length > 2000) throw new AirlockError('EBADREQUEST', 'the reason is longer than 2000 characters');
    return reason;
  };

  router.post('/releases/*release', requireRole('reviewer'), async (req: Request, res: Response) => {
    const { id, action } = splitReleasePath(req);
    if (action !== 'approve' && action !== 'reject' && action !== 'revoke')
      throw new AirlockError('ENOTFOUND', `no such endpoint: POST ${req.path} (approve, reject or revoke)`);
    const body = (req.body ?? {}) as { reason?: unknown; expectedState?: unknown };
    const reason = readReason(body, action);
    await sweeper.sweepIfStale();
    const caller = signedInCaller(res);
    const { decided, before } = await decideOne(id, action, reason, caller, body.expectedState);
    res.json({ early: action === 'approve' && before.state === 'quarantined', previousState: before.state, release: await describeRelease(ctx, decided) });
  });

  /**
   * Several releases decided together with one reason (releases waiting on the same findings).
   * Each is checked and decided on its own, in order, and audited on its own; one that cannot be
   * decided does not stop the others, and the answer says what happened to each.
   */
  router.post('/decisions', requireRole('reviewer'), async (req: Request, res: Response) => {
    const body = (req.body ?? {}) as { action?: unknown; reason?: unknown; releases?: unknown; expectedStates?: unknown };
    const action = body.action;
    if (action !== 'approve' && action !== 'reject' && action !== 'revoke')
      throw new AirlockError('EBADREQUEST', `action must be approve, reject or revoke, got ${JSON.stringify(action ?? null)}`);
    const reason = readReason(body, action);
    const ids = body.releases;
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > 100 || !ids.every((x) => typeof x === 'string'))
      throw new AirlockError('EBADREQUEST', 'releases must be a list of 1 to 100 release ids, e.g. ["npm:next@16.4.4", "npm:next@16.4.5"]');
    const unique = [...new Set(ids)];
    for (const id of unique) parseReleaseId(id); // every id well-formed before anything is decided
    const expected = (typeof body.expectedStates === 'object' && body.expectedStates !== null ? body.expectedStates : {}) as Record<string, unknown>;
    await sweeper.sweepIfStale();
    const caller = signedInCaller(res);
    const results = [];
    for (const id of unique) {
      try {
        const { decided, before } = await decideOne(id, action, reason, caller, expected[id]);
        const now = ctx.clock.now();
        results.push({ release: formatReleaseId(decided), ok: true, previousState: before.state, state: ctx.quarantine.status(decided, now).state, early: action === 'approve' && before.state === 'quarantined' });
      } catch (err) {
        if (!(err instanceof AirlockError)) throw err;
        results.push({ release: id, ok: false, error: err.message, code: err.code });
      }
    }
    res.json({ action, reason, decided: results.filter((r) => r.ok).length, results });
  });

  router.get('/policy/*package', requireRole('reader'), (req: Request, res: Response) => {
    const text = ((req.params as { package?: string[] }).package ?? []).join('/');
    const m = /^(npm|pypi):(.+?)(?:@([^@/]+))?$/.exec(text);
    if (!m) throw new AirlockError('EBADREQUEST', `"${text}" is not a package id; expected e.g. npm:express or pypi:requests`);
    const policy = ctx.quarantine.policyFor(m[1] as Ecosystem, m[2] ?? '', m[3]);
    res.json({ package: `${m[1]}:${m[2]}`, version: m[3] ?? null, ...policy });
  });

  return router;
}

/** The finding's file in the candidate and in the baseline, and their side-by-side line diff. */
async function fileDiff(ctx: AppContext, evidence: ReleaseEvidence, release: Release, path: string) {
  const candidate = await evidence.file(release, path);
  const baselineRelease = release.baselineVersion ? await ctx.store.getRelease(release.ecosystem, release.name, release.baselineVersion) : null;
  let baseline: ShownFile | null = null;
  let baselineError: string | null = null;
  if (baselineRelease) {
    try {
      baseline = await evidence.file(baselineRelease, path, candidate ? (archiveKind(candidate.artifact) ?? undefined) : undefined);
    } catch (err) {
      baselineError = (err as Error).message;
    }
  }
  const split = (s: ShownFile | null) => (s?.text ?? '').replace(/\n$/, '').split('\n');
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

import type { ArtifactView } from './artifact-view.js';
import { defaultLimits, defaultReviewThreshold } from './defaults.js';
import { pairArtifacts } from './pair-artifacts.js';
import { createProfileCache } from './profile-cache.js';
import { readArtifact } from './read-artifact.js';
import type { RuleContext } from './rule.js';
import { allRules } from './rules/index.js';
import { analysisError } from './rules/analysis-error.js';
import { addedDependencies } from './rules/dependency-added.js';
import { atLeast, compareSeverity } from '../domain/severity.js';
import type { AnalysisInput, AnalysisResult, ArchiveLimits, DependencyStatus } from './types.js';
import type { Finding } from '../domain/finding.js';

/** How `analyzeRelease` reads an artifact: `readArtifact`, unless the caller has some views read already (the analysis worker). */
export type ReadView = typeof readArtifact;

/**
 * Diffs what a candidate release can do against its baseline and returns findings and a
 * verdict. Never throws for bad input: unreadable artifacts, exceeded caps and failing rules
 * become `analysis-error` findings (fail closed). Nothing from an artifact is executed or
 * written to disk.
 *
 * @example
 * const { verdict, findings } = await analyzeRelease({
 *   ecosystem: 'npm',
 *   previous: [{ filename: 'ms-2.1.2.tgz', open: async () => createReadStream(a) }],
 *   candidate: [{ filename: 'ms-2.1.3.tgz', open: async () => createReadStream(b) }],
 * });
 */
export async function analyzeRelease(input: AnalysisInput, read: ReadView = readArtifact): Promise<AnalysisResult> {
  const limits: ArchiveLimits = { ...defaultLimits, ...input.limits };
  const cache = input.cache ?? createProfileCache();
  const threshold = input.reviewThreshold ?? defaultReviewThreshold;
  const firstRelease = !input.previous || input.previous.length === 0;

  const findings: Finding[] = [];
  const readAll = async (sources: AnalysisInput['candidate']) => {
    const views: ArtifactView[] = [];
    for (const source of sources) views.push(await read(source, input.ecosystem, limits, cache));
    return views;
  };
  const candidate = await readAll(input.candidate);
  const previous = firstRelease || !input.previous ? [] : await readAll(input.previous);
  if (candidate.length === 0) {
    findings.push({ kind: analysisError.id, severity: analysisError.severity, path: null, line: null, message: 'The release has no artifacts to analyze.' });
  }

  const pairs = pairArtifacts(candidate, firstRelease ? null : previous);
  const ctx: RuleContext = {
    ecosystem: input.ecosystem,
    firstRelease,
    candidate,
    previous,
    pairs,
    dependencyStatuses: input.dependencyStatus && !firstRelease ? await lookUpDependencies(pairs, input.dependencyStatus) : new Map(),
    ...(input.candidateMeta ? { candidateMeta: input.candidateMeta } : {}),
    ...(input.previousMeta ? { previousMeta: input.previousMeta } : {}),
  };
  for (const rule of allRules) {
    if (!rule.ecosystems.includes(input.ecosystem)) continue;
    try {
      findings.push(...rule.check(ctx));
    } catch (err) {
      findings.push({
        kind: analysisError.id,
        severity: analysisError.severity,
        path: null,
        line: null,
        message: `The ${rule.id} rule failed (${(err as Error).message}), so this release was not fully checked.`,
      });
    }
  }

  const unique = dedupe(findings).sort(
    (a, b) => compareSeverity(a.severity, b.severity) || a.kind.localeCompare(b.kind) || (a.path ?? '').localeCompare(b.path ?? '') || (a.line ?? 0) - (b.line ?? 0),
  );
  return { verdict: unique.some((f) => atLeast(f.severity, threshold)) ? 'review' : 'clean', findings: unique };
}

/** Asks the proxy about each added dependency; a failed lookup is no answer (the finding stays low). */
async function lookUpDependencies(pairs: RuleContext['pairs'], lookUp: NonNullable<AnalysisInput['dependencyStatus']>): Promise<Map<string, DependencyStatus>> {
  const out = new Map<string, DependencyStatus>();
  for (const dep of addedDependencies(pairs)) {
    try {
      const status = await lookUp(dep.name, dep.spec);
      if (status) out.set(dep.name, status);
    } catch {
      // unknown: reported as an ordinary new dependency
    }
  }
  return out;
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const id = `${f.kind}\0${f.path}\0${f.line}\0${f.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

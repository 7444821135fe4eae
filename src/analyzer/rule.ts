import type { ArtifactView } from './artifact-view.js';
import type { ArtifactPair } from './pair-artifacts.js';
import type { DependencyStatus, ReleaseMeta, RuleInfo } from './types.js';
import type { Finding } from '../domain/finding.js';
import type { Ecosystem } from '../domain/ecosystem.js';
import type { Severity } from '../domain/severity.js';

/** Everything a rule may look at for one release. */
export interface RuleContext {
  ecosystem: Ecosystem;
  /** No baseline: every capability is new, so rules report only what is suspicious on its own. */
  firstRelease: boolean;
  candidate: ArtifactView[];
  previous: ArtifactView[];
  /** Each candidate artifact with the baseline artifact it is compared with. */
  pairs: ArtifactPair[];
  candidateMeta?: ReleaseMeta;
  previousMeta?: ReleaseMeta;
  /** Proxy answers about added dependencies, by name (looked up before the rules run). */
  dependencyStatuses: ReadonlyMap<string, DependencyStatus>;
}

/** The code that produces findings of one kind. */
export interface Rule extends RuleInfo {
  check(ctx: RuleContext): Finding[];
}

/** A finding of `rule`'s kind, at the rule's default severity unless given. */
export function findingOf(
  rule: RuleInfo,
  fields: { path: string | null; line?: number | null; message: string; evidence?: string; severity?: Severity; related?: string },
): Finding {
  const finding: Finding = {
    kind: rule.id,
    severity: fields.severity ?? rule.severity,
    path: fields.path,
    line: fields.line ?? null,
    message: fields.message,
  };
  if (fields.evidence) finding.evidence = fields.evidence;
  if (fields.related) finding.related = fields.related;
  return finding;
}

/** The line of `text` at 1-based `line`, for evidence. */
export function lineText(text: string, line: number | null): string | undefined {
  if (line === null) return undefined;
  const lines = text.split('\n');
  return lines.slice(Math.max(0, line - 2), line + 1).join('\n');
}

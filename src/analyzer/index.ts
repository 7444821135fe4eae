/**
 * The release diff analyzer: extracts a capability profile per file (streaming, bounded),
 * diffs candidate against baseline, and runs one rule per finding kind.
 */
import type { RuleInfo } from './types.js';
import { allRules } from './rules/index.js';

export { analyzeRelease } from './analyze-release.js';
export { createProfileCache } from './profile-cache.js';
export { defaultLimits, defaultReviewThreshold } from './defaults.js';
export type {
  AnalysisInput,
  AnalysisResult,
  ArchiveLimits,
  ArtifactSource,
  DependencyStatus,
  ProfileCache,
  ReleaseMeta,
  RuleInfo,
  Verdict,
} from './types.js';
export type { Capability, CapabilityKind, FileProfile } from './file-profile.js';

/** Every rule's id (the finding kind), one-sentence description, default severity and ecosystems. */
export const rules: readonly RuleInfo[] = allRules.map(({ id, description, severity, ecosystems }) => ({ id, description, severity, ecosystems }));

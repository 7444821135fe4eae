import type { Ecosystem } from '../domain/ecosystem.js';
import type { Finding } from '../domain/finding.js';
import type { Severity } from '../domain/severity.js';
import type { FileProfile } from './file-profile.js';

/** What the proxy knows about a dependency a candidate adds (see `AnalysisInput.dependencyStatus`). */
export interface DependencyStatus {
  /** Release id of the version the spec resolves to, e.g. `npm:plain-crypto-js@4.2.1`. */
  id: string;
  /** Its state in Airlock (`quarantined`, `awaiting-review`, `released`…). */
  state: string;
  /** When the dependency's first release was published upstream; null when unknown. */
  firstPublishedAt: Date | null;
  /** Its state keeps it from clients (quarantined, awaiting review, rejected). */
  held: boolean;
  /** Its first release is younger than the analysis horizon. */
  brandNew: boolean;
}

export type Verdict = 'clean' | 'review';

export interface AnalysisResult {
  verdict: Verdict;
  findings: Finding[];
}

/** One downloadable file of a release; open() may be called more than once. */
export interface ArtifactSource {
  filename: string;
  open(): Promise<NodeJS.ReadableStream>;
}

/** Upstream metadata (npm: `_npmUser.name`, `dist.attestations`; PyPI: uploader, provenance). */
export interface ReleaseMeta {
  publisher?: string | null;
  hasProvenance?: boolean;
}

/** Caps applied while reading an archive; any violation becomes an `analysis-error` finding. */
export interface ArchiveLimits {
  /** Largest single file whose content is scanned. @default 64 MiB */
  maxFileBytes: number;
  /** Uncompressed bytes read from one artifact. @default 1 GiB */
  maxTotalBytes: number;
  /** Entries in one artifact. @default 100_000 */
  maxEntries: number;
  /** Compressed size of a zip artifact (zips are buffered to be read). @default 512 MiB */
  maxArchiveBytes: number;
  /** Uncompressed/compressed ratio above which an artifact is treated as a decompression bomb. @default 200 */
  maxCompressionRatio: number;
}

/** Per-file capability profiles keyed by content hash; only a cache, safe to drop at any time. */
export interface ProfileCache {
  get(key: string): FileProfile | undefined;
  set(key: string, profile: FileProfile): void;
  readonly size: number;
}

export interface AnalysisInput {
  ecosystem: Ecosystem;
  /** The baseline release's artifacts; omitted for a first release (→ `new-package`). */
  previous?: ArtifactSource[];
  candidate: ArtifactSource[];
  previousMeta?: ReleaseMeta;
  candidateMeta?: ReleaseMeta;
  /** Findings at or above this severity make the verdict `review`. @default 'high' */
  reviewThreshold?: Severity;
  /** Per-file profiles keyed by content sha256. @default a fresh cache for this call */
  cache?: ProfileCache;
  limits?: Partial<ArchiveLimits>;
  /**
   * In the proxy: looks up a dependency the candidate adds, so a brand-new or held dependency
   * (the axios 2026 attack added one published hours earlier) is reported at high severity.
   * Not serializable; a worker calling `analyzeRelease` passes it as a message round trip.
   * Offline analysis leaves it out. A lookup that throws or answers null changes nothing.
   */
  dependencyStatus?: (name: string, spec: string) => Promise<DependencyStatus | null>;
}

/** What a rule is, for documentation and the review page. */
export interface RuleInfo {
  /** The finding kind the rule produces. */
  id: string;
  /** One sentence. */
  description: string;
  severity: Severity;
  ecosystems: readonly Ecosystem[];
}

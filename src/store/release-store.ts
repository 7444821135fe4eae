import type { AnalysisState, Decision, Release, StoredFinding } from '../quarantine/release.js';
import type { Ecosystem } from '../release-id.js';

/** What an ecosystem learned about one release from upstream metadata. */
export interface ObservedRelease {
  version: string;
  publishedAt: Date | null;
  /** Upstream metadata the analyzer uses (publisher, provenance); stored as given. */
  meta?: Record<string, unknown>;
  /** The release's downloadable files as upstream lists them; recorded before any analysis starts. */
  artifacts?: ObservedArtifact[];
}

/** One downloadable file of a release as upstream describes it. */
export interface ObservedArtifact {
  filename: string;
  /** Where upstream serves it; only ever fetched from an allowed host. */
  url: string;
  /** Expected digests, lowercase hex by algorithm: `{ sha512: '…', sha1: '…' }`. */
  digests: Record<string, string>;
  size: number | null;
  /** Per-file upload time (PyPI); null for npm, whose clock is the release's. */
  publishedAt: Date | null;
}

export interface Artifact extends ObservedArtifact {
  id: number;
  releaseId: number;
  firstSeenAt: Date;
  /** As `Release.clockFloorAt`, for this file: its own cooldown never counts from before it. */
  clockFloorAt: Date | null;
  /** Key of the verified bytes in the BlobStore, once fetched. */
  blobKey: string | null;
}

export interface AuditEntry {
  id: number;
  at: Date;
  /** `system` for automatic changes, else the reviewer's name. */
  actor: string;
  role: string;
  /** `discovered`, `quarantined`, `analyzed`, `released`, `withdrawn`, `approve`, `reject`, `revoke`, … */
  action: string;
  /** Release id (`npm:express@5.0.0`) or other subject. */
  subject: string;
  reason: string | null;
  detail: Record<string, unknown>;
}

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

export interface AuditQuery {
  /** Substring of the subject, e.g. a package name. */
  subject?: string;
  actor?: string;
  action?: string;
  /** Only entries with a smaller id (paging backwards from newest). */
  beforeId?: number;
  /** Only entries with a larger id (paging forwards, for exports). */
  afterId?: number;
  limit?: number;
  order?: 'newest' | 'oldest';
}

export interface ReleaseQuery {
  ecosystem?: Ecosystem;
  name?: string;
  analysis?: AnalysisState;
  /** Only releases without a decision and not withdrawn (the ones whose state can still change by time). */
  undecided?: boolean;
  limit?: number;
  offset?: number;
}

/** A cached upstream document (packument, simple page), kept so Airlock works while upstream is down. */
export interface CachedDocument {
  body: Buffer;
  etag: string | null;
  lastModified: string | null;
  fetchedAt: Date;
}

/**
 * Releases, artifacts, decisions, the audit log and cached upstream documents. Async and
 * engine-neutral: the SQLite implementation is the embedded default; PostgreSQL plugs in here.
 */
export interface ReleaseStore {
  /**
   * Records releases seen upstream. New ones get `firstSeenAt = now` and the analysis state
   * `initialAnalysis` chooses; known ones keep their first-seen time. Returns every stored
   * release of the package and which of them are new.
   */
  recordSeen(
    ecosystem: Ecosystem,
    name: string,
    observed: ObservedRelease[],
    now: Date,
    initialAnalysis: (release: ObservedRelease) => AnalysisState,
  ): Promise<{ releases: Release[]; added: Release[] }>;
  getRelease(ecosystem: Ecosystem, name: string, version: string): Promise<Release | null>;
  getReleaseById(id: number): Promise<Release | null>;
  listReleases(query?: ReleaseQuery): Promise<Release[]>;
  /** Package names known in an ecosystem, sorted. */
  listPackages(ecosystem: Ecosystem): Promise<string[]>;
  saveAnalysis(releaseId: number, result: { findings: StoredFinding[]; baselineVersion: string | null; analyzedAt: Date }): Promise<void>;
  /** Sets the analysis back to pending (re-analysis). */
  resetAnalysis(releaseId: number): Promise<void>;
  recordDecision(releaseId: number, decision: Decision): Promise<void>;
  /**
   * Records a decision and its audit entry in one transaction, only if the release's latest
   * decision is still `previous` (null: none), the one the decider saw: of two reviewers (or
   * replicas) deciding one release at once, exactly one wins and the audit log holds one entry.
   * Returns false, writing nothing, when the release was decided meanwhile.
   */
  decideIf(releaseId: number, previous: Decision | null, decision: Decision, audit: NewAuditEntry): Promise<boolean>;
  /** Marks a release withdrawn upstream (or clears it with null when it reappears). */
  setWithdrawn(releaseId: number, at: Date | null): Promise<void>;

  recordArtifacts(releaseId: number, artifacts: ObservedArtifact[], now: Date): Promise<Artifact[]>;
  /** Records the artifacts of many releases at once (one transaction); known files keep their first-seen time. */
  recordManyArtifacts(entries: { releaseId: number; artifacts: ObservedArtifact[] }[], now: Date): Promise<void>;
  listArtifacts(releaseId: number): Promise<Artifact[]>;
  setArtifactBlob(artifactId: number, blobKey: string): Promise<void>;

  appendAudit(entry: NewAuditEntry): Promise<AuditEntry>;
  /** Appends several entries in one transaction, in order. */
  appendAuditEntries(entries: NewAuditEntry[]): Promise<void>;
  listAudit(query?: AuditQuery): Promise<AuditEntry[]>;

  getDocument(key: string): Promise<CachedDocument | null>;
  putDocument(key: string, doc: CachedDocument): Promise<void>;

  close(): Promise<void>;
}

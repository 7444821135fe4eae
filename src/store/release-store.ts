import type { AnalysisState, Release, ReleaseFacts } from '../domain/release.js';
import type { Decision } from '../domain/decision.js';
import type { ReleaseState, StateCount } from '../domain/release-state.js';
import type { StoredFinding } from '../domain/finding.js';
import type { Ecosystem } from '../domain/ecosystem.js';

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
  /**
   * null: the file came with its release and the release's analysis covers it. A file recorded
   * for a release that already had files gets its own analysis (`pending`, then `done`), against
   * the files the release had before it.
   */
  analysis: AnalysisState | null;
  /** The findings of its own analysis, each naming this file in `artifact`. */
  findings: StoredFinding[];
  analyzedAt: Date | null;
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

/** A release named by its row id and version, without the rest of its row. */
export interface ReleaseVersion {
  id: number;
  version: string;
}

export interface ReleaseQuery {
  ecosystem?: Ecosystem;
  name?: string;
  analysis?: AnalysisState;
  /**
   * Only releases not withdrawn whose state can still change by time or analysis: those without
   * a decision, and those with findings in files added to them later (which an approval made
   * before those files does not cover).
   */
  undecided?: boolean;
  /** Only releases whose recorded state (see `TrackedRelease.state`) is one of these. */
  states?: ReleaseState[];
  /** Case-insensitive substring of the release id (`npm:express@5.0.0`). */
  search?: string;
  /**
   * `newest` (default): newest first. `risk`: most severe finding first, then most recently
   * analyzed (the review queue). `until`: soonest end of hold first (the quarantine list).
   */
  order?: 'newest' | 'risk' | 'until' | 'package';
  limit?: number;
  offset?: number;
}

/**
 * A release with the lifecycle bookkeeping the store keeps on its row, so the sweeper reads only
 * releases whose moment has come. Every write of a fact (`saveAnalysis`, `resetAnalysis`,
 * `recordDecision`, `setWithdrawn`, a publish time learned later) increments `revision` and makes
 * the release due at once.
 */
export interface TrackedRelease {
  release: Release;
  /** The last state recorded by `applyTransitions`; null before the first (a release `recordSeen` just added). */
  state: ReleaseState | null;
  /** When time may change the state; null when only a new fact can. */
  nextChangeAt: Date | null;
  /** Increments with every write to the row; a release `recordSeen` adds has revision 0. */
  revision: number;
}

/** One recorded state change, applied only if the release is still at `revision`. */
export interface StateTransition {
  releaseId: number;
  /** The revision it was read at; if the row changed since, nothing is written. */
  revision: number;
  state: ReleaseState;
  /** When its hold ends (`ReleaseStatus.until`), kept for the quarantine list's order. */
  holdUntil: Date | null;
  nextChangeAt: Date | null;
  /** Written in the same transaction, only if the transition applies. */
  audit: NewAuditEntry | null;
}

/** recordSeen's entries about the whole read, given the versions it is inserting. */
export type ClosingAudit = (versions: ReadonlySet<string>) => NewAuditEntry[];

/** What the caller of `recordSeen` knows beforehand. */
export interface RecordSeenHint {
  /**
   * No document of the package was stored or in memory: most likely a first sight, whose rows a
   * store can write without reading the package first. Only a hint: a package that has rows gets
   * nothing written on its strength (its new releases' clocks depend on when it was last read).
   */
  likelyNew?: boolean;
}

/** Releases due, and when the first release due later is (see `dueAndNext`). */
export interface DuePage {
  due: TrackedRelease[];
  /** The soonest next change after the time asked about; null when none can change by time alone. */
  next: Date | null;
}

/** A new release's first recorded state (see `recordSeen`). */
export type InitialState = Omit<StateTransition, 'releaseId' | 'revision'>;

/** Hears of writes that change when releases are next due (see `ReleaseStore.watchNextChanges`). */
export interface NextChangeListener {
  /** A write made a release due at `at` (`new Date(0)`: at once). */
  changed(at: Date): void;
  /**
   * False while writes by other replicas may go unheard (the notification connection is down or
   * not yet up): what is known then is not enough, read the store. True once they are heard again
   * (what was written meanwhile was announced to nobody: read the store once).
   */
  listening(on: boolean): void;
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
   * Records releases seen upstream. New ones get `firstSeenAt = now`, the analysis state
   * `initialAnalysis` chooses and, when given, the state `initialState` chooses (else they are due
   * at once, with no recorded state); known ones keep their first-seen time. Returns every stored
   * release of the package and which of them are new.
   */
  recordSeen(
    ecosystem: Ecosystem,
    name: string,
    observed: ObservedRelease[],
    now: Date,
    initialAnalysis: (release: ObservedRelease) => AnalysisState,
    /**
     * The state each new release starts in, and its `discovered` audit entry, written with the row
     * in the same transaction (so a new release is never due for a transition just to record it).
     */
    initialState?: (release: ReleaseFacts) => InitialState,
    /**
     * Audit entries written last in the same transaction, after every new release's own: called
     * once `initialState` has seen every new release (e.g. one entry for all releases trusted by
     * age), with the versions about to be inserted. A store may judge a release more than once
     * (see RecordSeenHint): the last `initialState` of each version counts, and `closingAudit`
     * speaks only of the versions it is given.
     */
    closingAudit?: ClosingAudit,
    hint?: RecordSeenHint,
  ): Promise<{ releases: Release[]; added: Release[] }>;
  getRelease(ecosystem: Ecosystem, name: string, version: string): Promise<Release | null>;
  getReleaseById(id: number): Promise<Release | null>;
  listReleases(query?: ReleaseQuery): Promise<Release[]>;
  /**
   * The id and version of every release of a package, in no order: what choosing a baseline reads
   * before reading the few releases it looks at whole. Indexed (the package's unique key covers it).
   */
  listVersions(ecosystem: Ecosystem, name: string): Promise<ReleaseVersion[]>;
  /** How many releases `listReleases(query)` would return without `limit` and `offset`. */
  countReleases(query?: ReleaseQuery): Promise<number>;
  /** Package names known in an ecosystem, sorted; `after` and `limit` page through them. */
  listPackages(ecosystem: Ecosystem, page?: { after?: string; limit?: number }): Promise<string[]>;

  /**
   * Releases whose next change is at or before `now` (soonest first), at most `limit`, and the
   * soonest next change after `now` read together (null: none): what `nextChangeAt` would answer
   * when nothing is due, without a second query. Indexed on next change.
   */
  dueAndNext(now: Date, limit: number): Promise<DuePage>;
  /**
   * Applies each transition whose release is still at the revision it was read at, with its audit
   * entry, in one transaction; returns the ids of the releases it applied to. A second sweeper
   * applying the same transitions writes nothing.
   */
  applyTransitions(transitions: StateTransition[]): Promise<number[]>;
  /** Makes every release of a package due now (a policy change moved their next change); returns how many. */
  markDue(ecosystem: Ecosystem, name: string): Promise<number>;
  /**
   * The soonest `nextChangeAt` of any release, or null when none can change by time alone: one
   * indexed row. A sweeper that knows it (and hears of later writes, see `watchNextChanges`)
   * asks nothing while nothing is due.
   */
  nextChangeAt(): Promise<Date | null>;
  /**
   * Tells `listener` the soonest next change of each write to releases from now on: of this
   * store's own writes as they complete, and on PostgreSQL of every replica's (LISTEN/NOTIFY),
   * soon after they commit. The embedded SQLite store is one process's (as its caches are), so
   * it hears every write. Returns what stops it.
   */
  watchNextChanges(listener: NextChangeListener): () => void;
  /** Releases by ecosystem and recorded state, from counts kept with each change (a few rows, whatever the store holds). */
  countByState(): Promise<StateCount[]>;
  saveAnalysis(releaseId: number, result: { findings: StoredFinding[]; baselineVersion: string | null; analyzedAt: Date }): Promise<void>;
  /**
   * Records an analysis and its audit entry in one transaction, only while the release's analysis
   * is still pending: of two replicas finishing one analysis (a lease taken over from a replica
   * thought dead), one saves it and the log holds one entry. False, writing nothing, otherwise.
   */
  saveAnalysisIfPending(
    releaseId: number,
    result: { findings: StoredFinding[]; baselineVersion: string | null; analyzedAt: Date },
    audit: NewAuditEntry,
  ): Promise<boolean>;
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
  /**
   * Records the artifacts of many releases at once (one transaction); known files keep their
   * first-seen time. A new file of a release that already had files starts with its own
   * analysis `pending` (see `Artifact.analysis`); the first files of a release start with null.
   * `onlyFirst`: only releases that have no file yet get theirs; the others (recorded meanwhile,
   * by any replica) are left as they are.
   */
  recordManyArtifacts(entries: { releaseId: number; artifacts: ObservedArtifact[] }[], now: Date, options?: { onlyFirst?: boolean }): Promise<void>;
  listArtifacts(releaseId: number): Promise<Artifact[]>;
  /** Records the key of an artifact's verified bytes and, when given, their size (counted against AIRLOCK_CACHE_MAX). */
  setArtifactBlob(artifactId: number, blobKey: string, size?: number): Promise<void>;
  /** Records that these artifacts were served to a client at `servedAt` (batched by the caller). */
  markArtifactsServed(artifactIds: number[], servedAt: Date): Promise<void>;
  /** Bytes of all stored artifacts, each distinct blob counted once. */
  storedArtifactBytes(): Promise<number>;
  /**
   * Stored artifacts that may be evicted, least recently served first, at most `limit`: not of a
   * release upstream withdrew, not of one whose latest decision is an approval.
   */
  listEvictableArtifacts(limit: number): Promise<{ artifactId: number; blobKey: string; size: number }[]>;
  /**
   * Clears an artifact's blob key if it is still `blobKey` (so its bytes are fetched again when
   * next asked for); returns whether any other artifact still references that blob (then it must stay).
   */
  evictArtifact(artifactId: number, blobKey: string): Promise<{ evicted: boolean; blobStillReferenced: boolean }>;
  /** Files whose own analysis is pending (added to a known release), oldest first; only of `releaseIds` when given. */
  listArtifactsPendingAnalysis(releaseIds?: number[]): Promise<Artifact[]>;
  /**
   * Records a file's own analysis (`analysis` becomes `done`) and, in the same transaction, makes
   * its findings part of its release's `findings` (after the release's own).
   */
  saveArtifactAnalysis(artifactId: number, result: { findings: StoredFinding[]; analyzedAt: Date }): Promise<void>;
  /** `saveArtifactAnalysis` with its audit entry, in one transaction, only while the file's analysis is still pending. */
  saveArtifactAnalysisIfPending(artifactId: number, result: { findings: StoredFinding[]; analyzedAt: Date }, audit: NewAuditEntry): Promise<boolean>;
  /**
   * Makes several stored releases one (PEP 440 spellings of one version an older Airlock kept
   * apart): the artifacts of `fromIds` move to `intoId` with their own analysis `pending` (a
   * decision on the other spelling did not cover them), the decision history moves along, and
   * the `fromIds` releases are deleted. `intoId` keeps its own facts and latest decision.
   */
  mergeReleases(intoId: number, fromIds: number[]): Promise<void>;

  appendAudit(entry: NewAuditEntry): Promise<AuditEntry>;
  /** Appends several entries in one transaction, in order. */
  appendAuditEntries(entries: NewAuditEntry[]): Promise<void>;
  listAudit(query?: AuditQuery): Promise<AuditEntry[]>;

  getDocument(key: string): Promise<CachedDocument | null>;
  putDocument(key: string, doc: CachedDocument): Promise<void>;

  close(): Promise<void>;
}

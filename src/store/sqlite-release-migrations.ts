import type { Migration } from './migrations.js';

/**
 * The release store's schema, as versioned migrations (see migrations.ts). Append new entries;
 * never edit a shipped one. Version 1 uses IF NOT EXISTS so stores created before migrations
 * existed adopt it unchanged.
 */
export const sqliteReleaseMigrations: Migration[] = [
  {
    version: 1,
    name: 'releases, decisions, artifacts, audit, documents',
    sql: `
CREATE TABLE IF NOT EXISTS releases (
  id INTEGER PRIMARY KEY,
  ecosystem TEXT NOT NULL,
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  published_at INTEGER,
  first_seen_at INTEGER NOT NULL,
  analysis TEXT NOT NULL,
  findings TEXT NOT NULL DEFAULT '[]',
  analyzed_at INTEGER,
  baseline_version TEXT,
  decision TEXT,
  withdrawn_at INTEGER,
  meta TEXT NOT NULL DEFAULT '{}',
  UNIQUE (ecosystem, name, version)
);
CREATE INDEX IF NOT EXISTS releases_analysis ON releases (analysis);
CREATE TABLE IF NOT EXISTS decisions (
  id INTEGER PRIMARY KEY,
  release_id INTEGER NOT NULL REFERENCES releases(id),
  action TEXT NOT NULL,
  reason TEXT NOT NULL,
  actor TEXT NOT NULL,
  role TEXT NOT NULL,
  decided_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS artifacts (
  id INTEGER PRIMARY KEY,
  release_id INTEGER NOT NULL REFERENCES releases(id),
  filename TEXT NOT NULL,
  url TEXT NOT NULL,
  digests TEXT NOT NULL,
  size INTEGER,
  published_at INTEGER,
  first_seen_at INTEGER NOT NULL,
  blob_key TEXT,
  UNIQUE (release_id, filename)
);
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  role TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT NOT NULL,
  reason TEXT,
  detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS audit_subject ON audit (subject);
-- The audit log is append-only, whoever holds the database handle.
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE IF NOT EXISTS documents (
  key TEXT PRIMARY KEY,
  body BLOB NOT NULL,
  etag TEXT,
  last_modified TEXT,
  fetched_at INTEGER NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'per-file analysis of files added later; decisions bound to artifact digests',
    sql: `
-- NULL: the file came with its release and the release's analysis covers it; otherwise the
-- file's own analysis ('pending', 'done'), for a file added to a release that had files.
ALTER TABLE artifacts ADD COLUMN analysis TEXT;
ALTER TABLE artifacts ADD COLUMN findings TEXT NOT NULL DEFAULT '[]';
ALTER TABLE artifacts ADD COLUMN analyzed_at INTEGER;
CREATE INDEX artifacts_pending_analysis ON artifacts (release_id) WHERE analysis = 'pending';
-- The findings of all files analyzed on their own, kept with the release (read with its own).
ALTER TABLE releases ADD COLUMN file_findings TEXT NOT NULL DEFAULT '[]';
-- The artifact digests a decision was made on (JSON array; also inside releases.decision).
ALTER TABLE decisions ADD COLUMN digests TEXT;

-- PyPI files recorded after their release was first seen were never analyzed: analyze them now.
UPDATE artifacts SET analysis = 'pending'
 WHERE first_seen_at > (SELECT r.first_seen_at FROM releases r WHERE r.id = artifacts.release_id AND r.ecosystem = 'pypi');

-- Approvals made before decisions carried digests cover the files present when they were made
-- (same digest choice as artifactDigest: sha512, sha256, sha1).
UPDATE releases SET decision = json_set(decision, '$.digests', json((
  SELECT json_group_array(COALESCE(
    'sha512:' || json_extract(a.digests, '$.sha512'),
    'sha256:' || json_extract(a.digests, '$.sha256'),
    'sha1:' || json_extract(a.digests, '$.sha1'),
    'none:' || a.filename))
  FROM artifacts a
  WHERE a.release_id = releases.id
    AND a.first_seen_at <= CAST(ROUND((julianday(json_extract(releases.decision, '$.decidedAt')) - 2440587.5) * 86400000) AS INTEGER)
)))
 WHERE decision IS NOT NULL AND json_extract(decision, '$.action') = 'approve';
`,
  },
  {
    version: 3,
    name: 'releases and artifacts clock_floor_at',
    sql: `
ALTER TABLE releases ADD COLUMN clock_floor_at INTEGER;
ALTER TABLE artifacts ADD COLUMN clock_floor_at INTEGER;
`,
  },
  {
    version: 4,
    name: 'releases state, hold_until, next_change_at, revision, risk_rank; state and due indexes',
    // The lifecycle bookkeeping the sweeper keeps on each row, so a sweep reads only the releases
    // whose moment has come: `state` is the last state recorded (and announced in the audit log),
    // `next_change_at` when time may change it (0: a fact changed, look now; NULL: only a fact
    // change can), `revision` makes every write conditional on the row as it was read. Existing
    // rows take their state from their last automatic audit entry and are all due once, so the
    // first sweep after the upgrade records their hold and next change without re-announcing them.
    sql: `
ALTER TABLE releases ADD COLUMN state TEXT;
ALTER TABLE releases ADD COLUMN hold_until INTEGER;
ALTER TABLE releases ADD COLUMN next_change_at INTEGER DEFAULT 0;
ALTER TABLE releases ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE releases ADD COLUMN risk_rank INTEGER NOT NULL DEFAULT 4;
UPDATE releases SET
  state = (
    SELECT CASE WHEN a.action = 'withdrawn' THEN 'withdrawn' ELSE json_extract(a.detail, '$.state') END
    FROM audit a
    WHERE a.subject = releases.ecosystem || ':' || releases.name || '@' || releases.version
      AND (a.action = 'withdrawn' OR (a.actor = 'system' AND json_extract(a.detail, '$.state') IS NOT NULL))
    ORDER BY a.id DESC LIMIT 1
  ),
  risk_rank = COALESCE((
    SELECT MIN(CASE json_extract(f.value, '$.severity') WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 END)
    FROM json_each(releases.findings) f
  ), 4);
CREATE INDEX releases_next_change ON releases (next_change_at) WHERE next_change_at IS NOT NULL;
CREATE INDEX releases_state ON releases (ecosystem, state);
CREATE INDEX releases_state_risk ON releases (state, risk_rank, COALESCE(analyzed_at, first_seen_at) DESC, id DESC);
CREATE INDEX releases_risk ON releases (risk_rank, COALESCE(analyzed_at, first_seen_at) DESC, id DESC);
CREATE INDEX releases_state_hold ON releases (state, hold_until);
CREATE INDEX audit_action ON audit (action);
`,
  },
  {
    version: 5,
    name: 'artifacts stored_size, last_served_at; cache eviction indexes',
    // The bounded artifact cache (AIRLOCK_CACHE_MAX): the size of the stored bytes (upstream's
    // `size` is often missing for npm) and when the artifact was last served to a client, so the
    // least recently served are evicted first. Files stored before this count by upstream's size
    // and as served when first seen.
    sql: `
ALTER TABLE artifacts ADD COLUMN stored_size INTEGER;
ALTER TABLE artifacts ADD COLUMN last_served_at INTEGER;
CREATE INDEX artifacts_stored ON artifacts (blob_key, stored_size, size) WHERE blob_key IS NOT NULL;
CREATE INDEX artifacts_last_served ON artifacts (COALESCE(last_served_at, first_seen_at), id) WHERE blob_key IS NOT NULL;
`,
  },
  {
    version: 6,
    name: 'releases analysis index only over pending analyses',
    // The analysis index serves one query, the pending analyses a restart queues again: it need only
    // hold those, not every release trusted by age (hundreds per package at first sight, each one
    // more index entry written with its row).
    sql: `
DROP INDEX releases_analysis;
CREATE INDEX releases_analysis_pending ON releases (analysis) WHERE analysis = 'pending';
`,
  },
  {
    version: 7,
    name: 'hold index only over releases not released',
    // Releases trusted by age are recorded released, with hold ends spread over years and
    // interleaved across packages: each package's first sight wrote its hundreds of rows into as
    // many different leaves of the hold index (most of a first sight's page writes once the store
    // held a few thousand packages). The hold order is for the lists of held releases; a listing
    // that includes released ones is filtered by the state index and sorted.
    sql: `
DROP INDEX releases_state_hold;
CREATE INDEX releases_held_until ON releases (state, hold_until) WHERE state <> 'released';
`,
  },
  {
    version: 8,
    name: 'release counts by state',
    // Counts by state for the gauges (/metrics) and the queues' totals, kept by triggers in the
    // same transaction as each row's change, so a scrape reads a handful of rows instead of
    // counting every release. Only a row whose state moves touches a count.
    sql: `
CREATE TABLE release_state_counts (
  ecosystem TEXT NOT NULL,
  state TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (ecosystem, state)
) WITHOUT ROWID;
INSERT INTO release_state_counts (ecosystem, state, count)
  SELECT ecosystem, state, COUNT(*) FROM releases WHERE state IS NOT NULL GROUP BY ecosystem, state;
CREATE TRIGGER releases_count_inserted AFTER INSERT ON releases WHEN NEW.state IS NOT NULL BEGIN
  INSERT INTO release_state_counts (ecosystem, state, count) VALUES (NEW.ecosystem, NEW.state, 1)
    ON CONFLICT (ecosystem, state) DO UPDATE SET count = count + 1;
END;
CREATE TRIGGER releases_count_moved AFTER UPDATE OF ecosystem, state ON releases
  WHEN OLD.state IS NOT NEW.state OR OLD.ecosystem IS NOT NEW.ecosystem BEGIN
  UPDATE release_state_counts SET count = count - 1 WHERE OLD.state IS NOT NULL AND ecosystem = OLD.ecosystem AND state = OLD.state;
  INSERT INTO release_state_counts (ecosystem, state, count) SELECT NEW.ecosystem, NEW.state, 1 WHERE NEW.state IS NOT NULL
    ON CONFLICT (ecosystem, state) DO UPDATE SET count = count + 1;
END;
CREATE TRIGGER releases_count_deleted AFTER DELETE ON releases WHEN OLD.state IS NOT NULL BEGIN
  UPDATE release_state_counts SET count = count - 1 WHERE ecosystem = OLD.ecosystem AND state = OLD.state;
END;
`,
  },
  {
    version: 9,
    name: 'queue risk index only over releases not released; no state index',
    // Each index on releases is one more entry written per row at a package's first sight, where
    // almost every row is a release trusted by age, recorded released. The state index served
    // counts by state, which release_state_counts now answers; lists by state are read through the
    // partial hold and queue risk indexes (releaseFilter spells out the literal condition they
    // need). The full risk index stays: a risk order over all releases, or over released ones, is
    // read along it (they are most rows) rather than sorted from a scan of every release.
    sql: `
DROP INDEX releases_state;
DROP INDEX releases_state_risk;
CREATE INDEX releases_queue_risk ON releases (state, risk_rank, COALESCE(analyzed_at, first_seen_at) DESC, id DESC) WHERE state <> 'released';
`,
  },
  {
    version: 10,
    name: 'risk index in insertion order; new rows counted by recordSeen',
    // The risk index held its newest entries first (time and id descending), so every row a first
    // sight inserted went in at the index's far left, where each leaf that fills is split and
    // rebalanced; B-trees append cheaply only at their right end. The same order, read backwards,
    // is risk ascending, then newest first: the risk lists still read it without a sort.
    // The count of new rows by state is added once per recordSeen (one upsert per state for
    // hundreds of rows) rather than by a trigger firing for each; recordSeen is the only writer
    // that inserts releases. Moving and deleting rows stay counted by their triggers.
    sql: `
DROP INDEX releases_risk;
CREATE INDEX releases_risk_ascending ON releases (risk_rank DESC, COALESCE(analyzed_at, first_seen_at), id);
DROP TRIGGER releases_count_inserted;
`,
  },
];

import type { Migration } from './migrations.js';

/**
 * The release store's PostgreSQL schema, as versioned migrations (see migrations.ts). Append new
 * entries; never edit a shipped one. Same tables and columns as the SQLite track, in PostgreSQL's
 * types: times are TIMESTAMPTZ, JSON is JSONB, bytes are BYTEA.
 */
export const pgReleaseMigrations: Migration[] = [
  {
    version: 1,
    name: 'releases, decisions, artifacts, audit, documents',
    sql: `
CREATE TABLE releases (
  id SERIAL PRIMARY KEY,
  ecosystem TEXT NOT NULL,
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  published_at TIMESTAMPTZ,
  first_seen_at TIMESTAMPTZ NOT NULL,
  analysis TEXT NOT NULL,
  findings JSONB NOT NULL DEFAULT '[]',
  analyzed_at TIMESTAMPTZ,
  baseline_version TEXT,
  decision JSONB,
  withdrawn_at TIMESTAMPTZ,
  meta JSONB NOT NULL DEFAULT '{}',
  UNIQUE (ecosystem, name, version)
);
CREATE INDEX releases_analysis ON releases (analysis);
CREATE TABLE decisions (
  id SERIAL PRIMARY KEY,
  release_id INTEGER NOT NULL REFERENCES releases(id),
  action TEXT NOT NULL,
  reason TEXT NOT NULL,
  actor TEXT NOT NULL,
  role TEXT NOT NULL,
  decided_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX decisions_release ON decisions (release_id);
CREATE TABLE artifacts (
  id SERIAL PRIMARY KEY,
  release_id INTEGER NOT NULL REFERENCES releases(id),
  filename TEXT NOT NULL,
  url TEXT NOT NULL,
  digests JSONB NOT NULL,
  size BIGINT,
  published_at TIMESTAMPTZ,
  first_seen_at TIMESTAMPTZ NOT NULL,
  blob_key TEXT,
  UNIQUE (release_id, filename)
);
CREATE TABLE audit (
  id BIGSERIAL PRIMARY KEY,
  at TIMESTAMPTZ NOT NULL,
  actor TEXT NOT NULL,
  role TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT NOT NULL,
  reason TEXT,
  detail JSONB NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_subject ON audit (subject);
-- The audit log is append-only, whoever holds a connection.
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only';
END $$;
CREATE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON audit FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TABLE documents (
  key TEXT PRIMARY KEY,
  body BYTEA NOT NULL,
  etag TEXT,
  last_modified TEXT,
  fetched_at TIMESTAMPTZ NOT NULL
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
ALTER TABLE artifacts ADD COLUMN findings JSONB NOT NULL DEFAULT '[]';
ALTER TABLE artifacts ADD COLUMN analyzed_at TIMESTAMPTZ;
CREATE INDEX artifacts_pending_analysis ON artifacts (release_id) WHERE analysis = 'pending';
-- The findings of all files analyzed on their own, kept with the release (read with its own).
ALTER TABLE releases ADD COLUMN file_findings JSONB NOT NULL DEFAULT '[]';
-- The artifact digests a decision was made on (also inside releases.decision).
ALTER TABLE decisions ADD COLUMN digests JSONB;
UPDATE artifacts a SET analysis = 'pending'
 FROM releases r WHERE r.id = a.release_id AND r.ecosystem = 'pypi' AND a.first_seen_at > r.first_seen_at;
UPDATE releases r SET decision = jsonb_set(r.decision, '{digests}', COALESCE((
  SELECT jsonb_agg(COALESCE('sha512:' || (a.digests->>'sha512'), 'sha256:' || (a.digests->>'sha256'), 'sha1:' || (a.digests->>'sha1'), 'none:' || a.filename))
  FROM artifacts a WHERE a.release_id = r.id AND a.first_seen_at <= (r.decision->>'decidedAt')::timestamptz
), '[]'))
 WHERE r.decision IS NOT NULL AND r.decision->>'action' = 'approve';
`,
  },
  {
    version: 3,
    name: 'releases and artifacts clock_floor_at',
    sql: `
ALTER TABLE releases ADD COLUMN clock_floor_at TIMESTAMPTZ;
ALTER TABLE artifacts ADD COLUMN clock_floor_at TIMESTAMPTZ;
`,
  },
  {
    version: 4,
    name: 'releases state, hold_until, next_change_at, revision, risk_rank; state and due indexes',
    // As the SQLite track's migration 4, in PostgreSQL's types: 'epoch' (1970-01-01) is "due
    // now", as 0 is there. Rows from before take their state from their last automatic audit
    // entry and are all due once.
    sql: `
ALTER TABLE releases ADD COLUMN state TEXT;
ALTER TABLE releases ADD COLUMN hold_until TIMESTAMPTZ;
ALTER TABLE releases ADD COLUMN next_change_at TIMESTAMPTZ DEFAULT 'epoch';
ALTER TABLE releases ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE releases ADD COLUMN risk_rank INTEGER NOT NULL DEFAULT 4;
UPDATE releases r SET
  state = (
    SELECT CASE WHEN a.action = 'withdrawn' THEN 'withdrawn' ELSE a.detail->>'state' END
    FROM audit a
    WHERE a.subject = r.ecosystem || ':' || r.name || '@' || r.version
      AND (a.action = 'withdrawn' OR (a.actor = 'system' AND a.detail->>'state' IS NOT NULL))
    ORDER BY a.id DESC LIMIT 1
  ),
  risk_rank = COALESCE((
    SELECT MIN(CASE f->>'severity' WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 END)
    FROM jsonb_array_elements(r.findings) f
  ), 4);
CREATE INDEX releases_next_change ON releases (next_change_at) WHERE next_change_at IS NOT NULL;
CREATE INDEX releases_state ON releases (ecosystem, state);
CREATE INDEX releases_state_risk ON releases (state, risk_rank, COALESCE(analyzed_at, first_seen_at) DESC, id DESC);
CREATE INDEX releases_risk ON releases (risk_rank, COALESCE(analyzed_at, first_seen_at) DESC, id DESC);
CREATE INDEX releases_state_hold ON releases (state, hold_until NULLS FIRST, id);
CREATE INDEX releases_package ON releases (ecosystem, name COLLATE "C", id DESC);
CREATE INDEX audit_action ON audit (action);
`,
  },
  {
    version: 5,
    name: 'artifacts stored_size, last_served_at; cache eviction indexes',
    // As the SQLite track's migration 5: the bounded artifact cache (AIRLOCK_CACHE_MAX).
    sql: `
ALTER TABLE artifacts ADD COLUMN stored_size BIGINT;
ALTER TABLE artifacts ADD COLUMN last_served_at TIMESTAMPTZ;
CREATE INDEX artifacts_stored ON artifacts (blob_key, stored_size, size) WHERE blob_key IS NOT NULL;
CREATE INDEX artifacts_last_served ON artifacts (COALESCE(last_served_at, first_seen_at), id) WHERE blob_key IS NOT NULL;
`,
  },
  {
    version: 6,
    name: 'audit appends notify airlock_audit',
    // Replicas follow the audit log to keep their caches coherent (audit-change-feed.ts); a
    // notification lets them read when something was appended instead of polling. One per
    // statement that added rows (a statement trigger also fires for an INSERT of none, hence the
    // transition table), and PostgreSQL folds equal notifications of one transaction into one and
    // delivers them at commit, when the rows are visible. No payload: listeners read `id > cursor`.
    // Committing a transaction that notified takes a cluster-wide lock ordering such commits; the
    // transactions that append are already ordered by the audit-order lock, so nothing new waits.
    sql: `
CREATE FUNCTION audit_notify_appended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM appended) THEN
    PERFORM pg_notify('airlock_audit', '');
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER audit_appended AFTER INSERT ON audit REFERENCING NEW TABLE AS appended
  FOR EACH STATEMENT EXECUTE FUNCTION audit_notify_appended();
`,
  },
  {
    version: 7,
    name: 'release counts by state; releases tell their next change (airlock_next_change); partial hold and analysis indexes',
    // Counts by state for the gauges (/metrics) and the queues' totals, kept in the same statement
    // as each row's change, so a scrape reads a handful of rows instead of counting every release.
    // Statement triggers (one per kind of event: transition tables allow one each) add up the
    // statement's rows by state; only counts that moved are written, in key order, so two
    // statements changing the same counts wait on each other in one order and never deadlock.
    //
    // Each statement that writes releases also says the soonest next change it wrote, on the
    // channel `airlock_next_change` (milliseconds since the epoch; 0 is "due now"): every replica's
    // sweeper knows when something becomes due, and a sweep with nothing due asks nothing.
    //
    // The hold and analysis indexes hold only what their queries read, as the SQLite track's
    // migrations 6 and 7 made them: releases not released (most are, trusted by age, with hold
    // ends interleaved across packages, one index leaf written each) and pending analyses.
    sql: `
CREATE TABLE release_state_counts (
  ecosystem TEXT NOT NULL,
  state TEXT NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY (ecosystem, state)
);
INSERT INTO release_state_counts (ecosystem, state, count)
  SELECT ecosystem, state, COUNT(*) FROM releases WHERE state IS NOT NULL GROUP BY ecosystem, state;
CREATE FUNCTION releases_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  soonest TIMESTAMPTZ;
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO release_state_counts AS c (ecosystem, state, count)
      SELECT ecosystem, state, COUNT(*) FROM new_rows WHERE state IS NOT NULL GROUP BY ecosystem, state ORDER BY ecosystem, state
      ON CONFLICT (ecosystem, state) DO UPDATE SET count = c.count + EXCLUDED.count;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO release_state_counts AS c (ecosystem, state, count)
      SELECT ecosystem, state, SUM(d) FROM (
        SELECT ecosystem, state, 1 AS d FROM new_rows WHERE state IS NOT NULL
        UNION ALL SELECT ecosystem, state, -1 FROM old_rows WHERE state IS NOT NULL
      ) moved GROUP BY ecosystem, state HAVING SUM(d) <> 0 ORDER BY ecosystem, state
      ON CONFLICT (ecosystem, state) DO UPDATE SET count = c.count + EXCLUDED.count;
  ELSE
    INSERT INTO release_state_counts AS c (ecosystem, state, count)
      SELECT ecosystem, state, -COUNT(*) FROM old_rows WHERE state IS NOT NULL GROUP BY ecosystem, state ORDER BY ecosystem, state
      ON CONFLICT (ecosystem, state) DO UPDATE SET count = c.count + EXCLUDED.count;
    RETURN NULL;
  END IF;
  SELECT MIN(next_change_at) INTO soonest FROM new_rows;
  IF soonest IS NOT NULL THEN
    PERFORM pg_notify('airlock_next_change', FLOOR(EXTRACT(EPOCH FROM soonest) * 1000)::BIGINT::TEXT);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER releases_inserted AFTER INSERT ON releases REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION releases_changed();
CREATE TRIGGER releases_updated AFTER UPDATE ON releases REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION releases_changed();
CREATE TRIGGER releases_deleted AFTER DELETE ON releases REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION releases_changed();
DROP INDEX releases_state_hold;
CREATE INDEX releases_held_until ON releases (state, hold_until NULLS FIRST, id) WHERE state <> 'released';
DROP INDEX releases_analysis;
CREATE INDEX releases_analysis_pending ON releases (analysis) WHERE analysis = 'pending';
`,
  },
  {
    version: 8,
    name: 'queue risk index only over releases not released; no state index',
    // As the SQLite track's migration 9: every index on releases is one more entry per row written
    // at first sight, where almost every row is released (trusted by age). Counts by state come
    // from release_state_counts; lists by state read the partial hold and queue risk indexes. The
    // full risk index stays for risk orders over all or released releases, and the package index
    // for the list of all releases and listPackages.
    sql: `
DROP INDEX releases_state;
DROP INDEX releases_state_risk;
CREATE INDEX releases_queue_risk ON releases (state, risk_rank, COALESCE(analyzed_at, first_seen_at) DESC, id DESC) WHERE state <> 'released';
`,
  },
  {
    version: 9,
    name: 'upstream documents compressed with lz4',
    // Every upstream document Airlock reads is written whole (a packument of hundreds of versions
    // is hundreds of kilobytes), and PostgreSQL compresses such a value before storing it: with
    // pglz, its default, that was a large share of the server's CPU while a registry was first
    // read. lz4 compresses JSON about as well, several times faster. Documents written before
    // keep pglz until rewritten. A server built without lz4 keeps pglz (and says so).
    sql: `
DO $$
BEGIN
  ALTER TABLE documents ALTER COLUMN body SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  RAISE NOTICE 'lz4 is not available on this server: upstream documents stay compressed with pglz';
END $$;
`,
  },
  {
    version: 10,
    name: 'risk index in insertion order',
    // As the SQLite track's migration 10: the risk index held its newest entries first, so each
    // row a first sight inserted went in at the index's far left, where a full leaf is split in
    // half; a B-tree appends cheaply, and packs its pages full, only at its right end. The same
    // order read backwards is risk ascending, then newest first: the risk lists read it unsorted.
    sql: `
DROP INDEX releases_risk;
CREATE INDEX releases_risk_ascending ON releases (risk_rank DESC, COALESCE(analyzed_at, first_seen_at), id);
`,
  },
  {
    version: 11,
    name: 'first sights notify no airlock_audit',
    // A first sight appends the new releases' first entries (discovered, trusted-by-age) with its
    // rows; they change nothing another replica caches (audit-change-feed.ts, firstSightActions),
    // yet each notification woke every replica's feed to read the log, and each notifying commit
    // takes the cluster-wide notify lock: while a registry was first read, once per package.
    sql: `
CREATE OR REPLACE FUNCTION audit_notify_appended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM appended WHERE action NOT IN ('discovered', 'trusted-by-age')) THEN
    PERFORM pg_notify('airlock_audit', '');
  END IF;
  RETURN NULL;
END $$;
`,
  },
  {
    version: 12,
    name: 'audit entries by action in id order',
    // The latest entry of an action (the policy a start compares its own with, an action the API
    // filters on) is read newest first. With the index on action alone PostgreSQL read the log
    // backwards along its key, filtering every entry until one matched: the policy-applied entry
    // is among the first, so each start read the whole log. (SQLite's index on action holds the
    // id already: its rowid.)
    sql: `
DROP INDEX audit_action;
CREATE INDEX audit_action_id ON audit (action, id);
`,
  },
];

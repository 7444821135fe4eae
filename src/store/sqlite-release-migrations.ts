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
];

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
    name: 'releases and artifacts clock_floor_at',
    sql: `
ALTER TABLE releases ADD COLUMN clock_floor_at INTEGER;
ALTER TABLE artifacts ADD COLUMN clock_floor_at INTEGER;
`,
  },
];

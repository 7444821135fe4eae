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
    name: 'releases and artifacts clock_floor_at',
    sql: `
ALTER TABLE releases ADD COLUMN clock_floor_at TIMESTAMPTZ;
ALTER TABLE artifacts ADD COLUMN clock_floor_at TIMESTAMPTZ;
`,
  },
];

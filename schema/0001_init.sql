-- dvsync bookkeeping, version 1. Mirror, shadow and stage tables are created per configured table
-- by the store (their layout follows the configuration); schema/README.md documents all of them.

-- One row per mirror table: the delta link that describes the mirror's data, the cycle in progress
-- (if any) and the outcome of the last attempts. Times are unix seconds (UTC).
CREATE TABLE dvsync_table_state (
  table_name         TEXT PRIMARY KEY NOT NULL,
  entity_set         TEXT NOT NULL,
  delta_link         TEXT,
  delta_link_at      INTEGER,
  cycle_kind         TEXT CHECK (cycle_kind IN ('full', 'delta')),
  cycle_reason       TEXT,
  cursor             TEXT,
  cycle_started_at   INTEGER,
  pages_staged       INTEGER NOT NULL DEFAULT 0,
  resync_requested   INTEGER NOT NULL DEFAULT 0 CHECK (resync_requested IN (0, 1)),
  resync_reason      TEXT,
  last_attempt_at    INTEGER,
  last_success_at    INTEGER,
  last_error         TEXT,
  last_error_at      INTEGER,
  last_cycle_upserts INTEGER NOT NULL DEFAULT 0,
  last_cycle_deletes INTEGER NOT NULL DEFAULT 0,
  last_cycle_rejects INTEGER NOT NULL DEFAULT 0,
  last_cycle_pages   INTEGER NOT NULL DEFAULT 0,
  full_resyncs       INTEGER NOT NULL DEFAULT 0
);

-- Rows that cannot enter their mirror table (null or empty key), kept with the record as received.
CREATE TABLE dvsync_rejects (
  table_name TEXT NOT NULL,
  id         TEXT NOT NULL,
  raw_json   TEXT NOT NULL,
  reason     TEXT NOT NULL,
  version    INTEGER,
  seen_at    INTEGER NOT NULL,
  PRIMARY KEY (table_name, id)
) WITHOUT ROWID;

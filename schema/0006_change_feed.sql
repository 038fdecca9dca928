-- dvsync bookkeeping, version 6: the change feed. Every change a cycle's merge applies to a table
-- whose configuration has "change_feed": true is appended here in the same transaction as the
-- mirror and its delta link. seq only grows (AUTOINCREMENT: never reused, even after the rows with
-- the highest numbers are pruned), and commits are serialized, so a consumer that has read up to
-- seq N and asks for seq > N misses nothing. op is 'upsert' (row: the mirror row as JSON, every
-- column but dvsync_version, which is version) or 'delete' (row NULL; version the last version
-- the mirror had). key_value is the mirror's key column (the id for a table without a key).
-- Rows committed before database.change_feed_retention_days are pruned, always a prefix of seq:
-- a consumer whose last seq is below min(seq) - 1 (or, with no row left, below the last number
-- given out, sqlite_sequence) has missed changes. dvsync_table_state.change_feed says which tables
-- are fed, for a consumer's first copy of the mirror.
CREATE TABLE dvsync_feed (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  table_name   TEXT    NOT NULL,
  id           TEXT    NOT NULL,
  key_value,
  op           TEXT    NOT NULL CHECK (op IN ('upsert', 'delete')),
  version      INTEGER,
  committed_at INTEGER NOT NULL,
  row          TEXT
);
CREATE INDEX dvsync_feed_by_time ON dvsync_feed (committed_at);
ALTER TABLE dvsync_table_state ADD COLUMN change_feed INTEGER NOT NULL DEFAULT 0;
-- The seq of the table's last change fed; NULL before its first.
ALTER TABLE dvsync_table_state ADD COLUMN feed_last_seq INTEGER;

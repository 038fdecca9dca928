-- dvsync bookkeeping: the outcome of the last `dvsync verify` of each table, written by verify and
-- exported by the daemon's metrics endpoint (dvsync_verify_*). Counts are the drift found: rows
-- the source has and the mirror lacks (missing), rows the mirror has and the source lacks (extra),
-- rows with another version (stale); `pending` counts differences explained by changes made after
-- the mirror's delta link, which the next cycle brings and which are not drift. `fix` says what
-- --fix did: none, repaired (rows fetched by id and written), resync_requested, resync_pending.
CREATE TABLE dvsync_verify (
  table_name   TEXT PRIMARY KEY NOT NULL,
  finished_at  INTEGER NOT NULL,
  duration_ms  INTEGER NOT NULL,
  source_rows  INTEGER NOT NULL,
  mirror_rows  INTEGER NOT NULL,
  missing      INTEGER NOT NULL,
  extra        INTEGER NOT NULL,
  stale        INTEGER NOT NULL,
  pending      INTEGER NOT NULL,
  fix          TEXT NOT NULL CHECK (fix IN ('none', 'repaired', 'resync_requested', 'resync_pending'))
) WITHOUT ROWID;

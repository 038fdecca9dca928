-- dvsync bookkeeping, version 8: which mode's table followed every commit of a table. A mode's
-- table (<table>_all, <table>_history) is kept only while its mode is configured; when the mode
-- comes back after commits made without it (or on a database older than this column, NULL), the
-- table is brought up to the mirror as it is then, and mode_kept names the mode again.
ALTER TABLE dvsync_table_state ADD COLUMN mode_kept TEXT;

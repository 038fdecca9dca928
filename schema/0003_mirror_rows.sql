-- dvsync bookkeeping, version 3: the mirror's row count, stored by the commit that changes it.
-- A process's first delta no longer counts the whole table (`dvsync once` did at every run), and
-- `dvsync status` reads the count instead of making it. NULL: not known yet, counted when needed.
ALTER TABLE dvsync_table_state ADD COLUMN mirror_rows INTEGER;

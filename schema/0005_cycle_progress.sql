-- dvsync bookkeeping, version 5: how far the cycle in progress has come, for `dvsync status`, the
-- metrics and the logs. rows_staged counts the rows (upserts and deletes) of the pages staged so
-- far, committed with each page's cursor; rows_expected is the service's estimate of the table's
-- rows (RetrieveTotalRecordCount, a snapshot of the last 24 hours) asked for when a full read
-- begins; NULL when it is not known.
ALTER TABLE dvsync_table_state ADD COLUMN rows_staged INTEGER NOT NULL DEFAULT 0;
ALTER TABLE dvsync_table_state ADD COLUMN rows_expected INTEGER;

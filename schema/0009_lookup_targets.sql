-- dvsync bookkeeping, version 9: when the service lost the delta link of a tracked read that asked
-- for the targets of polymorphic lookups (the lookuplogicalname annotation), as one report says
-- annotations can. Set: the table's reads no longer ask, and the <lookup>type columns of the rows
-- they bring are NULL; `dvsync resync` clears it, so that the next full read asks again.
ALTER TABLE dvsync_table_state ADD COLUMN lookup_targets_lost_at INTEGER;

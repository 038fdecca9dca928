-- dvsync bookkeeping, version 10: `dvsync verify --values` compares each row's values as well as
-- its version. `altered` counts rows whose version the source and the mirror agree on and whose
-- values differ (an edit of the mirror by hand, or a bug); `values_compared` is 1 when the last
-- verify compared values (0: ids and versions only, and `altered` is 0 without meaning "none").
ALTER TABLE dvsync_verify ADD COLUMN altered INTEGER NOT NULL DEFAULT 0;
ALTER TABLE dvsync_verify ADD COLUMN values_compared INTEGER NOT NULL DEFAULT 0;

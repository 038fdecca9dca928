-- dvsync bookkeeping, version 2: what dvsync last learned about the Dataverse organization.

-- At most one row. change_retention_days is Organization.expirechangetrackingindays: how long a
-- delta link stays usable. `dvsync status` reads it to warn before a table's link expires.
CREATE TABLE dvsync_organization (
  id                    INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
  change_retention_days INTEGER NOT NULL CHECK (change_retention_days >= 0),
  checked_at            INTEGER NOT NULL
);

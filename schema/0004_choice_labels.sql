-- dvsync bookkeeping, version 4: the labels of choice columns (Picklist, State, Status,
-- MultiSelectPicklist), read from the organization's metadata at start and daily. A view
-- "<table>_labeled" per mirror table with choice columns shows each label beside its value.
CREATE TABLE dvsync_choice_labels (
  table_name  TEXT NOT NULL,
  column_name TEXT NOT NULL,
  value       INTEGER NOT NULL,
  label       TEXT NOT NULL,
  PRIMARY KEY (table_name, column_name, value)
) WITHOUT ROWID;

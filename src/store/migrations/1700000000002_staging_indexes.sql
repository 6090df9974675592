-- Up Migration

-- Loaders fetch a patient's, a treatment plan's or a guarantor's related staged rows by the reference in `data`.
-- Partial (IS NOT NULL) because most tables lack each column; `data->>'x' = $1` still uses them.
CREATE INDEX staged_rows_by_patient ON staged_rows (migration_id, source_table, (data->>'patient_id'))
  WHERE (data->>'patient_id') IS NOT NULL;
CREATE INDEX staged_rows_by_txcase ON staged_rows (migration_id, source_table, (data->>'txcase_id'))
  WHERE (data->>'txcase_id') IS NOT NULL;
CREATE INDEX staged_rows_by_guarantor ON staged_rows (migration_id, source_table, (data->>'guar_id'))
  WHERE (data->>'guar_id') IS NOT NULL;

-- Down Migration
DROP INDEX staged_rows_by_guarantor;
DROP INDEX staged_rows_by_txcase;
DROP INDEX staged_rows_by_patient;

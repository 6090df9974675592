-- Up Migration
-- The dependency order of object types lives in one place, the object-type registry (src/object-types/registry.ts):
-- the ledger no longer keeps a copy of each type's rank on every row. Rollback orders by the registry's order.
DROP INDEX id_map_by_state;
ALTER TABLE id_map DROP COLUMN load_rank;
CREATE INDEX id_map_by_state ON id_map (migration_id, state, object_type);

-- Down Migration
-- The ranks as the registry had them when the column was dropped.
DROP INDEX id_map_by_state;
ALTER TABLE id_map ADD COLUMN load_rank integer;
UPDATE id_map SET load_rank = CASE object_type
  WHEN 'user' THEN -1 WHEN 'activity_type' THEN 0 WHEN 'pipeline' THEN 1 WHEN 'stage' THEN 2 WHEN 'custom_field' THEN 3
  WHEN 'field_option' THEN 4 WHEN 'organization' THEN 10 WHEN 'product' THEN 20 WHEN 'person' THEN 30 WHEN 'deal' THEN 40
  WHEN 'deal_product' THEN 50 WHEN 'activity' THEN 60 WHEN 'note' THEN 70 WHEN 'file' THEN 80 END;
ALTER TABLE id_map ALTER COLUMN load_rank SET NOT NULL;
CREATE INDEX id_map_by_state ON id_map (migration_id, state, load_rank);

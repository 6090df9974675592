-- Up Migration

-- What one run (sample, full, delta) has to do per object type, numbered so batches are plain seq ranges.
CREATE TABLE work_items (
  migration_id   text NOT NULL REFERENCES migration_runs ON DELETE CASCADE,
  run_kind       text NOT NULL CHECK (run_kind IN ('sample', 'full', 'delta')),
  object_type    text NOT NULL,
  source_key     text NOT NULL,
  seq            bigserial NOT NULL,
  PRIMARY KEY (migration_id, run_kind, object_type, source_key)
);
CREATE INDEX work_items_by_seq ON work_items (migration_id, run_kind, object_type, seq);

-- The sample run's members: source rows chosen as a cross-section, plus what they depend on.
CREATE TABLE sample_members (
  migration_id  text NOT NULL REFERENCES migration_runs ON DELETE CASCADE,
  source_table  text NOT NULL,
  source_key    text NOT NULL,
  PRIMARY KEY (migration_id, source_table, source_key)
);

-- Field-level comparison results of a run (sample diff, full verification). Values stay in PostgreSQL.
CREATE TABLE field_diffs (
  migration_id   text NOT NULL REFERENCES migration_runs ON DELETE CASCADE,
  run_kind       text NOT NULL,
  object_type    text NOT NULL,
  source_key     text NOT NULL,
  field          text NOT NULL,
  matched        boolean NOT NULL,
  category       text,
  expected       jsonb,
  actual         jsonb,
  PRIMARY KEY (migration_id, run_kind, object_type, source_key, field)
);
CREATE INDEX field_diffs_mismatches ON field_diffs (migration_id, run_kind) WHERE NOT matched;

-- Which run created a ledger row matters for rolling back only the sample.
CREATE INDEX id_map_by_run ON id_map (migration_id, run_kind, state);

-- Down Migration
DROP INDEX id_map_by_run;
DROP TABLE field_diffs;
DROP TABLE sample_members;
DROP TABLE work_items;

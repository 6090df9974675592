-- Up Migration

-- One row per migration: what it reads, where it writes, where it is.
CREATE TABLE migration_runs (
  migration_id        text PRIMARY KEY,
  practice_name       text,
  timezone            text,
  source              jsonb NOT NULL,
  pipedrive_base_url  text NOT NULL,
  phase               text NOT NULL DEFAULT 'CREATED',
  options             jsonb NOT NULL DEFAULT '{}'::jsonb,
  fingerprint_before  text,
  fingerprint_after   text,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);

-- Source rows as read (coerced), with a content hash so re-extracts and delta windows see changes.
CREATE TABLE staged_rows (
  migration_id   text NOT NULL REFERENCES migration_runs ON DELETE CASCADE,
  source_table   text NOT NULL,
  source_key     text NOT NULL,
  row_seq        bigint NOT NULL,
  content_hash   text NOT NULL,
  data           jsonb NOT NULL,
  first_seen_at  timestamptz NOT NULL DEFAULT now(),
  changed_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (migration_id, source_table, source_key)
);
CREATE INDEX staged_rows_seq ON staged_rows (migration_id, source_table, row_seq);

-- Every problem a reader found: table, key, column, reason. Values are never copied here.
CREATE TABLE source_issues (
  id            bigserial PRIMARY KEY,
  migration_id  text NOT NULL REFERENCES migration_runs ON DELETE CASCADE,
  source_table  text NOT NULL,
  source_key    text,
  column_name   text,
  reason        text NOT NULL,
  severity      text NOT NULL CHECK (severity IN ('rejected', 'warning')),
  line          integer
);
CREATE INDEX source_issues_by_table ON source_issues (migration_id, source_table);

-- Per table: what the manifest promised, what was read, staged and rejected.
CREATE TABLE extract_counts (
  migration_id   text NOT NULL REFERENCES migration_runs ON DELETE CASCADE,
  source_table   text NOT NULL,
  manifest_rows  integer,
  rows_read      integer NOT NULL,
  rows_staged    integer NOT NULL,
  rows_rejected  integer NOT NULL,
  extracted_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (migration_id, source_table)
);

-- The id map and creation ledger: one row per source record (or schema element) per migration.
-- state: pending (create attempted, outcome unknown) | created | reused (existed before; never deleted)
--        | deleted (rolled back) | skipped (by rule) | rejected (bad data, reason kept)
CREATE TABLE id_map (
  migration_id   text NOT NULL REFERENCES migration_runs ON DELETE CASCADE,
  object_type    text NOT NULL,
  source_key     text NOT NULL,
  pipedrive_id   text,
  state          text NOT NULL CHECK (state IN ('pending', 'created', 'reused', 'deleted', 'skipped', 'rejected')),
  reason         text,
  run_kind       text NOT NULL,
  load_rank      integer NOT NULL,
  content_hash   text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (migration_id, object_type, source_key)
);
CREATE INDEX id_map_by_state ON id_map (migration_id, state, load_rank);
CREATE INDEX id_map_by_pipedrive_id ON id_map (migration_id, object_type, pipedrive_id);

-- What a record looked like before the migration updated it, so rollback can put it back.
CREATE TABLE before_images (
  migration_id   text NOT NULL REFERENCES migration_runs ON DELETE CASCADE,
  object_type    text NOT NULL,
  pipedrive_id   text NOT NULL,
  body           jsonb NOT NULL,
  taken_at       timestamptz NOT NULL DEFAULT now(),
  restored_at    timestamptz,
  PRIMARY KEY (migration_id, object_type, pipedrive_id)
);

-- Every write to Pipedrive, in order.
CREATE TABLE audit_log (
  id            bigserial PRIMARY KEY,
  migration_id  text NOT NULL REFERENCES migration_runs ON DELETE CASCADE,
  at            timestamptz NOT NULL DEFAULT now(),
  action        text NOT NULL CHECK (action IN ('create', 'update', 'delete', 'recover', 'restore')),
  object_type   text NOT NULL,
  source_key    text,
  pipedrive_id  text,
  method        text NOT NULL,
  endpoint      text NOT NULL,
  status        integer,
  tokens        integer NOT NULL DEFAULT 0,
  workflow_id   text,
  run_id        text,
  activity_id   text,
  attempt       integer,
  note          text
);
CREATE INDEX audit_log_by_migration ON audit_log (migration_id, id);

-- The account's custom-field keys, resolved by name (they are random per account).
CREATE TABLE field_keys (
  migration_id  text NOT NULL REFERENCES migration_runs ON DELETE CASCADE,
  entity        text NOT NULL,
  field_name    text NOT NULL,
  field_code    text NOT NULL,
  field_type    text NOT NULL,
  options       jsonb NOT NULL DEFAULT '[]'::jsonb,
  created_by_us boolean NOT NULL,
  PRIMARY KEY (migration_id, entity, field_name)
);

-- Field maps: proposed, then approved (as edited), versioned.
CREATE TABLE field_maps (
  migration_id  text NOT NULL REFERENCES migration_runs ON DELETE CASCADE,
  version       integer NOT NULL,
  status        text NOT NULL CHECK (status IN ('proposed', 'approved', 'superseded')),
  map           jsonb NOT NULL,
  approved_by   text,
  approved_at   timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (migration_id, version)
);

-- Reports written to disk, with a PHI-free summary.
CREATE TABLE reports (
  migration_id  text NOT NULL REFERENCES migration_runs ON DELETE CASCADE,
  kind          text NOT NULL,
  path          text NOT NULL,
  summary       jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (migration_id, kind)
);

-- Delta pick-up: how far each table has been read.
CREATE TABLE delta_watermarks (
  migration_id  text NOT NULL REFERENCES migration_runs ON DELETE CASCADE,
  source_table  text NOT NULL,
  watermark     text,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (migration_id, source_table)
);

-- Down Migration
DROP TABLE delta_watermarks;
DROP TABLE reports;
DROP TABLE field_maps;
DROP TABLE field_keys;
DROP TABLE audit_log;
DROP TABLE before_images;
DROP TABLE id_map;
DROP TABLE extract_counts;
DROP TABLE source_issues;
DROP TABLE staged_rows;
DROP TABLE migration_runs;

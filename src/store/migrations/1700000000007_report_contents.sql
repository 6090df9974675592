-- Up Migration

-- Reports live in the store, not only on the worker that wrote them: with workers on several machines, `report` and
-- `map export` read them from here on any machine. A report (one row of `reports`, per kind) has one or more files:
-- the first (position 0) is the one `report --kind` prints (the JSON, the workbook's XLSX), the others are its
-- companions (the HTML rendering, the CSV). Each worker's DATA_DIR keeps a copy as a cache only.
CREATE TABLE report_files (
  migration_id  text NOT NULL,
  kind          text NOT NULL,
  name          text NOT NULL,
  position      integer NOT NULL,
  content_type  text NOT NULL,
  content       bytea NOT NULL,
  bytes         integer NOT NULL,
  sha256        text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (migration_id, kind, name),
  FOREIGN KEY (migration_id, kind) REFERENCES reports (migration_id, kind) ON DELETE CASCADE
);

-- Which worker wrote the report (`host:path` of its cached copy): `path` alone means nothing on another machine.
ALTER TABLE reports ADD COLUMN written_by text;

-- Down Migration
ALTER TABLE reports DROP COLUMN written_by;
DROP TABLE report_files;

-- Up Migration
-- Every request a migration sends to Pipedrive, reads included, counted with its tokens (the specs' x-token-cost) by
-- the phase it served, the object type and the endpoint (`GET /api/v2/persons`): what `status`, the demo and `plan`'s
-- comparison read. Counts only, no ids or values.
CREATE TABLE request_tokens (
  migration_id text NOT NULL REFERENCES migration_runs ON DELETE CASCADE,
  phase        text NOT NULL,
  object_type  text NOT NULL DEFAULT '',
  endpoint     text NOT NULL,
  requests     integer NOT NULL DEFAULT 0,
  tokens       integer NOT NULL DEFAULT 0,
  PRIMARY KEY (migration_id, phase, object_type, endpoint)
);

-- Down Migration
DROP TABLE request_tokens;

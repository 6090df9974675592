-- Up Migration

-- The per-migration key of the keyed hash (HMAC-SHA256) that stands in for never-migrate values (SSN) in staging:
-- without it a stored hash cannot be tested against the 10^9 possible SSNs. Purging the migration's staged PHI
-- deletes the key, so what is left can no longer be linked to anyone.
CREATE TABLE phi_hash_keys (
  migration_id  text PRIMARY KEY REFERENCES migration_runs ON DELETE CASCADE,
  hmac_key      bytea NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- A purge of staged PHI is recorded in the audit log, with who asked and why.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check
  CHECK (action IN ('create', 'update', 'delete', 'recover', 'restore', 'purge'));

-- Down Migration
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check
  CHECK (action IN ('create', 'update', 'delete', 'recover', 'restore'));
DROP TABLE phi_hash_keys;

-- Up Migration
-- Which Pipedrive account a migration writes to (`host#company_id`, from /users/me), so that recovery can tell a
-- record another migration of the same account created from one this migration may have created.
ALTER TABLE migration_runs ADD COLUMN pipedrive_account text;
CREATE INDEX id_map_created_by_pipedrive_id ON id_map (object_type, pipedrive_id) WHERE state = 'created';

-- Down Migration
DROP INDEX id_map_created_by_pipedrive_id;
ALTER TABLE migration_runs DROP COLUMN pipedrive_account;

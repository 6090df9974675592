-- Up Migration
-- A record the id map held that is gone from Pipedrive (the account was reset, or staff deleted it by hand) is created
-- again by the next load that relies on it: its ledger row keeps the id that was found gone, which is what tells a
-- recreated record apart from one created the first time. Cleared when the row is claimed afresh after a rollback.
ALTER TABLE id_map ADD COLUMN replaced_pipedrive_id text;

-- Down Migration
ALTER TABLE id_map DROP COLUMN replaced_pipedrive_id;

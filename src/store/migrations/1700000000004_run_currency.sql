-- Up Migration
-- The practice's currency (manifest practice.currency): deal values, prices and monetary fields are in it.
ALTER TABLE migration_runs ADD COLUMN currency text;

-- Down Migration
ALTER TABLE migration_runs DROP COLUMN currency;

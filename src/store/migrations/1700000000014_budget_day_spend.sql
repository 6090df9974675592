-- Up Migration
-- Pipedrive's daily token budget is the company's: two migrations into one account (two practices of a DSO) spend
-- the same budget, and nothing kept one from taking most of it (issue 14.2). Each migration's tokens are counted per
-- budget day (the calendar day in PIPEDRIVE_BUDGET_RESET_TZ), with when it last spent, so a migration that has
-- had its fair part of the day waits while another one on the account still wants its own. Counts only.
CREATE TABLE budget_day_spend (
  migration_id  text NOT NULL REFERENCES migration_runs ON DELETE CASCADE,
  budget_day    date NOT NULL,
  tokens        bigint NOT NULL DEFAULT 0,
  last_spent_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (migration_id, budget_day)
);

-- Down Migration
DROP TABLE budget_day_spend;

-- Up Migration
-- Pipedrive's daily token budget is the company account's, shared by every token, worker and migration on it. The
-- workers write the last `x-daily-ratelimit-token-*` headers they saw here (by account root URL, no token), so that
-- `status` on any machine can say how much of today's budget is left.
CREATE TABLE account_budgets (
  base_url text PRIMARY KEY,
  remaining integer NOT NULL,
  budget_limit integer,
  observed_at timestamptz NOT NULL
);

-- Down Migration
DROP TABLE account_budgets;

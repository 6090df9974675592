-- Up Migration
-- One Pipedrive token's send timeline, shared by every worker on it while more than one sends (issue 14.2): each
-- request takes the next free time on it, a fixed spacing after the last one taken, so all the workers together keep
-- an even pace under the token's burst limit instead of each keeping to a portion of the window (portions lag what
-- each worker wants and fill their windows in bursts). The token is known by its key (base URL and a hash), never the
-- token itself.
CREATE TABLE token_pacer (
  token_key text PRIMARY KEY,
  next_at   timestamptz NOT NULL
);

-- Down Migration
DROP TABLE token_pacer;

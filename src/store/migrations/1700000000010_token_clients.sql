-- Up Migration
-- Pipedrive's burst window is per API token, whichever process sends. Each worker's client on a token says it is live
-- here every few seconds while it sends; every client keeps to an equal share of the window among the live ones.
-- `token_key` is the base URL and a hash of the token, never the token.
CREATE TABLE token_clients (
  token_key text NOT NULL,
  client_id text NOT NULL,
  seen_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (token_key, client_id)
);

-- Down Migration
DROP TABLE token_clients;

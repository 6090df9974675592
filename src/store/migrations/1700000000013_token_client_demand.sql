-- Up Migration
-- Equal shares of a token's window left a worker's unused share idle while another waited (issue 14, figure c: the
-- tail of a shared run at half the ceiling). Each client now also says how much of the window it used at its peak
-- since its last look (a fraction of the window), or NULL when a request of its waited for room (it wants more), and
-- the window is split by demand: what a client does not use goes to those that want it.
ALTER TABLE token_clients ADD COLUMN demand real;

-- Down Migration
ALTER TABLE token_clients DROP COLUMN demand;

-- Up Migration
-- Portions of a token's window, recomputed at each client's look every two seconds, left the window idle at every
-- wave's end: one worker finishing a wave's last batches kept to its third while the others, with nothing to send,
-- kept theirs (issue 14, figure c). The window is now counted in slots (requests per window) that each live client
-- holds here: a client sends only within the slots it holds, takes free ones when it wants more and gives back those
-- it does not use; the sum over the live clients never passes the window, so a slot given back can be used by another
-- at once, without waiting for anyone's next look.
ALTER TABLE token_clients ADD COLUMN slots integer NOT NULL DEFAULT 0;

-- One client's look, atomic under a lock per token: it says it is live with its demand, and holds `keep` slots (those
-- its requests still occupy in the window) or `want` if there is room for more beside the other live clients' slots,
-- whichever is more. Returns the live clients on the token (this one included). Rows not seen for ten times
-- `live_seconds` are removed on the way.
CREATE FUNCTION take_token_slots(p_token_key text, p_client_id text, p_want integer, p_keep integer, p_limit integer, p_live_seconds double precision, p_demand real)
RETURNS TABLE (client_id text, demand real, slots integer)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  taken integer;
BEGIN
  -- Serialises the looks on one token; each statement below then sees the others' committed slots.
  PERFORM pg_advisory_xact_lock(hashtextextended('token_clients:' || p_token_key, 0));
  SELECT coalesce(sum(c.slots), 0)::integer INTO taken FROM token_clients c
   WHERE c.token_key = p_token_key AND c.client_id <> p_client_id
     AND c.seen_at >= clock_timestamp() - make_interval(secs => p_live_seconds);
  INSERT INTO token_clients AS c (token_key, client_id, seen_at, demand, slots)
  VALUES (p_token_key, p_client_id, clock_timestamp(), p_demand, greatest(p_keep, least(p_want, p_limit - taken), 0))
  ON CONFLICT (token_key, client_id) DO UPDATE
    SET seen_at = excluded.seen_at, demand = excluded.demand, slots = excluded.slots;
  DELETE FROM token_clients c
   WHERE c.token_key = p_token_key AND c.seen_at < clock_timestamp() - make_interval(secs => p_live_seconds * 10);
  RETURN QUERY
    SELECT c.client_id, c.demand, c.slots FROM token_clients c
     WHERE c.token_key = p_token_key AND c.seen_at >= clock_timestamp() - make_interval(secs => p_live_seconds)
     ORDER BY c.client_id;
END;
$$;

-- Down Migration
DROP FUNCTION take_token_slots(text, text, integer, integer, integer, double precision, real);
ALTER TABLE token_clients DROP COLUMN slots;

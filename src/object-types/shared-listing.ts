/**
 * One account listing shared by the batches of one read-back pass (a verification of one run reads every record of a
 * type in batches): the first batch that needs it lists the account, the others running in this worker at the same
 * time or after it await the same listing, so a pass pays for the listing once instead of once per batch. Kept per
 * client (one per account) and pass for a few minutes; a listing that fails is forgotten (the next batch lists again).
 * What a listing holds is the account's records (PHI), in memory only, for as long as the pass's batches need it.
 */

type ApiRecord = Record<string, unknown>;

/** The records listed by id, or undefined when the listing was given up (it cost more than reading by id would). */
export type Listed = Map<string, ApiRecord> | undefined;

/** How long a pass's listing serves its batches: a pass that outlives it lists again (misses are read by id anyway). */
export const SHARED_LISTING_TTL_MS = 10 * 60_000;

interface Entry {
  at: number;
  listed: Promise<Listed>;
}

const byClient = new WeakMap<object, Map<string, Entry>>();

/** The pass's listing of this client's account: `list` runs once per client and key while it is fresh. */
export function sharedListing(client: object, key: string, list: () => Promise<Listed>, now: () => number = Date.now): Promise<Listed> {
  let entries = byClient.get(client);
  if (!entries) byClient.set(client, (entries = new Map()));
  const at = now();
  for (const [k, e] of entries) if (at - e.at > SHARED_LISTING_TTL_MS) entries.delete(k);
  const fresh = entries.get(key);
  if (fresh) return fresh.listed;
  const entry: Entry = { at, listed: list() };
  entries.set(key, entry);
  const mine = entries;
  const forget = () => {
    if (mine.get(key) === entry) mine.delete(key);
  };
  entry.listed.catch(forget);
  // The records (PHI) leave memory when the listing goes stale, whether or not another read comes.
  setTimeout(forget, SHARED_LISTING_TTL_MS).unref();
  return entry.listed;
}

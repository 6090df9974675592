import { type Pool } from 'pg';
import { reconcileLinks, reconciledFields, type LinkObservation, type LinkReconciliation } from './reconciliation';
import { FALLBACK_OWNER_KEY } from './schema';
import { latestDiffedRun, linkObservationRows } from '../store/field-diffs';

/**
 * Counts links and owners of the records the migration holds now (ledger created/reused) from the latest
 * field-level diff (the full run's, else the sample's): the verification already read every record back, so this
 * costs no API request.
 */
export async function linkReconciliation(pool: Pool, migrationId: string, runKind?: 'full' | 'sample'): Promise<LinkReconciliation> {
  let from: LinkReconciliation['from'] = runKind ?? null;
  if (!from) {
    from = (await latestDiffedRun(pool, migrationId)) ?? null;
  }
  if (!from) return reconcileLinks([], null);
  const rows = await linkObservationRows(pool, migrationId, from, reconciledFields(), FALLBACK_OWNER_KEY);
  const observations: LinkObservation[] = rows.map((r) => ({
    objectType: r.object_type,
    field: r.field,
    expectedSet: r.expected_set,
    actualSet: r.actual_set,
    matched: r.matched,
    expectedFallback: r.expected_fallback,
    actualKnownUser: r.actual_known_user,
    records: Number(r.n),
  }));
  return reconcileLinks(observations, from);
}

/** One line per object type for text reports: `deal: person 40/40, organization 12/12, owner 40/40 (WARNING: 3 on the fallback owner)`. */
export function describeLinks(r: LinkReconciliation): string[] {
  const types = new Set([...Object.keys(r.links), ...Object.keys(r.owners)]);
  return [...types].map((type) => {
    const links = Object.values(r.links[type] ?? {}).map((l) => `${l.to} ${l.correct}/${l.expected}${l.unexpected ? ` (+${l.unexpected} unexpected)` : ''}`);
    const owner = r.owners[type];
    const owners = owner ? [`owner ${owner.correct}/${owner.records}${owner.fallback ? ` (WARNING: ${owner.fallback} on the fallback owner)` : ''}`] : [];
    return `${type}: ${[...links, ...owners].join(', ')}`;
  });
}

import { type Pool } from 'pg';
import { reconcileLinks, reconciledFields, type LinkObservation, type LinkReconciliation } from './reconciliation';
import { FALLBACK_OWNER_KEY } from './schema';

/**
 * Counts links and owners of the records the migration holds now (ledger created/reused) from the latest
 * field-level diff (the full run's, else the sample's): the verification already read every record back, so this
 * costs no API request.
 */
export async function linkReconciliation(pool: Pool, migrationId: string, runKind?: 'full' | 'sample'): Promise<LinkReconciliation> {
  let from: LinkReconciliation['from'] = runKind ?? null;
  if (!from) {
    const { rows } = await pool.query<{ run_kind: 'full' | 'sample' }>(
      `SELECT run_kind FROM field_diffs WHERE migration_id = $1 AND run_kind IN ('full', 'sample')
       GROUP BY run_kind ORDER BY (run_kind = 'full') DESC LIMIT 1`,
      [migrationId],
    );
    from = rows[0]?.run_kind ?? null;
  }
  if (!from) return reconcileLinks([], null);
  const { rows } = await pool.query<{
    object_type: string;
    field: string;
    expected_set: boolean;
    actual_set: boolean;
    matched: boolean;
    expected_fallback: boolean;
    actual_known_user: boolean;
    n: string;
  }>(
    `WITH users AS (
       SELECT pipedrive_id FROM id_map WHERE migration_id = $1 AND object_type = 'user' AND pipedrive_id IS NOT NULL),
     fallback AS (
       SELECT pipedrive_id FROM id_map WHERE migration_id = $1 AND object_type = 'user' AND source_key = $4)
     SELECT d.object_type, d.field,
       (d.expected IS NOT NULL AND d.expected <> 'null'::jsonb) AS expected_set,
       (d.actual IS NOT NULL AND d.actual <> 'null'::jsonb) AS actual_set,
       d.matched,
       COALESCE(d.expected #>> '{}' IN (SELECT pipedrive_id FROM fallback), false) AS expected_fallback,
       COALESCE(d.actual #>> '{}' IN (SELECT pipedrive_id FROM users), false) AS actual_known_user,
       count(*) AS n
     FROM field_diffs d
     JOIN id_map m ON m.migration_id = d.migration_id AND m.object_type = d.object_type AND m.source_key = d.source_key
       AND m.state IN ('created', 'reused')
     WHERE d.migration_id = $1 AND d.run_kind = $2 AND d.field = ANY($3)
     GROUP BY 1, 2, 3, 4, 5, 6, 7`,
    [migrationId, from, reconciledFields(), FALLBACK_OWNER_KEY],
  );
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

/** One line per object type for text reports: `deal: person 40/40, organization 12/12; owner 40/40 (3 fallback)`. */
export function describeLinks(r: LinkReconciliation): string[] {
  const types = new Set([...Object.keys(r.links), ...Object.keys(r.owners)]);
  return [...types].map((type) => {
    const links = Object.values(r.links[type] ?? {}).map((l) => `${l.to} ${l.correct}/${l.expected}${l.unexpected ? ` (+${l.unexpected} unexpected)` : ''}`);
    const owner = r.owners[type];
    const owners = owner ? [`owner ${owner.correct}/${owner.records}${owner.fallback ? ` (${owner.fallback} fallback)` : ''}`] : [];
    return `${type}: ${[...links, ...owners].join(', ')}`;
  });
}

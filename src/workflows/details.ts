import { GATE_ACTIONS } from './gate-actions';
import type { MigrationStatus, OwnersSummary } from './messages';

/**
 * The migration's Current Details in the Web UI (Markdown): phase, what it waits for and how to give it, a pause,
 * per-object counts and report locations. Pure: ids, counts and locations only.
 */
export function renderDetails(status: MigrationStatus): string {
  return [
    `**Phase:** ${status.phase}${status.currentObject ? ` (${status.currentObject})` : ''}`,
    status.waitingFor
      ? `**Waiting for:** ${status.waitingFor} approval. ${status.gateMessage ?? ''}\n\n**To decide:** ${GATE_ACTIONS[status.waitingFor].replace(/<id>/gu, status.migrationId)}`
      : '',
    status.paused ? `**Paused:** ${status.paused.reason} until ${status.paused.until}` : '',
    status.owners ? `**Owners:** ${describeOwners(status.owners)}` : '',
    objectTable(status),
    Object.entries(status.reports)
      .map(([k, v]) => `- ${k}: \`${v}\``)
      .join('\n'),
  ]
    .filter(Boolean)
    .join('\n\n');
}

function objectTable(status: MigrationStatus): string {
  const rows = Object.entries(status.objects);
  if (rows.length === 0) return '';
  return [
    '| object | source | migrated | skipped | rejected |',
    '|---|---:|---:|---:|---:|',
    ...rows.map(([k, c]) => `| ${k} | ${c.source} | ${c.migrated} | ${c.skipped} | ${c.rejected} |`),
  ].join('\n');
}

/**
 * Providers → Pipedrive users in one sentence (ids and counts): the providers without a user, the records each would
 * leave on the fallback owner, and what ops can do about it. Shown at MAPPING_REVIEW, by the Web UI and `status`.
 */
export function describeOwners(o: OwnersSummary): string {
  const users = `${o.matched} of ${o.providers} providers matched to a Pipedrive user by e-mail${o.assigned ? `, ${o.assigned} assigned in the workbook` : ''}`;
  if (o.unmatchedCount === 0 && o.recordsOnFallback === 0) return `${users}; no record falls back to the fallback owner`;
  const listed = o.unmatched.map((u) => `${u.providerId}: ${u.records}`).join(', ');
  const more = o.unmatchedCount > o.unmatched.length ? `, and ${o.unmatchedCount - o.unmatched.length} more` : '';
  const without = o.unmatchedCount
    ? `WARNING: ${o.unmatchedCount} provider(s) have no Pipedrive user (records each would own: ${listed}${more}); `
    : 'WARNING: ';
  return (
    `${users}. ${without}${o.recordsOnFallback} record(s) would be owned by the fallback owner (user ${o.fallbackOwnerId}). ` +
    "Assign users in the mapping workbook's Owners sheet (`map export`, `map import`), or approve to accept the fallback owner"
  );
}

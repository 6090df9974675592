import { CUTOVER_ACTION, GATE_ACTIONS } from './gate-actions';
import { duration } from './duration';
import type { MigrationStatus, OwnersSummary, PhaseProgress, RollbackProgress } from './messages';

/**
 * The migration's Current Details in the Web UI (Markdown): phase, what it waits for and how to give it, a pause,
 * per-object counts and report locations. Pure: ids, counts and locations only.
 */
export function renderDetails(status: MigrationStatus, now: Date): string {
  return [
    `**Phase:** ${status.phase}${status.currentObject ? ` (${status.currentObject})` : ''}`,
    status.waitingFor
      ? `**Waiting for:** ${status.waitingFor} approval. ${status.gateMessage ?? ''}\n\n**To decide:** ${GATE_ACTIONS[status.waitingFor].replace(/<id>/gu, status.migrationId)}`
      : '',
    status.phase === 'DELTA' ? `**Waiting for:** cutover. ${CUTOVER_ACTION.replace(/<id>/gu, status.migrationId)}` : '',
    status.error ? `**${status.phase === 'FAILED' ? 'Failed' : 'Ended'}:** ${status.error}` : '',
    status.phase === 'ROLLED_BACK' && !status.error
      ? '**Rolled back:** everything this migration created in Pipedrive was deleted (see the rollback report)'
      : '',
    status.paused ? `**Paused:** ${status.paused.reason} until ${status.paused.until}` : '',
    status.owners ? `**Owners:** ${describeOwners(status.owners)}` : '',
    status.phaseProgress ? phaseProgressTable(status.phaseProgress, now) : '',
    status.rollbackProgress ? describeRollback(status.rollbackProgress) : '',
    // While a run goes on, its own progress is the truth: the last reconciliation may be the sample's.
    status.phaseProgress ? '' : objectTable(status),
    Object.entries(status.reports)
      .map(([k, v]) => `- ${k}: \`${v}\``)
      .join('\n'),
  ]
    .filter(Boolean)
    .join('\n\n');
}

/**
 * The run going on now, per object type: waiting for its wave, running (done of planned), or done; the records per
 * second since it began and the time left at that rate. Counts only.
 */
export function phaseProgressTable(p: PhaseProgress, now: Date): string {
  const rows = Object.entries(p.objects);
  const done = rows.reduce((n, [, o]) => n + o.done, 0);
  const planned = rows.reduce((n, [, o]) => n + o.total, 0);
  const seconds = Math.max(0, (now.getTime() - Date.parse(p.startedAt)) / 1000);
  const rate = seconds > 0 ? done / seconds : 0;
  // A type not planned yet (a sample's share) has no total: the ETA then covers only the types with one.
  const unknown = rows.some(([, o]) => o.state === 'waiting' && o.total === 0);
  const left = planned - done;
  const eta = rate > 0 && left > 0 ? `, about ${duration(left / rate)} left${unknown ? ' for the types planned so far' : ''}` : '';
  const head = `**${p.mode === 'load' ? 'Loading' : 'Verifying'} (${p.runKind} run):** ${done} of ${planned}${unknown ? '+' : ''} records, ${rate.toFixed(1)}/s${eta}`;
  return [
    head,
    '',
    '| object | state | done / planned | migrated | skipped | rejected |',
    '|---|---|---:|---:|---:|---:|',
    ...rows.map(
      ([k, o]) =>
        `| ${k} | ${o.state} | ${o.state === 'waiting' && o.total === 0 ? '—' : `${o.done} / ${o.total}`} | ${o.migrated} | ${o.skipped} | ${o.rejected} |`,
    ),
  ].join('\n');
}

function describeRollback(r: RollbackProgress): string {
  return `**Rollback (${r.scope}):** ${r.deleted} deleted, ${r.alreadyGone} already gone${r.current ? ` · now ${r.current}` : ''}`;
}

function objectTable(status: MigrationStatus): string {
  const rows = Object.entries(status.objects);
  if (rows.length === 0) return '';
  return [
    '**Reconciliation** (the store): source = migrated + skipped + rejected',
    '',
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

import { type TokenSpend } from '../store/request-tokens';
import cliProgress from 'cli-progress';
import { describeOwners } from '../workflows/details';
import { type DeltaProgress, type MigrationStatus } from '../workflows/messages';
import { type CutoverClaims, type StoreProgress } from './commands';
import { describeFailure, type MigrationFailure } from './failure-cause';
import { describeReportLocation } from './report-files';

/**
 * The lines above the bars: phase, gate, pauses, accuracies, the delta window and its in-flight claims, why it failed
 * (the root cause from Temporal, not the workflow's "Activity task failed") or what keeps failing, reports.
 */
/**
 * The migration's phase as ops should read it: the workflow's own, except after a rollback run by its own workflow
 * (a finished migration rolled back later), whose phases only the store has; the closed workflow still says DONE.
 */
export function currentPhase(status: Pick<MigrationStatus, 'phase'> | undefined, progress: Pick<StoreProgress, 'phase'>): string {
  const rollingBack = progress.phase === 'ROLLING_BACK' || progress.phase === 'ROLLED_BACK';
  if (!status) return progress.phase;
  return rollingBack && status.phase !== 'ROLLING_BACK' && status.phase !== 'ROLLED_BACK' ? progress.phase : status.phase;
}

export function statusHeader(
  migrationId: string,
  status: MigrationStatus | undefined,
  progress: StoreProgress,
  delta?: DeltaProgress,
  failure?: MigrationFailure,
): string[] {
  const lines: string[] = [];
  const phase = currentPhase(status, progress);
  lines.push(`Migration ${migrationId} — ${progress.practiceName ?? 'practice not read yet'} — phase ${phase}`);
  if (status?.waitingFor) lines.push(`  waiting for ${status.waitingFor} approval: ${status.gateMessage ?? ''}`);
  if (status?.paused) lines.push(`  paused: ${status.paused.reason} until ${status.paused.until}`);
  if (status?.owners) lines.push(`  owners: ${describeOwners(status.owners)}`);
  if (status?.extract) {
    lines.push(`  extract: ${status.extract.rowsStaged} rows staged from ${status.extract.tables} tables, ${status.extract.rowsRejected} rejected`);
  }
  if (status?.audit) {
    const a = status.audit;
    const keys = Object.keys(a)
      .slice(0, 8)
      .map((k) => `${k} ${a[k]}`);
    lines.push(`  data quality: ${keys.join(' · ')}`);
  }
  if (status?.sample) lines.push(`  sample accuracy: ${status.sample.accuracy.toFixed(2)}% over ${status.sample.fieldsCompared} fields`);
  if (status?.verification) {
    lines.push(`  verification accuracy: ${status.verification.accuracy.toFixed(2)}% over ${status.verification.fieldsCompared} fields`);
  }
  if (delta) {
    lines.push(`  delta window until ${delta.endsAt}: ${delta.polls} polls, ${delta.created} created, ${delta.updated} updated`);
    if (delta.inFlightClaims !== undefined) lines.push(`  ${claimsSentence(delta.inFlightClaims, delta.inFlightClaimsReportPath)}`);
  }
  if (progress.tokens.total.requests > 0) lines.push(`  ${describeSpend(progress.tokens)}`);
  if (failure) lines.push(`  ${describeFailure(failure)}`);
  if (status?.error && failure?.state !== 'failed') lines.push(`  error: ${status.error}`);
  // From the store, on any machine: `report -m <id> --kind <kind>` prints one, `--out <dir>` writes them.
  for (const r of progress.reports) lines.push(`  report ${r.kind}: ${describeReportLocation(r)}`);
  return lines;
}

function claimsSentence(count: number, reportPath: string | undefined): string {
  if (count === 0) return 'in-flight insurance claims: none';
  return `in-flight insurance claims: ${count} (sent or pending in Dentrix; they must clear before cutover)` + (reportPath ? `; report ${reportPath}` : '');
}

/** What `cutover` tells the operator: the claims still in flight, and whether the window was closed anyway. */
export function cutoverMessage(migrationId: string, r: CutoverClaims & { sent: boolean }): { warning?: string; line: string } {
  const warning =
    r.inFlightClaims > 0
      ? `WARNING: ${r.inFlightClaims} insurance claim${r.inFlightClaims === 1 ? ' is' : 's are'} still in flight (sent or pending in Dentrix)` +
        `${r.asOf === 'delta-window' ? " as of the delta window's last poll" : ' in the rows staged last'}; they must clear before cutover.` +
        (r.reportPath ? `\n  Report (by guarantor): ${r.reportPath}` : '')
      : undefined;
  const line = r.sent
    ? `Sent cutover to migration ${migrationId}${r.inFlightClaims > 0 ? ` with ${r.inFlightClaims} claims in flight (--force)` : ''}.`
    : `Cutover not sent: clear the claims in Dentrix and let the window poll again, or repeat with --force to cut over anyway.`;
  return { warning, line };
}

/** Per-object progress bars, drawn by cli-progress; `update` redraws them for --watch. */
export class ObjectBars {
  private readonly multi: cliProgress.MultiBar;
  private readonly bars = new Map<string, cliProgress.SingleBar>();

  constructor(stream: NodeJS.WriteStream = process.stdout) {
    this.multi = new cliProgress.MultiBar(
      {
        format: '  {object} {bar} {percentage}% {value}/{total} · migrated {migrated} · skipped {skipped} · rejected {rejected}{extra}',
        hideCursor: true,
        clearOnComplete: false,
        noTTYOutput: true,
        stream,
        barsize: 24,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  update(progress: StoreProgress): void {
    for (const [type, c] of Object.entries(progress.objects).sort(([a], [b]) => a.localeCompare(b))) {
      const done = c.migrated + c.skipped + c.rejected + c.rolledBack;
      const total = Math.max(c.planned, done);
      const payload = {
        object: type.padEnd(14),
        migrated: c.migrated,
        skipped: c.skipped,
        rejected: c.rejected,
        extra:
          (c.recreated ? ` · recreated ${c.recreated}` : '') +
          (c.pending ? ` · pending ${c.pending}` : '') +
          (c.rolledBack ? ` · rolled back ${c.rolledBack}` : ''),
      };
      const bar = this.bars.get(type);
      if (bar) {
        bar.setTotal(total);
        bar.update(done, payload);
      } else {
        this.bars.set(type, this.multi.create(total, done, payload));
      }
    }
  }

  stop(): void {
    this.multi.stop();
  }
}

/** `tokens spent: SCHEMA 352 (41 requests) · SAMPLE 1,208 (190) · … · total 11,994 (1,830)`. */
export function describeSpend(spend: TokenSpend): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const phases = Object.entries(spend.byPhase).map(([phase, s]) => `${phase} ${n(s.tokens)} (${n(s.requests)})`);
  return `tokens spent (requests): ${[...phases, `total ${n(spend.total.tokens)} (${n(spend.total.requests)})`].join(' · ')}`;
}

import cliProgress from 'cli-progress';
import { type MigrationStatus } from '../workflows/messages';
import { type StoreProgress } from './commands';

/** The lines above the bars: phase, gate, pauses, accuracies, report locations. */
export function statusHeader(migrationId: string, status: MigrationStatus | undefined, progress: StoreProgress): string[] {
  const lines: string[] = [];
  const phase = status?.phase ?? progress.phase;
  lines.push(`Migration ${migrationId} — ${progress.practiceName ?? 'practice not read yet'} — phase ${phase}`);
  if (status?.waitingFor) lines.push(`  waiting for ${status.waitingFor} approval: ${status.gateMessage ?? ''}`);
  if (status?.paused) lines.push(`  paused: ${status.paused.reason} until ${status.paused.until}`);
  if (status?.extract) {
    lines.push(`  extract: ${status.extract.rowsStaged} rows staged from ${status.extract.tables} tables, ${status.extract.rowsRejected} rejected`);
  }
  if (status?.audit) {
    const a = status.audit;
    const keys = Object.keys(a).slice(0, 8).map((k) => `${k} ${a[k]}`);
    lines.push(`  data quality: ${keys.join(' · ')}`);
  }
  if (status?.sample) lines.push(`  sample accuracy: ${status.sample.accuracy.toFixed(2)}% over ${status.sample.fieldsCompared} fields`);
  if (status?.verification) {
    lines.push(`  verification accuracy: ${status.verification.accuracy.toFixed(2)}% over ${status.verification.fieldsCompared} fields`);
  }
  if (status?.error) lines.push(`  error: ${status.error}`);
  for (const r of progress.reports) lines.push(`  report ${r.kind}: ${r.path}`);
  return lines;
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
        extra: (c.pending ? ` · pending ${c.pending}` : '') + (c.rolledBack ? ` · rolled back ${c.rolledBack}` : ''),
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

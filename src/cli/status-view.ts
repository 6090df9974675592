import { type TokenSpend } from '../store/request-tokens';
import { type AccountBudget } from '../store/account-budgets';
import cliProgress from 'cli-progress';
import { describeOwners } from '../workflows/details';
import { FINAL_PHASES, type DeltaProgress, type MigrationStatus, type PhaseProgress } from '../workflows/messages';
import { GATE_ACTIONS } from '../workflows/gate-actions';
import { duration } from '../workflows/duration';
import { type CutoverClaims, type DaySpendSummary, type StoreProgress } from './commands';
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
  opts: { watch?: boolean } = {},
): string[] {
  const lines: string[] = [];
  const phase = currentPhase(status, progress);
  // What runs now, while something loads or is verified (the workflow keeps its last value after a load ends).
  const now = status?.currentObject && RUNNING_OBJECTS.has(phase) ? ` (${status.currentObject})` : '';
  lines.push(`Migration ${migrationId} — ${progress.practiceName ?? 'practice not read yet'} — phase ${phase}${now}`);
  if (status?.waitingFor) {
    lines.push(`  waiting for ${status.waitingFor} approval: ${status.gateMessage ?? ''}`);
    lines.push(`  to decide: ${gateAction(status.waitingFor, migrationId)}`);
  }
  if (status?.paused) lines.push(`  paused: ${status.paused.reason} until ${status.paused.until}`);
  if (status?.owners && (!opts.watch || phase === 'MAPPING_REVIEW')) lines.push(`  owners: ${describeOwners(status.owners)}`);
  if (status?.extract) {
    lines.push(`  extract: ${status.extract.rowsStaged} rows staged from ${status.extract.tables} tables, ${status.extract.rowsRejected} rejected`);
  }
  if (status?.audit && !opts.watch) {
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
  const rate = describeRate(progress, phase);
  if (rate) lines.push(`  ${rate}`);
  const verifying = status?.phaseProgress && !(FINAL_PHASES as readonly string[]).includes(phase) ? describeVerifying(status.phaseProgress) : undefined;
  if (verifying) lines.push(`  ${verifying}`);
  if (progress.tokens.total.requests > 0) lines.push(`  ${describeSpend(progress.tokens)}`);
  if (progress.dailyBudget) lines.push(`  ${describeDailyBudget(progress.dailyBudget)}`);
  if (progress.daySpend) lines.push(`  ${describeDaySpend(progress.daySpend)}`);
  if (failure) lines.push(`  ${describeFailure(failure)}`);
  if (status?.error && failure?.state !== 'failed') lines.push(`  error: ${status.error}`);
  // From the store, on any machine: `report -m <id> --kind <kind>` prints one, `--out <dir>` writes them.
  if (opts.watch) {
    if (progress.reports.length > 0) lines.push(`  reports: ${progress.reports.map((r) => r.kind).join(', ')} (\`report -m ${migrationId}\`)`);
  } else {
    for (const r of progress.reports) lines.push(`  report ${r.kind}: ${describeReportLocation(r)}`);
  }
  return lines;
}

const RUNNING_OBJECTS = new Set(['SAMPLE', 'FULL', 'VERIFY', 'DELTA']);

/** How to give what a gate waits for, with this migration's id: the workflow's own text (the Web UI shows the same). */
export function gateAction(gate: keyof typeof GATE_ACTIONS, migrationId: string): string {
  return GATE_ACTIONS[gate].replace(/<id>/gu, migrationId);
}

/** What the counts are of, the measured rate and the ETA: `full run: 12.5 records/s over the last 60 s · 420 left · ETA 34 s`. */
function describeRate(progress: StoreProgress, phase: string): string | undefined {
  const scope = progress.scope ?? 'all';
  if (scope === 'all' || (FINAL_PHASES as readonly string[]).includes(phase)) return undefined;
  const what = scope === 'rollback' ? `rollback (${progress.rollback?.scope ?? 'all'})` : `${scope} run`;
  const r = progress.rate;
  if (!r) return undefined;
  const unit = scope === 'rollback' ? 'deletes' : 'records';
  const n = (x: number) => x.toLocaleString('en-US');
  const waiting = Object.entries(progress.objects).filter(([, o]) => o.state === 'waiting');
  const left = `${n(r.remaining)} ${scope === 'rollback' ? 'to delete' : 'left'}${waiting.length ? ` (${waiting.length} type${waiting.length === 1 ? '' : 's'} not started)` : ''}`;
  if (r.remaining === 0) return `${what}: ${scope === 'rollback' ? 'nothing left to delete' : 'every planned record settled'}`;
  const pace = r.perSecond > 0 ? `${r.perSecond.toFixed(1)} ${unit}/s over the last ${r.seconds} s` : `no ${unit} settled in the last ${r.seconds} s`;
  return `${what}: ${pace} · ${left}${r.etaSeconds !== undefined ? ` · ETA ${duration(r.etaSeconds)}` : ''}`;
}

/**
 * A verification's read-back (the store has no count of it): the workflow's live progress, its rate since it began.
 * `verifying the full run: 1,200 of 2,036 records read back · 40.0 records/s since it began · ETA 21 s`.
 */
function describeVerifying(p: PhaseProgress, now = Date.now()): string | undefined {
  if (p.mode !== 'verify') return undefined;
  const objects = Object.values(p.objects);
  const done = objects.reduce((n, o) => n + o.done, 0);
  const total = objects.reduce((n, o) => n + Math.max(o.total, o.done), 0);
  const seconds = (now - Date.parse(p.startedAt)) / 1000;
  const perSecond = seconds > 1 ? done / seconds : 0;
  const n = (x: number) => x.toLocaleString('en-US');
  const pace = perSecond > 0 ? ` · ${perSecond.toFixed(1)} records/s since it began` : '';
  const eta = perSecond > 0 && total > done ? ` · ETA ${duration((total - done) / perSecond)}` : '';
  return `verifying the ${p.runKind} run: ${n(done)} of ${n(total)} records read back${pace}${eta}`;
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

/** One bar: an object type's progress in the phase's scope. */
export interface BarRow {
  object: string;
  value: number;
  total: number;
  /** What follows the bar: `migrated 3 · skipped 0 · rejected 0`, `deleted 12 of 40`, `not started (≈ 400 to load)`. */
  detail: string;
}

/**
 * The bars of the phase the migration is in: a run's records (a type not reached yet is `not started`, with what it
 * will plan), a rollback's deletes over what it has to delete, or every record the migration holds.
 */
export function barRows(progress: StoreProgress): BarRow[] {
  const n = (x: number) => x.toLocaleString('en-US');
  if (progress.scope === 'rollback' && progress.rollback) {
    return Object.entries(progress.rollback.objects).map(([object, c]) => ({
      object,
      value: c.deleted,
      total: c.deleted + c.left,
      detail: `deleted ${n(c.deleted)} of ${n(c.deleted + c.left)}${c.left ? ` · ${n(c.left)} left` : ''}`,
    }));
  }
  const inRun = progress.scope === 'sample' || progress.scope === 'full';
  const entries = Object.entries(progress.objects);
  if (!inRun) entries.sort(([a], [b]) => a.localeCompare(b));
  return entries.map(([object, c]) => {
    if (c.state === 'waiting') return { object, value: 0, total: c.planned, detail: `not started (${n(c.planned)} to load)` };
    const done = c.migrated + c.skipped + c.rejected + (inRun ? 0 : c.rolledBack);
    const extra =
      (c.recreated ? ` · recreated ${c.recreated}` : '') +
      (c.pending ? ` · pending ${c.pending}` : '') +
      (c.rolledBack ? ` · rolled back ${c.rolledBack}` : '');
    return { object, value: done, total: Math.max(c.planned, done), detail: `migrated ${c.migrated} · skipped ${c.skipped} · rejected ${c.rejected}${extra}` };
  });
}

/**
 * What `status` draws with cli-progress: lines of text (phase, gate, rate…; each a bar whose format is only its
 * payload) above per-object bars. `update` redraws the whole block in place for --watch; a block whose lines change in
 * number is drawn afresh. Lines longer than the terminal are wrapped (cli-progress cuts a line at the terminal's width).
 */
export class ProgressScreen {
  private readonly multi: cliProgress.MultiBar;
  private readonly stream: NodeJS.WriteStream;
  private lines: cliProgress.SingleBar[] = [];
  private readonly bars = new Map<string, cliProgress.SingleBar>();
  private layout = '';

  constructor(stream: NodeJS.WriteStream = process.stdout) {
    this.stream = stream;
    this.multi = new cliProgress.MultiBar(
      {
        format: '  {object} {bar} {percentage}% {value}/{total} · {detail}',
        hideCursor: true,
        clearOnComplete: false,
        noTTYOutput: true,
        stream,
        barsize: 24,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  update(header: readonly string[], rows: readonly BarRow[]): void {
    const width = Math.max(40, (this.stream.columns || 200) - 1);
    const text = header.flatMap((line) => wrap(line, width));
    const layout = `${text.length}|${rows.map((r) => r.object).join(',')}`;
    if (layout !== this.layout) {
      // Another shape: the block is drawn again from its first line (cli-progress appends bars at the end only).
      for (const bar of [...this.lines, ...this.bars.values()]) this.multi.remove(bar);
      this.lines = text.map((line) => this.multi.create(0, 0, { line }, { format: '{line}' }));
      this.bars.clear();
      for (const r of rows) this.bars.set(r.object, this.multi.create(r.total, r.value, payload(r)));
      this.layout = layout;
      return;
    }
    text.forEach((line, i) => this.lines[i]!.update(0, { line }));
    for (const r of rows) {
      const bar = this.bars.get(r.object)!;
      bar.setTotal(r.total);
      bar.update(r.value, payload(r));
    }
  }

  stop(): void {
    this.multi.stop();
  }
}

const payload = (r: BarRow) => ({ object: r.object.padEnd(14), detail: r.detail });

/** A line cut into pieces of at most `width` characters, at spaces where it can; the pieces after the first indented. */
function wrap(line: string, width: number): string[] {
  const out: string[] = [];
  let rest = line;
  const indent = '      ';
  while (rest.length > width) {
    let cut = rest.lastIndexOf(' ', width);
    if (cut <= indent.length) cut = width;
    out.push(rest.slice(0, cut).trimEnd());
    rest = indent + rest.slice(cut).trimStart();
  }
  out.push(rest);
  return out;
}

/** `tokens spent: SCHEMA 352 (41 requests) · SAMPLE 1,208 (190) · … · total 11,994 (1,830)`. */
export function describeSpend(spend: TokenSpend): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const phases = Object.entries(spend.byPhase).map(([phase, s]) => `${phase} ${n(s.tokens)} (${n(s.requests)})`);
  return `tokens spent (requests): ${[...phases, `total ${n(spend.total.tokens)} (${n(spend.total.requests)})`].join(' · ')}`;
}

/** `today (2026-12-06, UTC): this migration 12,400 tokens; 1 other migration into the account 8,300`. */
export function describeDaySpend(d: DaySpendSummary): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const others =
    d.others.migrations === 0
      ? 'no other migration into the account'
      : `${d.others.migrations} other migration${d.others.migrations === 1 ? '' : 's'} into the account ${n(d.others.tokens)}`;
  return `today (${d.budgetDay}, ${d.timeZone}): this migration ${n(d.tokens)} tokens; ${others}`;
}

/** `daily token budget: 41,200 of 150,000 left (the account's, every migration on it spends it; Pipedrive at 14:02:11 UTC)`. */
export function describeDailyBudget(b: AccountBudget): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const of = b.limit === undefined ? '' : ` of ${n(b.limit)}`;
  return `daily token budget: ${n(b.remaining)}${of} left (the account's, shared by every migration on it; Pipedrive at ${b.observedAt.slice(11, 19)} UTC)`;
}

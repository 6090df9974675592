import { ApplicationFailure, CancellationScope, condition, log, patched, setHandler } from '@temporalio/workflow';
import { GATE_COMMANDS } from './gate-actions';
import { gateRefusal, type GateDecision, type OpenGate } from './gates';
import { approveSignal, approveUpdate, rejectSignal, rejectUpdate, type Gate, type GateDecisionResult, type MigrationStatus } from './messages';

/** A decision waiting to be applied; `ticket` when it came as an Update, whose caller waits for the outcome. */
export type Decision = GateDecision & { ticket?: number };
export type DecisionOutcome = { result: GateDecisionResult; refusal?: undefined } | { refusal: string; result?: undefined };

/** Histories from before this change queued a signal sent before its gate opened; newer runs refuse it. */
const GATE_ONLY_WHEN_OPEN = 'gate-decisions-only-when-open';
/** Histories from before this change started the gate's reminder timer without a summary (the Web UI showed a bare sleep). */
const REMINDER_SUMMARY = 'gate-reminder-timer-summary';

export interface GateKeeperOptions {
  migrationId: string;
  /** The migration's status: the keeper sets `waitingFor` and, for refused signals, `gateMessage`. */
  status: MigrationStatus;
  /** How often a waiting gate logs that it still waits. */
  reminderMs: number;
  /** Redraws the Web UI's details after a change. */
  onChange: () => void;
  /** Audits a signal the rules refused (an Update's refusal is audited by its sender). */
  recordRefusal: (refusal: { gate: string; decision: string; by: string; reason: string }) => Promise<void>;
}

/**
 * The gates of one migration: Updates (`approveGate`, `rejectGate`) with validators that answer at once, and the
 * Web UI's signals under the same rules (gates.ts). A decision counts only for the gate open now; the migration takes
 * it with `waitForDecision` and tells its sender the outcome with `settle`.
 */
export function createGateKeeper(opts: GateKeeperOptions) {
  const { status } = opts;
  const decisions: Decision[] = [];
  const outcomes = new Map<number, DecisionOutcome>();
  const unsettled = new Set<number>();
  let nextTicket = 1;
  let openGate: OpenGate | undefined;

  // Nothing may already be queued for the open gate: one decision at a time.
  const refusalOf = (d: GateDecision): string | undefined =>
    decisions.length > 0 ? `a decision for ${openGate?.gate ?? 'this gate'} is already being applied` : gateRefusal(d, openGate, status.phase);

  const decideByUpdate = async (d: GateDecision): Promise<GateDecisionResult> => {
    const ticket = nextTicket++;
    unsettled.add(ticket);
    decisions.push({ ...d, ticket });
    // Not cancellable: after a cancellation, CANCEL_REVIEW still takes decisions (the handler runs in the root scope).
    await CancellationScope.nonCancellable(() => condition(() => outcomes.has(ticket)));
    const outcome = outcomes.get(ticket)!;
    outcomes.delete(ticket);
    if (outcome.refusal !== undefined) throw ApplicationFailure.nonRetryable(outcome.refusal, 'GateDecisionRefused');
    return outcome.result;
  };
  const validate = (d: GateDecision) => {
    const refusal = refusalOf(d);
    if (refusal) throw ApplicationFailure.nonRetryable(refusal, 'GateDecisionRefused');
  };
  setHandler(approveUpdate, (a) => decideByUpdate({ kind: 'approve', input: a }), { validator: (a) => validate({ kind: 'approve', input: a }) });
  setHandler(rejectUpdate, (r) => decideByUpdate({ kind: 'reject', input: r }), { validator: (r) => validate({ kind: 'reject', input: r }) });

  // A signal has no answer: a refusal shows in the gate message and goes to the audit log.
  const decideBySignal = async (d: GateDecision) => {
    if (!patched(GATE_ONLY_WHEN_OPEN)) return void decisions.push(d);
    const refusal = refusalOf(d);
    if (!refusal) return void decisions.push(d);
    const by = typeof d.input?.by === 'string' && d.input.by.trim() ? d.input.by : 'unknown';
    status.gateMessage = `refused a ${d.kind} signal from ${by}: ${refusal}`;
    opts.onChange();
    await opts.recordRefusal({ gate: String(d.input?.gate ?? 'none'), decision: `refused_${d.kind}`, by, reason: refusal });
  };
  setHandler(approveSignal, (a) => decideBySignal({ kind: 'approve', input: a }));
  setHandler(rejectSignal, (r) => decideBySignal({ kind: 'reject', input: r }));

  /** Tells an Update's sender what its decision led to (a signal's sender has no one to tell). */
  const settle = (decision: Decision, outcome: DecisionOutcome): void => {
    if (decision.ticket === undefined) return;
    unsettled.delete(decision.ticket);
    outcomes.set(decision.ticket, outcome);
  };

  return {
    settle,

    /** Opens `gate` and waits for a decision for it; the gate closes when one is taken. */
    async waitForDecision(gate: Gate, sample?: OpenGate['sample']): Promise<Decision> {
      status.waitingFor = gate;
      openGate = { gate, sample };
      opts.onChange();
      for (;;) {
        // The Web UI's History shows this timer: it must read as a wait for a person, not a sleep.
        const arrived = patched(REMINDER_SUMMARY)
          ? await condition(() => decisions.length > 0, opts.reminderMs, { summary: reminderSummary(gate, opts.migrationId) })
          : await condition(() => decisions.length > 0, opts.reminderMs);
        if (!arrived) {
          log.info('gate still waiting for a decision', { migrationId: opts.migrationId, gate });
          continue;
        }
        const decision = decisions.shift()!;
        if (decision.input.gate !== gate) {
          // Only histories from before GATE_ONLY_WHEN_OPEN queue a decision for another gate.
          status.gateMessage = `ignored a ${decision.kind} for ${decision.input.gate}: the migration is at ${gate}`;
          settle(decision, { refusal: status.gateMessage });
          opts.onChange();
          continue;
        }
        status.waitingFor = undefined;
        openGate = undefined;
        return decision;
      }
    },

    /** A decision sent as an Update and not applied yet will not be: its sender hears why. */
    abandonAll(reason: string): void {
      for (const ticket of unsettled) outcomes.set(ticket, { refusal: reason });
      unsettled.clear();
    },
  };
}

/** At most 200 bytes (the Web UI's limit for a summary): what the timer is, and the command that ends the wait. */
function reminderSummary(gate: Gate, migrationId: string): string {
  return `waiting for ${gate} approval (this timer only reminds): ${GATE_COMMANDS[gate].approve.replace(/<id>/gu, migrationId)}`.slice(0, 200);
}

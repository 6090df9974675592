import type { ApproveInput, Gate, Phase, RejectInput } from './messages';

/** The gate a migration waits at now, and what an approver of its sample must have seen. */
export interface OpenGate {
  gate: Gate;
  sample?: { run: number; accuracy: number; threshold: number };
}

/** Verification's problems that open VERIFY_REVIEW. Pure, PHI-free: object types, counts and percentages only. */
export function verificationProblems(
  objects: Record<string, { source: number; migrated: number; skipped: number; rejected: number }>,
  balanced: boolean,
  accuracy: number,
  threshold: number,
): string[] {
  const problems: string[] = [];
  if (!balanced) {
    const off = Object.entries(objects)
      .filter(([, c]) => c.source !== c.migrated + c.skipped + c.rejected)
      .map(([type, c]) => `${type} ${c.source} ≠ ${c.migrated} + ${c.skipped} + ${c.rejected}`);
    problems.push(`reconciliation does not balance (source ≠ migrated + skipped + rejected)${off.length ? `: ${off.join('; ')}` : ''}`);
  }
  if (accuracy < threshold) problems.push(`full-run accuracy ${accuracy.toFixed(2)}% is below ${threshold}%`);
  return problems;
}

export type GateDecision = { kind: 'approve'; input: ApproveInput } | { kind: 'reject'; input: RejectInput };

/**
 * Why a gate decision cannot count, or undefined when it can. Only a person opens a gate: a decision counts only for
 * the gate that is open now, from a named person, for the sample they reviewed, with the reasons the rules require.
 * Pure, so the Update validator, the signal handler and the tests share it.
 */
export function gateRefusal(decision: GateDecision, open: OpenGate | undefined, phase: Phase): string | undefined {
  const { kind, input } = decision;
  const noun = kind === 'approve' ? 'an approval' : 'a rejection';
  if (!input || typeof input !== 'object') return `${noun} needs its input ({ gate, by, … })`;
  if (!open)
    return `no gate is open (the migration is at ${phase}): ${noun} counts only for a gate that is open now, so send it when the migration waits for it`;
  if (input.gate !== open.gate) return `the migration waits at ${open.gate}, not ${String(input.gate)}`;
  if (typeof input.by !== 'string' || !input.by.trim()) return `${noun} must say who decides (by)`;
  if (kind === 'reject') {
    const reason = input.reason;
    return typeof reason === 'string' && reason.trim() ? undefined : 'a rejection must give its reason';
  }
  const approval = input;
  if (open.gate === 'CANCEL_REVIEW' && !approval.overrideReason?.trim()) {
    return 'keeping the records a cancelled migration created needs a written reason (overrideReason); reject (with a reason) to roll them back';
  }
  if (open.gate === 'VERIFY_REVIEW' && !approval.overrideReason?.trim()) {
    return 'verification found problems: approve with a written override reason to go on, or reject (with a reason) to roll everything back';
  }
  if (open.gate === 'SAMPLE_REVIEW' && open.sample) {
    const { run, accuracy, threshold } = open.sample;
    if (approval.sampleRun !== undefined && approval.sampleRun !== run) {
      return `the sample you reviewed (run ${approval.sampleRun}) is not the one at the gate (run ${run}): review run ${run} first`;
    }
    if (accuracy < threshold && !approval.overrideReason?.trim()) {
      return (
        `accuracy ${accuracy.toFixed(2)}% is below ${threshold}%: reject to fix the map and re-run the sample, ` + 'or approve with a written override reason'
      );
    }
  }
  return undefined;
}

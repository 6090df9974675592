import type { Gate } from './messages';

/**
 * How an operator answers each gate, defined once: the exact CLI commands (`<id>` is the migration, `<you>` the
 * approver, `<why>` a written reason) and the sentence the Web UI's Current Details show (details.ts). The HTML
 * reports (src/reports) print the same commands. Pure (it lives here because workflow code may import values from
 * src/workflows only).
 */
export interface GateCommands {
  approve: string;
  /** Approving with a written reason: a sample below the accuracy threshold (SAMPLE_REVIEW only). */
  approveOverride?: string;
  reject: string;
}

const approve = (gate: Gate, extra = '') => `npm run starter -- approve -m <id> --gate ${gate} --by <you>${extra}`;
const reject = (gate: Gate) => `npm run starter -- reject -m <id> --gate ${gate} --by <you> --reason <why>`;

export const GATE_COMMANDS: Record<Gate, GateCommands> = {
  MAPPING_REVIEW: { approve: approve('MAPPING_REVIEW'), reject: reject('MAPPING_REVIEW') },
  SAMPLE_REVIEW: {
    approve: approve('SAMPLE_REVIEW'),
    approveOverride: approve('SAMPLE_REVIEW', ' --override-reason <why>'),
    reject: reject('SAMPLE_REVIEW'),
  },
  CANCEL_REVIEW: { approve: approve('CANCEL_REVIEW', ' --override-reason <why>'), reject: reject('CANCEL_REVIEW') },
  VERIFY_REVIEW: { approve: approve('VERIFY_REVIEW', ' --override-reason <why>'), reject: reject('VERIFY_REVIEW') },
};

/** A gate's commands for one migration (its id in place of `<id>`). */
export function gateCommandsFor(gate: Gate, migrationId: string): GateCommands {
  const c = GATE_COMMANDS[gate];
  const fill = (s: string) => s.replace(/<id>/gu, migrationId);
  return { approve: fill(c.approve), ...(c.approveOverride ? { approveOverride: fill(c.approveOverride) } : {}), reject: fill(c.reject) };
}

const C = GATE_COMMANDS;

/** What each gate waits for, and how an operator gives it (CLI, or the Web UI's Send a Signal). */
export const GATE_ACTIONS: Record<Gate, string> = {
  MAPPING_REVIEW:
    `review the Data Quality Report and the mapping workbook (\`map export\`), then \`${C.MAPPING_REVIEW.approve}\` ` +
    `(or \`${C.MAPPING_REVIEW.reject}\`); Web UI: Send a Signal \`approve\` with \`{"gate":"MAPPING_REVIEW","by":"<you>"}\``,
  SAMPLE_REVIEW:
    `review the sample diff (\`report --kind sample-diff --open\`), then \`${C.SAMPLE_REVIEW.approve}\` ` +
    `(or \`${C.SAMPLE_REVIEW.reject}\` to roll the sample back); Web UI: Send a Signal \`approve\` with \`{"gate":"SAMPLE_REVIEW","by":"<you>"}\``,
  CANCEL_REVIEW:
    `the migration was cancelled and writes nothing more; roll back what it created with \`${C.CANCEL_REVIEW.reject}\` ` +
    `(or \`rollback\`), or keep it and end with \`${C.CANCEL_REVIEW.approve}\`; Web UI: Send a Signal \`rollback\` with \`{"by":"<you>","reason":"<why>"}\``,
  VERIFY_REVIEW:
    'review the verification and reconciliation reports (`report --kind verification --open`, `report --kind reconciliation`), then go on with ' +
    `\`${C.VERIFY_REVIEW.approve}\` or roll everything back with \`${C.VERIFY_REVIEW.reject}\`; ` +
    'Web UI: Send a Signal `approve` with `{"gate":"VERIFY_REVIEW","by":"<you>","overrideReason":"<why>"}`',
};

/** DELTA waits for cutover (or the window's end): the command that closes the window, and the Web UI's signal. */
export const CUTOVER_ACTION =
  'the delta window picks up changes made in Dentrix until cutover; when the practice has switched, ' +
  '`npm run starter -- cutover -m <id> --by <you>` (refused while insurance claims are in flight, unless `--force --reason <why>`); ' +
  'Web UI: Send a Signal `cutover` with `{"by":"<you>"}`';

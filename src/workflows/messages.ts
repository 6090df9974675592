import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

/** The phases of a migration, in order, as shown in the MigrationPhase search attribute. */
export const PHASES = [
  'EXTRACT',
  'AUDIT',
  'MAPPING_REVIEW',
  'SCHEMA',
  'SAMPLE',
  'SAMPLE_REVIEW',
  'FULL',
  'VERIFY',
  'VERIFY_REVIEW',
  'DELTA',
  'DONE',
  'ROLLING_BACK',
  'ROLLED_BACK',
  'CANCEL_REVIEW',
  'CANCELLED',
  'FAILED',
] as const;
export type Phase = (typeof PHASES)[number];

/**
 * The failure types activities raise and workflows act on (src/failures.ts builds them). Messages are
 * PHI-free: ids, tables, columns, endpoints, counts.
 */
export const FAILURE_TYPES = {
  /** Bad data or a refused request; retrying cannot help. */
  permanent: 'PermanentFailure',
  /** A setting is missing or malformed (thrown as the ConfigError class). */
  config: 'ConfigError',
  /** The extract itself is unusable (missing table, truncated file). */
  badSource: 'BadSource',
  /** During the delta window, the live source cannot be read consistently now; retried. */
  sourceNotReady: 'SourceNotReady',
  /** Pipedrive's daily token budget is spent; details carry `resumeAt`, the workflow sleeps until then. */
  dailyBudgetExhausted: 'DailyBudgetExhausted',
  /** A burst-window 429 that outlasted the client's own waiting; retried after `nextRetryDelay`. */
  rateLimited: 'RateLimited',
  /** An answer left something unsettled that a retry of the activity settles. */
  transient: 'TransientFailure',
  /** The API token answers for another Pipedrive account than the one the migration recorded. */
  accountMismatch: 'AccountMismatch',
  /** An error no other type names: bounded attempts, then a visible failure (src/runtime/unknown-failures.ts). */
  unknown: 'UnknownFailure',
  /**
   * Not an error: how a migration rolled back by its own workflow ends, so that the Web UI's list shows it Failed (red),
   * never Completed like a migration that went through. Its details carry the MigrationResult.
   */
  rolledBack: 'MigrationRolledBack',
} as const;
export type FailureType = (typeof FAILURE_TYPES)[keyof typeof FAILURE_TYPES];

/** Failure types a retry cannot fix: every activity's retry policy stops on them. */
export const NON_RETRYABLE: readonly FailureType[] = [
  FAILURE_TYPES.permanent,
  FAILURE_TYPES.config,
  FAILURE_TYPES.badSource,
  FAILURE_TYPES.dailyBudgetExhausted,
  FAILURE_TYPES.accountMismatch,
];

/** The phases a migration ends in: no workflow of it runs any more (nor needs the staged rows). */
export const FINAL_PHASES: readonly Phase[] = ['DONE', 'ROLLED_BACK', 'CANCELLED', 'FAILED'];

/**
 * The phases where a migration waits for a person's decision: VERIFY_REVIEW only when verification found a problem,
 * CANCEL_REVIEW only after a cancellation (keep what was written, or roll it back).
 */
export const GATES = ['MAPPING_REVIEW', 'SAMPLE_REVIEW', 'VERIFY_REVIEW', 'CANCEL_REVIEW'] as const;
export type Gate = (typeof GATES)[number];
export type RunKind = 'sample' | 'full' | 'delta';

export interface ApproveInput {
  gate: Gate;
  /** Who approved: an operator's name or handle, kept in the audit log. */
  by: string;
  /** MAPPING_REVIEW: the field-map version approved (default: the latest proposed or imported). */
  mapVersion?: number;
  /**
   * MAPPING_REVIEW, the PHI gate: PHI rules to include, by rule id, each with its de-identification
   * (`none`, `mask`, `year_only`). Everything PHI not listed stays out; SSN never moves.
   */
  phiInclude?: { rule: string; deidentify: 'none' | 'mask' | 'year_only' }[];
  /** MAPPING_REVIEW: include every PHI rule unchanged (a compliance decision the approver owns; SSN still never moves). */
  includeAllPhi?: boolean;
  /**
   * SAMPLE_REVIEW below the accuracy threshold, and always at VERIFY_REVIEW: the written reason for going ahead anyway.
   */
  overrideReason?: string;
  /** SAMPLE_REVIEW: the sample run the approver reviewed (`status.sample.run`); refused once another sample replaced it. */
  sampleRun?: number;
}

/** A rejection: MAPPING_REVIEW waits for an edited map, SAMPLE_REVIEW rolls the sample back, VERIFY_REVIEW rolls everything back. */
export interface RejectInput {
  gate: Gate;
  by: string;
  reason: string;
}

export interface RollbackInput {
  by: string;
  reason: string;
}

export interface CutoverInput {
  by: string;
}

/** What a gate decision led to, returned to whoever sent it (the CLI prints it). */
export interface GateDecisionResult {
  gate: Gate;
  decision: 'approve' | 'reject';
  /** What happens next, e.g. "map v3 approved: creating the schema". */
  outcome: string;
  mapVersion?: number;
  sampleRun?: number;
}

/**
 * Gate decisions are Updates: the workflow's validator accepts or refuses them at once (a gate that is not open now, a
 * sample that was replaced, a missing reason), so the CLI can tell the operator and exit non-zero. The signals with
 * the same rules remain for the Web UI's "Send a Signal"; a refused signal is audited and shown in the gate message.
 */
export const approveUpdate = defineUpdate<GateDecisionResult, [ApproveInput]>('approveGate');
export const rejectUpdate = defineUpdate<GateDecisionResult, [RejectInput]>('rejectGate');
export const approveSignal = defineSignal<[ApproveInput]>('approve');
export const rejectSignal = defineSignal<[RejectInput]>('reject');
export const rollbackSignal = defineSignal<[RollbackInput]>('rollback');
export const cutoverSignal = defineSignal<[CutoverInput]>('cutover');

/** A new map version imported with `map import` while MAPPING_REVIEW waits: the gate message names it (counts only). */
export interface MapImportedInput {
  version: number;
  by: string;
  changes: number;
  merges: number;
  ownerAssignments: number;
}
export const mapImportedSignal = defineSignal<[MapImportedInput]>('mapImported');

/** Per object type: every source record ends migrated, skipped by rule, or rejected with a reason. */
export interface ObjectCounts {
  source: number;
  migrated: number;
  skipped: number;
  rejected: number;
}

export interface BatchCounts {
  migrated: number;
  /** Delta runs: records that existed and were updated to the source's new values. */
  updated: number;
  skipped: number;
  rejected: number;
  recovered: number;
  alreadyDone: number;
}

export interface AccuracySummary {
  accuracy: number;
  fieldsCompared: number;
  discrepancies: number;
  recordsCompared: number;
  reportPath?: string;
}

/** Providers → Pipedrive users as MAPPING_REVIEW shows them: ids and counts only (names stay in the workbook and report). */
export interface OwnersSummary {
  providers: number;
  /** Matched by e-mail. */
  matched: number;
  /** Assigned by ops in the workbook's Owners sheet. */
  assigned: number;
  /** How many providers have no user. */
  unmatchedCount: number;
  /** Providers with no user and the records each would leave on the fallback owner, most first (the first 25). */
  unmatched: { providerId: string; records: number }[];
  /** Every record the fallback owner would get: unmatched providers' and those without a provider. */
  recordsOnFallback: number;
  fallbackOwnerId: number;
}

export interface MigrationStatus {
  migrationId: string;
  practiceName: string;
  phase: Phase;
  waitingFor?: Gate;
  /** Why the last approval was refused, or what the gate is waiting for. PHI-free. */
  gateMessage?: string;
  mapVersion?: number;
  /** Providers without a Pipedrive user, as matched before MAPPING_REVIEW's decision. */
  owners?: OwnersSummary;
  extract?: { tables: number; rowsRead: number; rowsStaged: number; rowsRejected: number };
  audit?: Record<string, number>;
  /** `run` counts sample runs (a rejected sample is re-run): an approval names the one it reviewed. */
  sample?: AccuracySummary & { run?: number; threshold?: number; approvedBy?: string; overrideReason?: string };
  verification?: AccuracySummary & {
    /** What verification found wrong (an unbalanced reconciliation, accuracy below the threshold); PHI-free. */
    problems?: string[];
    approvedBy?: string;
    overrideReason?: string;
  };
  objects: Record<string, ObjectCounts>;
  /** What runs now, for people: "person load", "deal, file load". */
  currentObject?: string;
  /**
   * The load or verify children running now (several at once when a wave's types load together): each answers
   * loadProgressQuery as workflow `<migration workflow id>-<runKind>-<mode>-<objectType>`.
   */
  running?: { runKind: RunKind; mode: 'load' | 'verify'; objectTypes: string[] };
  reports: Record<string, string>;
  fingerprints: { beforeFirstWrite?: string; afterRollback?: string; atEnd?: string };
  paused?: { reason: string; until: string };
  delta?: { polls: number; created: number; updated: number; windowEndsAt?: string };
  /** The load or verification the migration runs now (sample, full), per object type, live as batches end. */
  phaseProgress?: PhaseProgress;
  /** The rollback running now: deletes so far, live as its batches end. */
  rollbackProgress?: RollbackProgress;
  phaseHistory: { phase: Phase; at: string }[];
  error?: string;
}

export const statusQuery = defineQuery<MigrationStatus>('status');

/** One object type's share of the phase's load or verification: waiting for its wave, running, or done. */
export interface PhaseObjectProgress {
  state: 'waiting' | 'running' | 'done';
  /** Work items planned (0 until the type's child has planned them). */
  total: number;
  done: number;
  migrated: number;
  skipped: number;
  rejected: number;
}

export interface PhaseProgress {
  runKind: RunKind;
  mode: 'load' | 'verify';
  /** Workflow time the run began (ISO): the rate and ETA are measured from it. */
  startedAt: string;
  objects: Record<string, PhaseObjectProgress>;
}

export interface RollbackProgress {
  scope: 'all' | 'sample';
  deleted: number;
  alreadyGone: number;
  /** e.g. "person: 420 left" */
  current?: string;
}

export interface LoadProgress {
  objectType: string;
  runKind: RunKind;
  mode: 'load' | 'verify';
  total: number;
  done: number;
  totals: BatchCounts;
  paused?: { reason: string; until: string };
}

export const loadProgressQuery = defineQuery<LoadProgress>('loadProgress');

/** From a load child to the migration: its batches sleep on the daily budget (`paused`) or run again (undefined). */
export const loadPausedSignal = defineSignal<[{ objectType: string; paused?: { reason: string; until: string } }]>('loadPaused');

/** From a load or verify child to the migration: its progress so far (at most every few seconds, and at its end). */
export const loadProgressSignal = defineSignal<[LoadProgress]>('loadProgress');

/** From a rollback child to the migration: its deletes so far, after each batch. */
export const rollbackProgressSignal = defineSignal<[RollbackProgress]>('rollbackProgress');

export interface DeltaProgress {
  polls: number;
  created: number;
  updated: number;
  endsAt: string;
  /** Ledger claims still sent or pending as of the last poll (a count only): they must clear before cutover. */
  inFlightClaims?: number;
  /** The in-flight claims report as of the last poll. */
  inFlightClaimsReportPath?: string;
}

export const deltaProgressQuery = defineQuery<DeltaProgress>('deltaProgress');

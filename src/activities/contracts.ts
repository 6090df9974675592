/**
 * Inputs and results of activities: references, cursors and counts only. These cross into Temporal histories,
 * so nothing here may carry patient data.
 */
import type { AccuracySummary, BatchCounts, ObjectCounts, OwnersSummary, RunKind } from '../workflows/messages';

export interface MigrationRef {
  migrationId: string;
}

export interface ExtractSummary {
  tables: number;
  rowsRead: number;
  rowsStaged: number;
  rowsRejected: number;
  perTable: Record<string, { read: number; staged: number; rejected: number }>;
}

export interface AuditSummary {
  reportPath: string;
  htmlPath?: string;
  counts: Record<string, number>;
}

/** A run's plan: its object types in dependency order, in waves that load at the same time, and the derived concurrency. */
export interface RunPlan {
  objectTypes: string[];
  /** Older workers returned none: one type at a time. */
  waves?: string[][];
  /** Per type, the run's types it loads after: it starts once they have loaded (loadGraph). Older workers returned none. */
  loadsAfter?: Record<string, string[]>;
  /** Batches per object type in flight when the migration's options leave it open. Older workers returned none. */
  concurrency?: number;
  /** Work items a full run of each type will have (its staged driving rows the approved map keeps): the ETA's totals. */
  fullTotals?: Record<string, number>;
}

export interface ProposedMap {
  version: number;
  mapPath: string;
  workbookPath?: string;
  fields: number;
  /** The Data Quality Report's probable duplicate pairs, and how many this version merges (the Duplicates sheet). */
  duplicates?: { pairs: number; merged: number };
}

export interface MapApproval {
  ok: boolean;
  version?: number;
  /** Row-level problems, PHI-free (table, column, rule). */
  errors: string[];
  approvedMapPath?: string;
}

export interface ProviderResolution {
  matched: number;
  unmatched: number;
  fallbackOwnerId: number;
  unmatchedProviderIds: string[];
  /** Providers → users as the approved map assigns them (ids and counts); absent from histories recorded before it. */
  owners?: OwnersSummary;
}

export interface SchemaResult {
  created: number;
  reused: number;
  /** Of the created: elements the id map held that were gone from the account (deleted by hand) and created again. */
  recreated: number;
}

export interface PlanWorkInput extends MigrationRef {
  objectType: string;
  runKind: RunKind;
}

/** Planning that also answers the first window of batches (what the type's child would ask for first). */
export interface PlanWorkAheadInput extends PlanWorkInput {
  firstBatches?: Pick<NextBatchesInput, 'batchSize' | 'maxBatches' | 'splitTail'>;
}

export interface PlannedWork {
  total: number;
  /** The first window's ranges, when asked for. */
  firstRanges?: BatchRange[];
}

export interface BatchRange {
  /** Work-item sequence numbers: the batch covers fromSeq < seq <= toSeq. */
  fromSeq: number;
  toSeq: number;
  /** No work item after this range (the store found fewer than a window): no next window to ask for. Older workers set none. */
  last?: true;
}

export interface NextBatchesInput extends PlanWorkInput {
  afterSeq: number;
  batchSize: number;
  maxBatches: number;
  /** Split the last rows over the window (loads; verification reads 100 ids a request, so it keeps whole batches). */
  splitTail?: boolean;
}

export interface BatchInput extends PlanWorkInput, Pick<BatchRange, 'fromSeq' | 'toSeq'> {
  batchNumber: number;
}

export interface VerifyBatchResult {
  recordsCompared: number;
  fieldsCompared: number;
  fieldsMatched: number;
  discrepancies: number;
}

export interface RollbackBatchInput extends MigrationRef {
  objectType: string;
  scope: 'all' | 'sample';
  limit: number;
}

export interface RollbackBatchResult {
  deleted: number;
  alreadyGone: number;
  remaining: number;
}

export interface ReconcileResult {
  objects: Record<string, ObjectCounts>;
  reportPath: string;
  balanced: boolean;
}

export interface DeltaPollResult {
  changedRows: number;
  workItems: Record<string, number>;
  watermark?: string;
  /** Ledger claims still sent or pending in the source as of this poll (a count: no PHI). */
  inFlightClaims: number;
  /** The in-flight claims report, rewritten by every poll so it is there before cutover. */
  inFlightClaimsReportPath?: string;
  /** Source rows this poll read, per table (a change-cursor read counts only the rows it selected). */
  rowsRead?: Record<string, number>;
  /** Tables read by change cursor since their watermark; every other table was read in full. */
  readByCursor?: string[];
}

export type { AccuracySummary, BatchCounts, ObjectCounts, RunKind };
export type { FingerprintResult } from '../engine/ports';

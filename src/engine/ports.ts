/**
 * The narrow interfaces the write engine depends on. The engine holds the exactly-once protocol (DESIGN §5.1) and the
 * saga's compensations (§5.3); where records, ids and audit rows are kept, and how Pipedrive is reached, are these
 * ports. PostgreSQL implementations live in src/store (engine-store.ts), the Pipedrive one over the object-type
 * registry in registry-operations.ts; the engine's unit tests use in-memory fakes.
 */
import type { DeclaredFile } from '../dentrix/confined-files';
import type { BuildOutcome, FieldKeys, TargetEntity } from '../mapping';
import type { CreateInput, DeleteOutcome, LiveRecords, RecoveryPage, RecoveryQuery } from '../object-types/registry';
import type { PipedriveClient } from '../pipedrive/client';

export type LedgerState = 'pending' | 'created' | 'reused' | 'deleted' | 'skipped' | 'rejected';
export type RollbackScope = 'all' | 'sample';

/** One row of the id map / creation ledger. */
export interface LedgerEntry {
  objectType: string;
  sourceKey: string;
  pipedriveId: string | null;
  state: LedgerState;
  reason: string | null;
  runKind: string;
  contentHash: string | null;
  updatedAt: Date;
  /** The id this record had before it was found gone from Pipedrive and created again (null: never recreated). */
  replacedPipedriveId?: string | null;
}

export type ApiRecord = Record<string, unknown>;

/** One audit-log row as the engine sees it; the audit log adds the migration and the activity that made it. */
export interface AuditRecord {
  action: 'create' | 'update' | 'delete' | 'recover' | 'restore';
  objectType: string;
  sourceKey?: string | null;
  pipedriveId?: string | null;
  method: string;
  endpoint: string;
  status?: number | null;
  tokens?: number;
  note?: string | null;
}

export interface AuditLog {
  append(entry: AuditRecord): Promise<void>;
}

/** An update's before-image: the record's mapped fields as they were before the migration's first update of it. */
export interface BeforeImage {
  objectType: string;
  pipedriveId: string;
  body: Record<string, unknown>;
}

/** A `pending` mark: committed before the create is sent. */
export interface ClaimEntry {
  objectType: string;
  sourceKey: string;
  runKind: string;
  contentHash?: string;
}

/** A created (or reused) record's id-map row. */
export interface CreatedEntry {
  objectType: string;
  sourceKey: string;
  pipedriveId: string | number;
  runKind: string;
  contentHash?: string;
  state?: 'created' | 'reused';
}

/** A record settled without a write: skipped by the map, or rejected (bad data, or refused by Pipedrive), with why. */
export interface RecordOutcome {
  objectType: string;
  sourceKey: string;
  state: 'skipped' | 'rejected';
  reason: string;
  runKind: string;
}

/** A created record's id and the audit row of the create. */
export interface CreatedRecord {
  entry: CreatedEntry;
  audit: AuditRecord;
}

/**
 * The id map and creation ledger of one migration. `claim` is committed before a create is sent (a `pending` row
 * found later means the outcome is unknown); `recordCreated` keeps the id and its audit row together.
 */
export interface Ledger {
  getMany(objectType: string, sourceKeys: string[]): Promise<Map<string, LedgerEntry>>;
  claim(e: ClaimEntry): Promise<void>;
  /**
   * Many claims committed at once (a chunk of creates about to be sent); `recordFirst`: the ids of the chunk sent before
   * it, with their audit rows, committed with them (as `recordAllCreated` would, in the same commit when the store can).
   */
  claimAll(entries: ClaimEntry[], recordFirst?: CreatedRecord[]): Promise<void>;
  /** The id, and the audit row of the write that made it, in one transaction when the store has them. */
  recordCreated(e: CreatedEntry, audit?: AuditRecord): Promise<void>;
  /** Many ids with their audit rows, committed at once. */
  recordAllCreated(records: CreatedRecord[]): Promise<void>;
  /**
   * Claims whose creates were never sent go back to what they were (`prior`; no row when there was none). A row no
   * longer pending is left as it is.
   */
  releaseClaims(claims: { objectType: string; sourceKey: string; prior?: LedgerEntry }[]): Promise<void>;
  recordOutcome(e: RecordOutcome): Promise<void>;
  /** Many outcomes committed at once (a batch's records the map skips or rejects). */
  recordOutcomes(entries: RecordOutcome[]): Promise<void>;
  /**
   * A created or reused record found gone from Pipedrive: back to `pending` without an id, the gone id kept (what
   * tells a recreated record apart). False when the row no longer holds that id (another attempt got there first).
   */
  markGone(e: { objectType: string; sourceKey: string; goneId: string; runKind: string }): Promise<boolean>;
  setContentHash(objectType: string, sourceKey: string, contentHash: string): Promise<void>;
  /** True for a record another migration into the same account created: recovery never adopts it. */
  createdByAnotherMigration(objectType: string, pipedriveId: string): Promise<boolean>;
  /** Keeps the first before-image of a record: later ones are ignored. */
  saveBeforeImage(image: BeforeImage): Promise<void>;
  /** Before-images not yet restored, of records the rollback did not delete. */
  beforeImagesToRestore(): Promise<BeforeImage[]>;
  markRestored(objectType: string, pipedriveId: string): Promise<void>;
  /** Created or pending rows of one type left to undo, in source-key order. */
  toUndo(objectType: string, scope: RollbackScope, limit: number): Promise<LedgerEntry[]>;
  /** Created or pending rows left to undo, per object type (the engine decides the order). */
  remainingByType(scope: RollbackScope): Promise<Map<string, number>>;
  markDeleted(objectType: string, sourceKey: string): Promise<void>;
  /** Codes of the custom fields this migration created: before-images are restored and compared without them. */
  createdFieldCodes(): Promise<Set<string>>;
  /** Ids the rollback deleted, per object type: what the read-back confirms gone. */
  deletedIds(scope: RollbackScope): Promise<Map<string, string[]>>;
  /** Every before-image of a record the rollback kept, restored or not: what the read-back compares. */
  beforeImagesKept(): Promise<(BeforeImage & { restored: boolean })[]>;
}

/** What to write: each work item's record built from staging, and a document's checked bytes. */
export interface StagingSource {
  build(entity: TargetEntity, sourceKeys: string[]): Promise<Map<string, StagedRecord>>;
  /** A document's file, read and checked against what the extract declares, or why it cannot be uploaded. */
  documentFile(filePath: string | null, declared: DeclaredFile): Promise<{ content: Buffer } | { reason: string }>;
  /** Where a pending child record could be found (its person or deal in Pipedrive), for recovery during a rollback. */
  recoveryParents?(sourceKey: string): Promise<{ personId?: number; dealId?: number }>;
}

export interface StagedRecord {
  outcome: BuildOutcome;
  /** A document's declared size and hash (files). */
  declared?: DeclaredFile;
}

/**
 * The Pipedrive operations of each object type (the object-type registry's), bound to one account's client. Ids are
 * ledger ids (`12`, `<dealId>/<attachmentId>`, `<entity>/<field_code>`).
 */
export interface AccountOperations {
  create(entity: TargetEntity, input: CreateInput): Promise<string>;
  /** Someone else on the token filled its window lately: creates sent together would each meet their burst. */
  windowContended(): boolean;
  canUpdate(objectType: string): boolean;
  update(objectType: string, id: string, body: object): Promise<void>;
  read(entity: TargetEntity, id: string): Promise<ApiRecord | undefined>;
  /** Those of these ids that are live records in the account, read with the type's cheapest lists, and what that cost. */
  liveRecords(entity: TargetEntity, ids: string[]): Promise<LiveRecords>;
  delete(objectType: string, id: string): Promise<DeleteOutcome>;
  recover(entity: TargetEntity, q: RecoveryQuery): AsyncIterable<RecoveryPage>;
  /** Deal products: one bulk attach; the answer's items carry their Dentrix marker. */
  attachDealProducts(dealId: number, bodies: object[]): Promise<ApiRecord[]>;
  attachDealProduct(dealId: number, body: object): Promise<{ id: number }>;
  /** The account's own products (no Dentrix key) by upper-case code. */
  accountProducts(fieldKeys: FieldKeys): Promise<Map<string, number>>;
  /** Children deleted per parent (deal products per deal), when the type does that. */
  parentDelete(objectType: string): ParentDeleteOps | undefined;
}

export interface ParentDeleteOps {
  parentOf(id: string): number;
  bulkAbove: number;
  bulkMax: number;
  /** Deletes these children of one parent and answers the ids it deleted: the others were already gone. */
  remove(parent: number, ids: string[], bulk: boolean): Promise<Set<string>>;
}

/** The account's fingerprint, taken before the first write and after a rollback (DESIGN §5.3). */
/** An account's fingerprint (DESIGN §5.3) and how it was taken. */
export interface FingerprintResult {
  fingerprint: string;
  method: 'sandbox' | 'api-listing';
}
export interface Fingerprinter {
  take(client: PipedriveClient, baseUrl: string): Promise<FingerprintResult>;
}

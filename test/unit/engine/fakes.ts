/**
 * In-memory fakes of the write engine's narrow interfaces (src/engine/ports.ts): a ledger with the store's state
 * rules, an audit log, a staging source, and a Pipedrive account that can lose a create's response.
 */
import type { FieldKeys, LogicalRecord, RefKey, TargetEntity } from '../../../src/mapping';
import { SOURCE_KEY_FIELD } from '../../../src/mapping';
import type { CreateInput, RecoveryPage, RecoveryQuery } from '../../../src/object-types/registry';
import { PipedriveError } from '../../../src/pipedrive/errors';
import type {
  AccountOperations,
  ApiRecord,
  AuditLog,
  AuditRecord,
  BeforeImage,
  Ledger,
  LedgerEntry,
  RecordOutcome,
  RollbackScope,
  StagedRecord,
  StagingSource,
} from '../../../src/engine/ports';

export const SOURCE_KEY_CODE = 'a1b2c3';
export const fieldKeys: FieldKeys = {
  person: { [SOURCE_KEY_FIELD]: { key: SOURCE_KEY_CODE, type: 'varchar' } },
  organization: { [SOURCE_KEY_FIELD]: { key: 'o1o2o3', type: 'varchar' } },
};

/** A person as the builders make it, keyed by its Dentrix key (written into the record, as DESIGN §5.1 requires). */
export function person(sourceKey: string, name: string): LogicalRecord {
  return { entity: 'person', fields: { name }, custom: { [SOURCE_KEY_FIELD]: sourceKey }, truncated: [] };
}

export class FakeAuditLog implements AuditLog {
  rows: AuditRecord[] = [];
  append(entry: AuditRecord): Promise<void> {
    this.rows.push(entry);
    return Promise.resolve();
  }
}

/** The id map with the store's rules (ledger.ts): `created`/`reused` rows are never claimed or rejected again. */
export class FakeLedger implements Ledger {
  rows = new Map<string, LedgerEntry>();
  beforeImages = new Map<string, BeforeImage & { restored: boolean }>();
  otherMigrationIds = new Set<string>();
  /** Throws on the next recordCreated, as a worker that dies between the create and recording its id. */
  crashOnNextRecord = false;
  private clock = 0;

  constructor(private readonly audit: FakeAuditLog) {}

  private key = (objectType: string, sourceKey: string) => `${objectType}|${sourceKey}`;
  private upsert(objectType: string, sourceKey: string, change: Partial<LedgerEntry>): void {
    const k = this.key(objectType, sourceKey);
    const prev = this.rows.get(k) ?? {
      objectType,
      sourceKey,
      pipedriveId: null,
      state: 'pending',
      reason: null,
      runKind: 'full',
      contentHash: null,
      updatedAt: new Date(0),
    };
    this.rows.set(k, { ...prev, ...change, updatedAt: new Date(Date.now() + this.clock++) });
  }
  entry(objectType: string, sourceKey: string): LedgerEntry | undefined {
    return this.rows.get(this.key(objectType, sourceKey));
  }

  getMany(objectType: string, sourceKeys: string[]) {
    const out = new Map<string, LedgerEntry>();
    for (const k of sourceKeys) {
      const e = this.entry(objectType, k);
      if (e) out.set(k, { ...e });
    }
    return Promise.resolve(out);
  }
  claim(e: { objectType: string; sourceKey: string; runKind: string; contentHash?: string }) {
    const prev = this.entry(e.objectType, e.sourceKey);
    if (!prev || ['pending', 'skipped', 'rejected', 'deleted'].includes(prev.state)) {
      const replacedPipedriveId = prev?.state === 'pending' ? prev.replacedPipedriveId : null;
      this.upsert(e.objectType, e.sourceKey, { state: 'pending', runKind: e.runKind, contentHash: e.contentHash ?? null, reason: null, replacedPipedriveId });
    }
    return Promise.resolve();
  }
  async claimAll(
    entries: { objectType: string; sourceKey: string; runKind: string; contentHash?: string }[],
    recordFirst: Parameters<FakeLedger['recordAllCreated']>[0] = [],
  ) {
    // Not through recordAllCreated, which a test may wrap to count the store's commits: this is one commit.
    if (recordFirst.length > 0) await this.recordAll(recordFirst);
    for (const e of entries) await this.claim(e);
  }
  releaseClaims(claims: { objectType: string; sourceKey: string; prior?: LedgerEntry }[]) {
    for (const { objectType, sourceKey, prior } of claims) {
      const k = this.key(objectType, sourceKey);
      if (this.rows.get(k)?.state !== 'pending' || prior?.state === 'pending') continue;
      if (prior) this.rows.set(k, { ...prior });
      else this.rows.delete(k);
    }
    return Promise.resolve();
  }
  recordAllCreated(records: { entry: Parameters<FakeLedger['recordCreated']>[0]; audit: AuditRecord }[]) {
    return this.recordAll(records);
  }
  private async recordAll(records: { entry: Parameters<FakeLedger['recordCreated']>[0]; audit: AuditRecord }[]) {
    if (this.crashOnNextRecord) {
      this.crashOnNextRecord = false;
      throw new Error('worker died before recording the ids');
    }
    for (const { entry, audit } of records) await this.recordCreated(entry, audit);
  }
  async recordCreated(
    e: { objectType: string; sourceKey: string; pipedriveId: string | number; runKind: string; contentHash?: string; state?: 'created' | 'reused' },
    audit?: AuditRecord,
  ) {
    if (this.crashOnNextRecord) {
      this.crashOnNextRecord = false;
      throw new Error('worker died before recording the id');
    }
    const prev = this.entry(e.objectType, e.sourceKey);
    this.upsert(e.objectType, e.sourceKey, {
      pipedriveId: String(e.pipedriveId),
      state: e.state ?? 'created',
      reason: null,
      runKind: prev?.runKind ?? e.runKind,
      contentHash: e.contentHash ?? prev?.contentHash ?? null,
    });
    if (audit) await this.audit.append(audit);
  }
  recordOutcome(e: RecordOutcome) {
    this.settle(e);
    return Promise.resolve();
  }
  /** One commit (not through recordOutcome, which a test may wrap to count the store's commits). */
  recordOutcomes(entries: RecordOutcome[]) {
    for (const e of entries) this.settle(e);
    return Promise.resolve();
  }
  private settle(e: RecordOutcome) {
    const prev = this.entry(e.objectType, e.sourceKey);
    if (!prev || !['created', 'reused'].includes(prev.state)) this.upsert(e.objectType, e.sourceKey, { state: e.state, reason: e.reason, runKind: e.runKind });
  }
  markGone(e: { objectType: string; sourceKey: string; goneId: string; runKind: string }) {
    const prev = this.entry(e.objectType, e.sourceKey);
    if (!prev || !['created', 'reused'].includes(prev.state) || prev.pipedriveId !== e.goneId) return Promise.resolve(false);
    this.upsert(e.objectType, e.sourceKey, { state: 'pending', pipedriveId: null, replacedPipedriveId: e.goneId, runKind: e.runKind, reason: null });
    return Promise.resolve(true);
  }
  setContentHash(objectType: string, sourceKey: string, contentHash: string) {
    if (this.entry(objectType, sourceKey)) this.upsert(objectType, sourceKey, { contentHash });
    return Promise.resolve();
  }
  createdByAnotherMigration(objectType: string, pipedriveId: string) {
    return Promise.resolve(this.otherMigrationIds.has(`${objectType}/${pipedriveId}`));
  }
  saveBeforeImage(image: BeforeImage) {
    const k = `${image.objectType}/${image.pipedriveId}`;
    if (!this.beforeImages.has(k)) this.beforeImages.set(k, { ...image, restored: false });
    return Promise.resolve();
  }
  private deletedIdSet(): Set<string> {
    return new Set([...this.rows.values()].filter((r) => r.state === 'deleted').map((r) => `${r.objectType}/${r.pipedriveId}`));
  }
  beforeImagesToRestore() {
    const deleted = this.deletedIdSet();
    return Promise.resolve([...this.beforeImages.entries()].filter(([k, b]) => !b.restored && !deleted.has(k)).map(([, b]) => ({ ...b })));
  }
  beforeImagesKept() {
    const deleted = this.deletedIdSet();
    return Promise.resolve([...this.beforeImages.entries()].filter(([k]) => !deleted.has(k)).map(([, b]) => ({ ...b })));
  }
  markRestored(objectType: string, pipedriveId: string) {
    const b = this.beforeImages.get(`${objectType}/${pipedriveId}`);
    if (b) b.restored = true;
    return Promise.resolve();
  }
  private live(scope: RollbackScope) {
    return [...this.rows.values()].filter((r) => (r.state === 'created' || r.state === 'pending') && (scope === 'all' || r.runKind === 'sample'));
  }
  toUndo(objectType: string, scope: RollbackScope, limit: number) {
    const rows = this.live(scope)
      .filter((r) => r.objectType === objectType)
      .sort((a, b) => (a.sourceKey < b.sourceKey ? -1 : 1));
    return Promise.resolve(rows.slice(0, limit).map((r) => ({ ...r })));
  }
  remainingByType(scope: RollbackScope) {
    const out = new Map<string, number>();
    for (const r of this.live(scope)) out.set(r.objectType, (out.get(r.objectType) ?? 0) + 1);
    return Promise.resolve(out);
  }
  markDeleted(objectType: string, sourceKey: string) {
    if (this.entry(objectType, sourceKey)) this.upsert(objectType, sourceKey, { state: 'deleted' });
    return Promise.resolve();
  }
  createdFieldCodes() {
    return Promise.resolve(new Set<string>());
  }
  deletedIds(scope: RollbackScope) {
    const out = new Map<string, string[]>();
    for (const r of this.rows.values()) {
      if (r.state !== 'deleted' || !r.pipedriveId || (scope === 'sample' && r.runKind !== 'sample')) continue;
      out.set(r.objectType, [...(out.get(r.objectType) ?? []), r.pipedriveId]);
    }
    return Promise.resolve(out);
  }
}

export class FakeStaging implements StagingSource {
  records = new Map<string, LogicalRecord>();
  /** The records a record links to, by source key (the builder's refs). */
  refs = new Map<string, RefKey[]>();
  /** The text of a record's review file (values no field of it holds whole), by source key. */
  reviewFiles = new Map<string, string>();
  build(entity: TargetEntity, sourceKeys: string[]) {
    const out = new Map<string, StagedRecord>();
    for (const sourceKey of sourceKeys) {
      const record = this.records.get(sourceKey);
      out.set(sourceKey, {
        outcome: record
          ? { kind: 'record', entity, sourceKey, record, refs: this.refs.get(sourceKey) ?? [], warnings: [], reviewFile: this.reviewFiles.get(sourceKey) }
          : { kind: 'reject', entity, sourceKey, column: null, reason: 'not staged' },
      });
    }
    return Promise.resolve(out);
  }
  documentFile() {
    return Promise.resolve({ reason: 'no documents in this fake' });
  }
}

const lostResponse = (endpoint: string) =>
  new PipedriveError({ message: `socket hang up on ${endpoint}`, failureType: 'transient', reason: 'network', endpoint, outcomeUnknown: true });

/** Pipedrive's answer once the company's daily token budget is spent: a 429 that created nothing. */
const dailyBudgetSpent = (endpoint: string) =>
  new PipedriveError({
    message: `Pipedrive's daily token budget is spent (429 on ${endpoint})`,
    failureType: 'rate_limited',
    reason: 'daily_budget',
    endpoint,
    status: 429,
    dailyBudgetExhausted: true,
  });

/**
 * A Pipedrive account in memory. `loseNextResponses` makes the next creates happen on the account but answer with a
 * lost response (outcome unknown); `failNextCreatesBeforeSending` makes them fail without creating anything.
 */
export class FakeAccount implements AccountOperations {
  records = new Map<string, Map<string, ApiRecord>>();
  creates: { entity: string; id: string }[] = [];
  deletes: { objectType: string; id: string }[] = [];
  updates: { objectType: string; id: string }[] = [];
  loseNextResponses = 0;
  failNextCreatesBeforeSending = 0;
  /** After this many more creates, every create is refused before it is sent (a spent daily budget) until reset. */
  refuseCreatesAfter?: number;
  /** Someone else fills the token's window (what the client's pacer would say). */
  contended = false;
  private nextId = 100;

  windowContended(): boolean {
    return this.contended;
  }

  table(objectType: string): Map<string, ApiRecord> {
    let t = this.records.get(objectType);
    if (!t) this.records.set(objectType, (t = new Map()));
    return t;
  }
  /** A record the account holds (e.g. written before the migration), with its update time. */
  seed(objectType: string, body: ApiRecord, updateTime = new Date()): string {
    const id = String(this.nextId++);
    this.table(objectType).set(id, { ...body, id: Number(id), update_time: updateTime.toISOString().replace(/\.\d{3}Z$/, 'Z') });
    return id;
  }
  live(objectType: string): ApiRecord[] {
    return [...this.table(objectType).values()];
  }

  create(entity: TargetEntity, input: CreateInput): Promise<string> {
    if (this.refuseCreatesAfter !== undefined) {
      if (this.refuseCreatesAfter <= 0) return Promise.reject(dailyBudgetSpent(`POST /${entity}`));
      this.refuseCreatesAfter--;
    }
    if (this.failNextCreatesBeforeSending > 0) {
      this.failNextCreatesBeforeSending--;
      return Promise.reject(lostResponse(`POST /${entity}`));
    }
    // A file as Pipedrive answers it: its name and size at the top, beside what it is attached to.
    const { file, ...links } = input.body as ApiRecord & { file?: { name: string; content?: Buffer } };
    const id = this.seed(entity, file ? { ...links, name: file.name, file_size: file.content?.length ?? 0 } : (input.body as ApiRecord));
    this.creates.push({ entity, id });
    if (this.loseNextResponses > 0) {
      this.loseNextResponses--;
      return Promise.reject(lostResponse(`POST /${entity}`));
    }
    return Promise.resolve(id);
  }
  canUpdate(objectType: string): boolean {
    return objectType !== 'file';
  }
  update(objectType: string, id: string, body: object): Promise<void> {
    const current = this.table(objectType).get(id);
    if (!current) return Promise.reject(new Error(`${objectType} ${id} is gone`));
    const patch = body as ApiRecord;
    const custom = { ...((current.custom_fields as ApiRecord | undefined) ?? {}), ...((patch.custom_fields as ApiRecord | undefined) ?? {}) };
    this.table(objectType).set(id, { ...current, ...patch, custom_fields: custom });
    this.updates.push({ objectType, id });
    return Promise.resolve();
  }
  /** Ids asked about by presence checks, one array per check. */
  presenceChecks: string[][] = [];
  liveRecords(entity: TargetEntity, ids: string[]): Promise<{ records: Map<string, ApiRecord>; tokens: number }> {
    this.presenceChecks.push([...ids]);
    const records = new Map(ids.flatMap((id) => (this.table(entity).has(id) ? [[id, structuredClone(this.table(entity).get(id)!)] as const] : [])));
    return Promise.resolve({ records, tokens: 10 * Math.ceil(ids.length / 100) });
  }
  read(entity: TargetEntity, id: string): Promise<ApiRecord | undefined> {
    const r = this.table(entity).get(id);
    return Promise.resolve(r ? structuredClone(r) : undefined);
  }
  delete(objectType: string, id: string): Promise<'deleted' | 'not_found'> {
    this.deletes.push({ objectType, id });
    return Promise.resolve(this.table(objectType).delete(id) ? 'deleted' : 'not_found');
  }
  async *recover(entity: TargetEntity, _q: RecoveryQuery): AsyncGenerator<RecoveryPage> {
    await Promise.resolve();
    yield { tokens: 10, candidates: this.live(entity).map((record) => ({ id: String(record.id), record })), checkWrittenSince: true };
  }
  attachDealProducts(): Promise<ApiRecord[]> {
    return Promise.reject(new Error('not used'));
  }
  attachDealProduct(): Promise<{ id: number }> {
    return Promise.reject(new Error('not used'));
  }
  accountProducts(): Promise<Map<string, number>> {
    return Promise.resolve(new Map());
  }
  parentDelete() {
    return undefined;
  }
}

export function world() {
  const audit = new FakeAuditLog();
  const ledger = new FakeLedger(audit);
  const account = new FakeAccount();
  const staging = new FakeStaging();
  return { audit, ledger, account, staging, fieldKeys };
}

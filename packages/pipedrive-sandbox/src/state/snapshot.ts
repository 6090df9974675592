import { accountTables, AccountState, type Company } from './account';

export const SNAPSHOT_FORMAT = 'pipedrive-sandbox-state/1';

export interface SnapshotMeta {
  format: typeof SNAPSHOT_FORMAT;
  company: Company;
  keySeed: number | null;
  nextOptionId: number;
  fieldKeySequence: number;
  nextIds: Record<string, number>;
  /** Token spending, so a restarted rehearsal keeps the day's budget (set by the caller). */
  budget?: { dayStartedAtMs: number; spentTokens: number };
}

export type SnapshotEntry = { kind: 'row'; table: string; row: { id: number } } | { kind: 'fileContent'; id: number; base64: string };

export function snapshotMeta(state: AccountState): SnapshotMeta {
  return {
    format: SNAPSHOT_FORMAT,
    company: state.company,
    keySeed: state.keySeed ?? null,
    nextOptionId: state.nextOptionId,
    fieldKeySequence: state.fieldKeySequence,
    nextIds: Object.fromEntries(accountTables(state).map(([name, table]) => [name, table.nextId])),
  };
}

/** Every stored record (soft-deleted ones too: they are part of the account for 30 days) and every file's bytes. */
export function* snapshotEntries(state: AccountState): Generator<SnapshotEntry> {
  for (const [table, rows] of accountTables(state)) for (const row of rows.scan()) yield { kind: 'row', table, row };
  for (const [id, bytes] of state.fileContents) yield { kind: 'fileContent', id, base64: bytes.toString('base64') };
}

/** Rebuilds an account from a snapshot's meta and entries (in the order `snapshotEntries` wrote them). */
export function restoreAccount(meta: SnapshotMeta, entries: Iterable<SnapshotEntry>): AccountState {
  const format: string = meta.format;
  if (format !== SNAPSHOT_FORMAT) throw new Error(`unsupported sandbox state format "${format}" (expected ${SNAPSHOT_FORMAT})`);
  const state = new AccountState(meta.company, meta.keySeed ?? undefined);
  const tables = new Map(accountTables(state));
  for (const entry of entries) {
    if (entry.kind === 'fileContent') {
      state.fileContents.set(entry.id, Buffer.from(entry.base64, 'base64'));
      continue;
    }
    const table = tables.get(entry.table);
    if (!table) throw new Error(`unknown table "${entry.table}" in sandbox state`);
    table.restore(entry.row);
    state.afterInsert(table, entry.row);
  }
  for (const [name, table] of tables) table.ensureNextIdAtLeast(meta.nextIds[name] ?? 1);
  // A snapshot written while requests kept coming may hold options created after its counter was read.
  let maxOptionId = 0;
  for (const fields of Object.values(state.fields)) {
    for (const field of fields.scan())
      for (const option of field.options ?? []) if (typeof option.id === 'number') maxOptionId = Math.max(maxOptionId, option.id);
  }
  state.nextOptionId = Math.max(meta.nextOptionId, maxOptionId + 1);
  state.fieldKeySequence = meta.fieldKeySequence;
  return state;
}

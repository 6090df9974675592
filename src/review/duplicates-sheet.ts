/**
 * The mapping workbook's Duplicates sheet: one row per probable duplicate pair of the Data Quality Report (Dentrix
 * ids and why they match, never names or birth dates), with a decision ops make per pair: keep_both (the default)
 * or merge, and which chart survives. Importing turns the rows back into the map version's merges, or into row
 * errors, all or nothing. Pure: the files are workbook.ts's.
 */
import type { DuplicatePair } from '../audit/report';
import { mergeProblems, type DuplicateMerges } from '../mapping';

export const DUPLICATES_SHEET = 'Duplicates';
export const DUPLICATE_DECISIONS = ['keep_both', 'merge'] as const;

export const DUPLICATE_COLUMNS = [
  { key: 'patient_id', width: 12, help: 'The later chart of the pair (Dentrix patient id): the probable duplicate.', editable: 'no' },
  { key: 'duplicate_of_patient_id', width: 22, help: 'The earliest chart of its group (Dentrix patient id): the probable original.', editable: 'no' },
  { key: 'matched', width: 34, help: 'Why the Data Quality Report pairs them: name and birth date, plus email, phone or address.', editable: 'no (ignored)' },
  { key: 'decision', width: 12, help: 'keep_both (the default): two Persons. merge: one Person, the survivor, with both histories.', editable: 'yes' },
  {
    key: 'survivor',
    width: 12,
    help: "merge only: the patient id that stays a Person (default: duplicate_of_patient_id). The other chart's history attaches to it.",
    editable: 'yes',
  },
] as const;
export type DuplicateColumn = (typeof DUPLICATE_COLUMNS)[number]['key'];
export const DUPLICATE_HEADERS: readonly DuplicateColumn[] = DUPLICATE_COLUMNS.map((c) => c.key);
export type DuplicateSheetRow = Record<DuplicateColumn, string>;

export interface DuplicateRowError {
  /** The sheet's row (header = 1); null for the sheet as a whole. */
  row: number | null;
  column: DuplicateColumn | null;
  /** Names rows, columns and Dentrix ids, never a source value. */
  message: string;
}

export function formatDuplicateRowError(e: DuplicateRowError): string {
  return `${DUPLICATES_SHEET} ${[e.row === null ? 'sheet' : `row ${e.row}`, e.column].filter(Boolean).join(' ')}: ${e.message}`;
}

/** The sheet's rows: every pair the report lists, with the decision the map version holds (keep_both unless merged). */
export function duplicateRows(pairs: readonly DuplicatePair[], merges: DuplicateMerges): DuplicateSheetRow[] {
  return pairs.map((p) => {
    const merged = merges.merge.find((m) => samePair(m, p));
    return {
      patient_id: String(p.patientId),
      duplicate_of_patient_id: String(p.duplicateOfPatientId),
      matched: p.matched.join(', '),
      decision: merged ? 'merge' : 'keep_both',
      survivor: merged ? String(merged.survivor) : '',
    };
  });
}

export type DuplicateImport = { ok: true; merges: DuplicateMerges } | { ok: false; errors: DuplicateRowError[] };

/**
 * Edited rows → the merges, checked against the report's pairs: every row must be a pair the report lists (once), a
 * decision keep_both or merge (empty: keep_both), a survivor one of the pair; and the merges together must not put a
 * patient in two merges or make a chain. Every problem is reported, naming its row.
 */
export function importDuplicateRows(rows: readonly { row: number; cells: DuplicateSheetRow }[], pairs: readonly DuplicatePair[]): DuplicateImport {
  const errors: DuplicateRowError[] = [];
  const known = new Set(pairs.map((p) => pairKey(p.patientId, p.duplicateOfPatientId)));
  const seen = new Map<string, number>();
  const merges: { row: number; survivor: number; duplicate: number }[] = [];
  for (const { row, cells } of rows) {
    const patientId = idOf(cells.patient_id);
    const originalId = idOf(cells.duplicate_of_patient_id);
    if (patientId === undefined || originalId === undefined) {
      errors.push({
        row,
        column: patientId === undefined ? 'patient_id' : 'duplicate_of_patient_id',
        message: 'not a Dentrix patient id (a whole number): rows of this sheet must not be added or edited, only decided',
      });
      continue;
    }
    const key = pairKey(patientId, originalId);
    if (!known.has(key)) {
      errors.push({ row, column: 'patient_id', message: `patients ${patientId} and ${originalId} are not a pair of the Data Quality Report` });
      continue;
    }
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      errors.push({ row, column: 'patient_id', message: `the pair ${patientId} / ${originalId} is already decided on row ${earlier}` });
      continue;
    }
    seen.set(key, row);
    const decision = cells.decision.trim().toLowerCase() || 'keep_both';
    if (!(DUPLICATE_DECISIONS as readonly string[]).includes(decision)) {
      errors.push({ row, column: 'decision', message: `"${cells.decision.trim()}" is not a decision: ${DUPLICATE_DECISIONS.join(' or ')}` });
      continue;
    }
    if (decision === 'keep_both') {
      if (cells.survivor.trim() !== '')
        errors.push({ row, column: 'survivor', message: 'a survivor is named but the decision is keep_both: set decision to merge' });
      continue;
    }
    const survivor = cells.survivor.trim() === '' ? originalId : idOf(cells.survivor);
    if (survivor !== patientId && survivor !== originalId) {
      errors.push({ row, column: 'survivor', message: `the survivor must be ${originalId} or ${patientId}, one of the pair` });
      continue;
    }
    merges.push({ row, survivor, duplicate: survivor === patientId ? originalId : patientId });
  }
  // Problems of the merges together: name the row that completes each one.
  for (const [i, m] of merges.entries()) {
    const problems = mergeProblems({ merge: merges.slice(0, i + 1).map(({ survivor, duplicate }) => ({ survivor, duplicate })) }).filter(
      (p) => !mergeProblems({ merge: merges.slice(0, i).map(({ survivor, duplicate }) => ({ survivor, duplicate })) }).includes(p),
    );
    for (const message of problems) errors.push({ row: m.row, column: 'decision', message });
  }
  if (errors.length > 0) return { ok: false, errors: [...errors].sort((a, b) => (a.row ?? 0) - (b.row ?? 0)) };
  return { ok: true, merges: { merge: merges.map(({ survivor, duplicate }) => ({ survivor, duplicate })) } };
}

function pairKey(a: number, b: number): string {
  return `${Math.min(a, b)}/${Math.max(a, b)}`;
}

function samePair(m: { survivor: number; duplicate: number }, p: DuplicatePair): boolean {
  return pairKey(m.survivor, m.duplicate) === pairKey(p.patientId, p.duplicateOfPatientId);
}

function idOf(text: string): number | undefined {
  const trimmed = text.trim();
  return /^[1-9]\d{0,14}$/u.test(trimmed) ? Number(trimmed) : undefined;
}

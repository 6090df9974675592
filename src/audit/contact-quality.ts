import { type CountryCode, parsePhoneNumberFromString, validatePhoneNumberLength } from 'libphonenumber-js';
import { isEmailAddress } from '../mapping/transforms/emails';
import type { DentrixTable } from '../dentrix/types';
import type { ContactColumnCounts, ContactProblem, ContactQuality } from './report';
import { forEachColumnValue, patientsWithoutEmailRows } from '../store/source-audit';
import { type AuditContext, keyList } from './sql';

/** Every column of the extract that holds an email address. */
export const EMAIL_COLUMNS: readonly { table: DentrixTable; column: string }[] = [
  { table: 'patient', column: 'email' },
  { table: 'provider', column: 'email' },
  { table: 'referral', column: 'email' },
];

/** Every column of the extract that holds a phone number as typed at the front desk. */
export const PHONE_COLUMNS: readonly { table: DentrixTable; column: string }[] = [
  { table: 'patient', column: 'mobile_phone' },
  { table: 'patient', column: 'home_phone' },
  { table: 'patient', column: 'work_phone' },
  { table: 'appt', column: 'patient_phone' },
  { table: 'employer', column: 'phone' },
  { table: 'referral', column: 'phone' },
  { table: 'inscarrier', column: 'phone' },
];

/** Phone problems that mean the text is not a phone number of the right shape at all. */
const MALFORMED_PHONE = new Set(['contains_letters', 'not_a_number', 'too_short', 'too_long', 'invalid_length', 'invalid_country']);
const NOT_VALID_PHONE = 'not_a_valid_number';
// An extension typed after the number is fine: libphonenumber reads `x12` and `ext. 12`.
const EXTENSION = /\s*(?:x|ext\.?|extension)\s*\d+\s*$/i;

/**
 * What is wrong with a phone number as typed, or null when libphonenumber accepts it as a valid number of the
 * region (or of the country its `+` prefix names).
 */
export function phoneProblem(raw: string, region: CountryCode): string | null {
  const text = raw.trim();
  if (text === '') return null;
  if (/[a-z]/i.test(text.replace(EXTENSION, ''))) return 'contains_letters';
  const lengthProblem = validatePhoneNumberLength(text, region);
  if (lengthProblem !== undefined) return lengthProblem.toLowerCase();
  const parsed = parsePhoneNumberFromString(text, region);
  if (!parsed) return 'not_a_number';
  if (!parsed.isPossible()) return 'invalid_length';
  return parsed.isValid() ? null : NOT_VALID_PHONE;
}

/**
 * What is wrong with an email field as typed: `invalid` when some address in it stays invalid after cleaning
 * (spaces removed, lower case), plus the cleanups it needs (`spaces`, `upper_case`, `several_addresses`).
 * An empty list means it moves as it is.
 */
export function emailProblems(raw: string): string[] {
  if (raw.trim() === '') return [];
  const problems: string[] = [];
  const parts = raw.split(/[;,]+/).filter((part) => part.trim() !== '');
  if (parts.length > 1) problems.push('several_addresses');
  if (parts.some((part) => /\s/.test(part.trim())) || raw !== raw.trim()) problems.push('spaces');
  if (raw !== raw.toLowerCase()) problems.push('upper_case');
  if (parts.some((part) => !isEmailAddress(part.replace(/\s+/g, '').toLowerCase()))) problems.unshift('invalid');
  return problems;
}

/** Streams one column's non-empty values and hands each to `check`. */
async function forEachValue(ctx: AuditContext, table: DentrixTable, column: string, check: (key: string, value: string) => void): Promise<void> {
  await forEachColumnValue(ctx.db, ctx, table, column, (rows) => {
    for (const row of rows) check(row.source_key, row.value);
  });
}

export async function contactQuality(ctx: AuditContext, phoneRegion: CountryCode): Promise<ContactQuality> {
  return {
    patientsWithoutEmail: await patientsWithoutEmail(ctx),
    emails: await emailQuality(ctx),
    phones: await phoneQuality(ctx, phoneRegion),
  };
}

async function patientsWithoutEmail(ctx: AuditContext): Promise<ContactQuality['patientsWithoutEmail']> {
  const { byStatus, keys } = await patientsWithoutEmailRows(ctx.db, ctx);
  const count = byStatus.reduce((sum, s) => sum + s.count, 0);
  return { ...keyList(count, keys), byStatus: Object.fromEntries(byStatus.map((s) => [statusName(s.status), s.count])) };
}

function statusName(status: string | null): string {
  return ({ '1': 'patient', '2': 'non_patient', '3': 'inactive', '4': 'archived' } as Record<string, string>)[status ?? ''] ?? `status_${status ?? 'missing'}`;
}

/** Collects problem items up to the list limit. */
class ProblemList {
  readonly items: ContactProblem[] = [];
  truncated = false;

  constructor(private readonly limit: number) {}

  add(item: ContactProblem): void {
    if (this.items.length < this.limit) this.items.push(item);
    else this.truncated = true;
  }
}

async function emailQuality(ctx: AuditContext): Promise<ContactQuality['emails']> {
  const list = new ProblemList(ctx.maxListed);
  const byColumn: ContactColumnCounts[] = [];
  for (const { table, column } of EMAIL_COLUMNS) {
    const counts: ContactColumnCounts = { table, column, checked: 0, invalid: 0, needsCleanup: 0 };
    await forEachValue(ctx, table, column, (key, value) => {
      counts.checked += 1;
      const problems = emailProblems(value);
      if (problems.length === 0) return;
      if (problems.includes('invalid')) counts.invalid += 1;
      else counts.needsCleanup! += 1;
      list.add({ table, key, column, problems });
    });
    byColumn.push(counts);
  }
  return {
    rule: 'zod email syntax after removing spaces and lower-casing; spaces, upper case and several addresses in one field are listed as cleanups',
    checked: byColumn.reduce((sum, c) => sum + c.checked, 0),
    invalid: byColumn.reduce((sum, c) => sum + c.invalid, 0),
    needsCleanup: byColumn.reduce((sum, c) => sum + (c.needsCleanup ?? 0), 0),
    byColumn,
    items: list.items,
    itemsTruncated: list.truncated,
  };
}

async function phoneQuality(ctx: AuditContext, region: CountryCode): Promise<ContactQuality['phones']> {
  // Malformed numbers are listed first and capped apart, so many numbers in unassigned ranges cannot crowd them out.
  const malformedList = new ProblemList(ctx.maxListed);
  const notValidList = new ProblemList(ctx.maxListed);
  const byColumn: ContactQuality['phones']['byColumn'] = [];
  for (const { table, column } of PHONE_COLUMNS) {
    const counts = { table, column, checked: 0, invalid: 0, malformed: 0, notValid: 0 };
    await forEachValue(ctx, table, column, (key, value) => {
      counts.checked += 1;
      const problem = phoneProblem(value, region);
      if (problem === null) return;
      counts.invalid += 1;
      if (MALFORMED_PHONE.has(problem)) {
        counts.malformed += 1;
        malformedList.add({ table, key, column, problems: [problem] });
      } else {
        counts.notValid += 1;
        notValidList.add({ table, key, column, problems: [problem] });
      }
    });
    byColumn.push(counts);
  }
  return {
    rule: 'libphonenumber-js: malformed = not a possible number (letters, too short, too long); not valid = possible but not a valid number (e.g. an area code not in service)',
    defaultRegion: region,
    checked: byColumn.reduce((sum, c) => sum + c.checked, 0),
    malformed: byColumn.reduce((sum, c) => sum + c.malformed, 0),
    notValid: byColumn.reduce((sum, c) => sum + c.notValid, 0),
    byColumn,
    items: [...malformedList.items, ...notValidList.items],
    itemsTruncated: malformedList.truncated || notValidList.truncated,
  };
}

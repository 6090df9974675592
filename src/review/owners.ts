/**
 * Owners: which Pipedrive user each Dentrix provider's records go to. A provider matches a user by e-mail
 * (case-insensitive) unless ops assign one in the workbook's Owners sheet (by e-mail or user id); a provider with
 * neither leaves its records on the fallback owner (PIPEDRIVE_FALLBACK_OWNER_ID, else the token's user). Pure: the
 * activities pass the account's users, the staged providers and the record counts.
 */
import { fetchPlan, providerMatchEmail, type FieldMap, type DriverPlan } from '../mapping';
import type { OwnersSummary } from '../workflows/messages';

/** An active user of the Pipedrive account (staff, not patients). */
export interface OwnerUser {
  id: number;
  name: string;
  email: string;
}

export interface OwnerProvider {
  providerId: string;
  name: string;
  email: string | null;
  inactive: boolean;
}

/** Ops' choice for one provider: its records are owned by this user. */
export interface OwnerAssignment {
  providerId: string;
  userId: number;
}

export interface OwnerMatch extends OwnerProvider {
  /** Records this provider would own (its share of every owner rule's records). */
  records: number;
  userId: number | null;
  matchedBy: 'assignment' | 'email' | null;
}

/** The owners report (`owners.json` in the store): what the Owners sheet shows and `map import` validates against. */
export interface OwnersReport {
  migrationId: string;
  fallbackOwnerId: number;
  users: OwnerUser[];
  providers: OwnerMatch[];
  /** Records whose provider column is empty or names no staged provider: the fallback owner's whatever ops assign. */
  recordsWithoutProvider: number;
}

/** At most this many unmatched providers are listed in the workflow's status (the report has them all). */
export const UNMATCHED_LISTED = 25;

/** Where a map's owner rules read the provider: one driving table and column per record kind. */
export interface OwnerRuleSource {
  ruleId: string;
  plan: DriverPlan;
  column: string;
}

/** The map's rules that set an owner from a provider (`ref` to a user with the provider prefix), with the rows they apply to. */
export function ownerRuleSources(map: FieldMap): OwnerRuleSource[] {
  const out: OwnerRuleSource[] = [];
  for (const rule of map.rules) {
    const { field, entity } = rule.target;
    if (field.kind !== 'standard' || field.name !== 'owner_id' || rule.transform.name !== 'ref') continue;
    if (rule.transform.params.prefix !== 'provider' || rule.source.kind !== 'columns') continue;
    const plan = fetchPlan(entity, { newPatientBooking: map.options.newPatientBooking }).find((p) => p.kind === rule.kind);
    if (!plan || plan.table !== rule.source.table) continue;
    out.push({ ruleId: rule.id, plan, column: rule.source.columns[0]! });
  }
  return out;
}

/**
 * Each provider's user: an assignment to a user of the account wins, then the e-mail match; neither leaves it
 * unmatched (its records go to the fallback owner).
 */
export function matchOwners(
  providers: readonly OwnerProvider[],
  users: readonly OwnerUser[],
  assignments: readonly OwnerAssignment[],
  recordsByProvider: ReadonlyMap<string, number>,
): OwnerMatch[] {
  const byEmail = new Map(users.map((u) => [u.email.trim().toLowerCase(), u]));
  const byId = new Map(users.map((u) => [u.id, u]));
  const assigned = new Map(assignments.map((a) => [a.providerId, a.userId]));
  return providers.map((p) => {
    const records = recordsByProvider.get(p.providerId) ?? 0;
    const assignedUser = byId.get(assigned.get(p.providerId) ?? Number.NaN);
    if (assignedUser) return { ...p, records, userId: assignedUser.id, matchedBy: 'assignment' };
    const email = providerMatchEmail(p);
    const user = email ? byEmail.get(email) : undefined;
    return user ? { ...p, records, userId: user.id, matchedBy: 'email' } : { ...p, records, userId: null, matchedBy: null };
  });
}

export function ownersSummary(matches: readonly OwnerMatch[], fallbackOwnerId: number, recordsWithoutProvider: number): OwnersSummary {
  const unmatched = matches
    .filter((m) => m.userId === null)
    .map((m) => ({ providerId: m.providerId, records: m.records }))
    .sort((a, b) => b.records - a.records || a.providerId.localeCompare(b.providerId));
  return {
    providers: matches.length,
    matched: matches.filter((m) => m.matchedBy === 'email').length,
    assigned: matches.filter((m) => m.matchedBy === 'assignment').length,
    unmatchedCount: unmatched.length,
    unmatched: unmatched.slice(0, UNMATCHED_LISTED),
    recordsOnFallback: unmatched.reduce((n, m) => n + m.records, 0) + recordsWithoutProvider,
    fallbackOwnerId,
  };
}

/** The user a cell of the Owners sheet names: a user id (digits) or an e-mail (case-insensitive); empty is no assignment. */
export function parseOwnerCell(value: string, users: readonly OwnerUser[]): { userId: number | null } | { error: string } {
  const text = value.trim();
  if (text === '') return { userId: null };
  if (/^\d+$/u.test(text)) {
    const user = users.find((u) => u.id === Number(text));
    return user ? { userId: user.id } : { error: `no active Pipedrive user has id ${text}` };
  }
  if (text.includes('@')) {
    const user = users.find((u) => u.email.trim().toLowerCase() === text.toLowerCase());
    return user ? { userId: user.id } : { error: `no active Pipedrive user has the e-mail "${text}"` };
  }
  return { error: `"${text}" is neither a Pipedrive user id nor an e-mail` };
}

/** One row of an edited Owners sheet: its row number, the provider, and the user ops assign (e-mail, id, or empty). */
export interface OwnerSheetRow {
  row: number;
  providerId: string;
  assign: string;
}

/**
 * The assignments of an edited Owners sheet, validated against the account's users and the staged providers, or
 * every row error (each naming its row and provider).
 */
export function validateOwnerRows(
  rows: readonly OwnerSheetRow[],
  providerIds: readonly string[],
  users: readonly OwnerUser[],
): { assignments: OwnerAssignment[]; errors: string[] } {
  const known = new Set(providerIds);
  const seen = new Set<string>();
  const assignments: OwnerAssignment[] = [];
  const errors: string[] = [];
  for (const r of rows) {
    const providerId = r.providerId.trim();
    const where = `Owners row ${r.row}${providerId ? ` (provider ${providerId})` : ''}`;
    if (!known.has(providerId)) {
      errors.push(`${where}: ${providerId ? 'no such provider in the staged extract' : 'provider_id is empty'}`);
      continue;
    }
    if (seen.has(providerId)) {
      errors.push(`${where}: the provider is listed twice`);
      continue;
    }
    seen.add(providerId);
    const parsed = parseOwnerCell(r.assign, users);
    if ('error' in parsed) errors.push(`${where}: assign_user: ${parsed.error}`);
    else if (parsed.userId !== null) assignments.push({ providerId, userId: parsed.userId });
  }
  return { assignments, errors };
}

/** The assignments stored with a map version (`{ map, phi, owners }`), or none. */
export function ownerAssignmentsOf(document: { owners?: unknown } | undefined): OwnerAssignment[] {
  const owners = document?.owners as { assign?: unknown } | undefined;
  if (!Array.isArray(owners?.assign)) return [];
  return owners.assign.filter(
    (a): a is OwnerAssignment => typeof a === 'object' && a !== null && typeof a.providerId === 'string' && Number.isInteger(a.userId),
  );
}

/** The `owners` part of a stored map version's document (nothing when there are no assignments). */
export function ownersDocument(assignments: readonly OwnerAssignment[]): { owners?: { assign: OwnerAssignment[] } } {
  return assignments.length > 0 ? { owners: { assign: [...assignments] } } : {};
}

export function sameAssignments(a: readonly OwnerAssignment[], b: readonly OwnerAssignment[]): boolean {
  const key = (x: readonly OwnerAssignment[]) =>
    JSON.stringify([...x].map((o) => [o.providerId, o.userId]).sort((p, q) => String(p[0]).localeCompare(String(q[0]))));
  return key(a) === key(b);
}

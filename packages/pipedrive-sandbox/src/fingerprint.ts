import { createHash } from 'node:crypto';
import { accountTables, type AccountState } from './state/account';

/**
 * Keys left out of the fingerprint. Rollback must be able to prove the account is back to its pre-migration
 * state: deleting what a migration created and restoring before-images of what it changed returns every record's
 * content, but the server restamps these on every write (and stamps creation times from the clock), so including
 * them would make a perfect rollback look different. They describe when requests ran, not what the account holds.
 */
const SERVER_STAMPED_KEYS = new Set(['add_time', 'update_time', 'stage_change_time', 'marked_as_done_time', 'last_update_user_id', 'created', 'modified']);

/**
 * SHA-256 over the live account: the company, users, activity types, pipelines, stages, fields with their options,
 * and every non-deleted record of every entity with all its fields (file records carry their content's hash).
 * Canonical JSON (sorted keys) and id order make it independent of the order records and keys were written in.
 * Soft-deleted records are excluded: after a rollback they are the migration's leftovers, not account content.
 */
export function accountFingerprint(state: AccountState): string {
  const hash = createHash('sha256');
  hash.update(canonicalJson(state.company));
  for (const [name, table] of accountTables(state)) {
    hash.update(`\n#${name}\n`);
    for (const row of table.live()) {
      hash.update(canonicalJson(row));
      hash.update('\n');
    }
  }
  return hash.digest('hex');
}

/** Tables that make up the account's schema and set-up rather than its records. */
const SCHEMA_TABLES = new Set([
  'users',
  'activityTypes',
  'pipelines',
  'stages',
  'personFields',
  'organizationFields',
  'dealFields',
  'productFields',
  'activityFields',
]);

/**
 * SHA-256 over the live records only (organizations, persons, deals, products, deal products, activities, notes,
 * files, relationships), schema left out: after a sample rollback, which keeps the schema for the re-run, this equals
 * the pre-migration one.
 */
export function recordsFingerprint(state: AccountState): string {
  const hash = createHash('sha256');
  for (const [name, table] of accountTables(state)) {
    if (SCHEMA_TABLES.has(name)) continue;
    hash.update(`\n#${name}\n`);
    for (const row of table.live()) {
      hash.update(canonicalJson(row));
      hash.update('\n');
    }
  }
  return hash.digest('hex');
}

/** JSON with object keys sorted at every level, server-stamped keys dropped and unset (null) custom fields omitted. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([key, v]) => v !== undefined && !SERVER_STAMPED_KEYS.has(key))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, v]) => `${JSON.stringify(key)}:${key === 'custom_fields' ? canonicalCustomFields(v) : canonicalJson(v)}`).join(',')}}`;
}

function canonicalCustomFields(values: unknown): string {
  if (values === null || typeof values !== 'object') return canonicalJson(values);
  const set = Object.fromEntries(Object.entries(values as Record<string, unknown>).filter(([, v]) => v !== null && v !== undefined));
  return canonicalJson(set);
}

import { type Pool } from 'pg';
import { sql, type Selectable, type Updateable } from 'kysely';
import { storeDb } from './db';
import type { MigrationRuns } from './generated/db';

import type { ExtractSourceSpec } from '../dentrix/extract-reader';

/** Where a migration reads from: kept in the store, never in Temporal (a connection string may hold a password). */
export type SourceSpec = ExtractSourceSpec;

export interface MigrationRun {
  migrationId: string;
  practiceName: string | null;
  timezone: string | null;
  /** ISO 4217 code of the practice (the manifest's `practice.currency`), recorded by EXTRACT. */
  currency: string | null;
  source: SourceSpec;
  pipedriveBaseUrl: string;
  /** `host#company_id` of the account, recorded before the first write; every later write checks the token still answers for it. */
  pipedriveAccount: string | null;
  phase: string;
  options: Record<string, unknown>;
  fingerprintBefore: string | null;
  fingerprintAfter: string | null;
}

type RunRow = Selectable<MigrationRuns>;

/**
 * Every column of migration_runs and the MigrationRun field it comes back as (null: bookkeeping only). A column a
 * migration adds is a compile error here until it is read back (the currency was once written and dropped).
 */
export const RUN_COLUMNS: { readonly [C in keyof RunRow]-?: keyof MigrationRun | null } = {
  migration_id: 'migrationId',
  practice_name: 'practiceName',
  timezone: 'timezone',
  currency: 'currency',
  source: 'source',
  pipedrive_base_url: 'pipedriveBaseUrl',
  pipedrive_account: 'pipedriveAccount',
  phase: 'phase',
  options: 'options',
  fingerprint_before: 'fingerprintBefore',
  fingerprint_after: 'fingerprintAfter',
  created_at: null,
  updated_at: null,
};

export function toRun(r: RunRow): MigrationRun {
  return {
    migrationId: r.migration_id,
    practiceName: r.practice_name,
    timezone: r.timezone,
    currency: r.currency,
    source: r.source as unknown as SourceSpec,
    pipedriveBaseUrl: r.pipedrive_base_url,
    pipedriveAccount: r.pipedrive_account,
    phase: r.phase,
    options: r.options as Record<string, unknown>,
    fingerprintBefore: r.fingerprint_before,
    fingerprintAfter: r.fingerprint_after,
  };
}

export class UnknownMigrationError extends Error {
  override readonly name = 'UnknownMigrationError';
  constructor(readonly migrationId: string) {
    super(`No migration "${migrationId}" in the store: start it with "starter start" first`);
  }
}

/** Registers a migration; one already in the store is returned unchanged (its source and account are fixed). */
export async function registerRun(
  pool: Pool,
  run: { migrationId: string; practiceName?: string; timezone?: string; source: SourceSpec; pipedriveBaseUrl: string; options?: object },
): Promise<MigrationRun> {
  const row = await storeDb(pool)
    .insertInto('migration_runs')
    .values({
      migration_id: run.migrationId,
      practice_name: run.practiceName ?? null,
      timezone: run.timezone ?? null,
      source: json(run.source),
      pipedrive_base_url: run.pipedriveBaseUrl,
      options: json(run.options ?? {}),
    })
    .onConflict((oc) => oc.column('migration_id').doNothing())
    .returningAll()
    .executeTakeFirst();
  return row ? toRun(row) : getRun(pool, run.migrationId);
}

/**
 * Points a migration that has never written at another source or account (a restart after a failed extract, say).
 * Refused by the WHERE clause once the account is recorded or a fingerprint taken: returns false then.
 */
export async function repointUnwrittenRun(
  pool: Pool,
  migrationId: string,
  to: { source: SourceSpec; pipedriveBaseUrl: string; options: object },
): Promise<boolean> {
  const result = await storeDb(pool)
    .updateTable('migration_runs')
    .set({ source: json(to.source), pipedrive_base_url: to.pipedriveBaseUrl, options: json(to.options), updated_at: sql`now()` })
    .where('migration_id', '=', migrationId)
    .where('pipedrive_account', 'is', null)
    .where('fingerprint_before', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** A restart with the same source and account may bring new options (batch size, concurrency…). */
export async function setRunOptions(pool: Pool, migrationId: string, options: object): Promise<void> {
  await updateRun(pool, migrationId, { options: json(options) });
}

/** The delta window's newer extract of the same practice (`starter source`). */
export async function setRunSource(pool: Pool, migrationId: string, source: SourceSpec): Promise<void> {
  await updateRun(pool, migrationId, { source: json(source) });
}

export async function getRun(pool: Pool, migrationId: string): Promise<MigrationRun> {
  const run = await findRun(pool, migrationId);
  if (!run) throw new UnknownMigrationError(migrationId);
  return run;
}

export async function findRun(pool: Pool, migrationId: string): Promise<MigrationRun | undefined> {
  const row = await storeDb(pool).selectFrom('migration_runs').selectAll().where('migration_id', '=', migrationId).executeTakeFirst();
  return row ? toRun(row) : undefined;
}

export async function setRunPhase(pool: Pool, migrationId: string, phase: string): Promise<void> {
  await updateRun(pool, migrationId, { phase });
}

/** What EXTRACT read from the manifest about the practice: its name, time zone and currency. */
export async function recordPractice(pool: Pool, migrationId: string, practice: { name: string; timezone: string; currency: string }): Promise<void> {
  await updateRun(pool, migrationId, { practice_name: practice.name, timezone: practice.timezone, currency: practice.currency });
}

export async function setRunPractice(pool: Pool, migrationId: string, practiceName: string, timezone: string): Promise<void> {
  await updateRun(pool, migrationId, { practice_name: practiceName, timezone });
}

/**
 * The Pipedrive account a migration writes to, as `host#company_id`: the company id tells accounts apart behind one
 * API host, the host tells sandboxes apart (they all share the seeded company id).
 */
export function pipedriveAccountId(baseUrl: string, companyId: number): string {
  return `${new URL(baseUrl).host}#${companyId}`;
}

/**
 * Records the account once. Returns the account on record afterwards: another one than `account` means the token now
 * answers for a different company than the migration's, and the caller must refuse.
 */
export async function setRunAccount(pool: Pool, migrationId: string, account: string): Promise<string> {
  const row = await storeDb(pool)
    .updateTable('migration_runs')
    .set((eb) => ({ pipedrive_account: eb.fn.coalesce('pipedrive_account', eb.val(account)), updated_at: sql`now()` }))
    .where('migration_id', '=', migrationId)
    .returning('pipedrive_account')
    .executeTakeFirstOrThrow();
  return row.pipedrive_account!;
}

/** The fingerprint before the first write is taken once: a retried activity must not overwrite it. */
export async function recordFingerprint(
  pool: Pool,
  migrationId: string,
  label: 'before_first_write' | 'after_rollback' | 'at_end',
  fingerprint: string,
): Promise<string> {
  if (label === 'before_first_write') {
    const row = await storeDb(pool)
      .updateTable('migration_runs')
      .set((eb) => ({ fingerprint_before: eb.fn.coalesce('fingerprint_before', eb.val(fingerprint)), updated_at: sql`now()` }))
      .where('migration_id', '=', migrationId)
      .returning('fingerprint_before')
      .executeTakeFirstOrThrow();
    return row.fingerprint_before!;
  }
  await updateRun(pool, migrationId, { fingerprint_after: fingerprint });
  return fingerprint;
}

/** Sets columns of one run and its updated_at. */
async function updateRun(pool: Pool, migrationId: string, set: Omit<Updateable<MigrationRuns>, 'migration_id' | 'updated_at'>): Promise<void> {
  await storeDb(pool)
    .updateTable('migration_runs')
    .set({ ...set, updated_at: sql`now()` })
    .where('migration_id', '=', migrationId)
    .execute();
}

/** A jsonb value as pg sends a plain object (JSON text): arrays would otherwise go as PostgreSQL arrays. */
function json(value: object): string {
  return JSON.stringify(value);
}

/**
 * Writers hold this shared lock around each batch; rollback takes it exclusively to flip the phase, so once a
 * rollback has begun no batch can still be writing or start writing.
 */
export function writeLockKey(migrationId: string): string {
  return `dtx2pd-writes:${migrationId}`;
}

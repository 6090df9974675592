import { type Pool } from 'pg';

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

interface RunRow {
  migration_id: string;
  practice_name: string | null;
  timezone: string | null;
  currency: string | null;
  source: SourceSpec;
  pipedrive_base_url: string;
  pipedrive_account: string | null;
  phase: string;
  options: Record<string, unknown>;
  fingerprint_before: string | null;
  fingerprint_after: string | null;
}

function toRun(r: RunRow): MigrationRun {
  return {
    migrationId: r.migration_id,
    practiceName: r.practice_name,
    timezone: r.timezone,
    currency: r.currency,
    source: r.source,
    pipedriveBaseUrl: r.pipedrive_base_url,
    pipedriveAccount: r.pipedrive_account,
    phase: r.phase,
    options: r.options,
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
  const { rows } = await pool.query<RunRow>(
    `INSERT INTO migration_runs (migration_id, practice_name, timezone, source, pipedrive_base_url, options)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (migration_id) DO NOTHING
     RETURNING *`,
    [run.migrationId, run.practiceName ?? null, run.timezone ?? null, run.source, run.pipedriveBaseUrl, run.options ?? {}],
  );
  return rows[0] ? toRun(rows[0]) : getRun(pool, run.migrationId);
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
  const { rowCount } = await pool.query(
    `UPDATE migration_runs SET source = $2, pipedrive_base_url = $3, options = $4, updated_at = now()
     WHERE migration_id = $1 AND pipedrive_account IS NULL AND fingerprint_before IS NULL`,
    [migrationId, to.source, to.pipedriveBaseUrl, to.options],
  );
  return rowCount === 1;
}

/** A restart with the same source and account may bring new options (batch size, concurrency…). */
export async function setRunOptions(pool: Pool, migrationId: string, options: object): Promise<void> {
  await pool.query('UPDATE migration_runs SET options = $2, updated_at = now() WHERE migration_id = $1', [migrationId, options]);
}

/** The delta window's newer extract of the same practice (`starter source`). */
export async function setRunSource(pool: Pool, migrationId: string, source: SourceSpec): Promise<void> {
  await pool.query('UPDATE migration_runs SET source = $2, updated_at = now() WHERE migration_id = $1', [migrationId, source]);
}

export async function getRun(pool: Pool, migrationId: string): Promise<MigrationRun> {
  const { rows } = await pool.query<RunRow>('SELECT * FROM migration_runs WHERE migration_id = $1', [migrationId]);
  if (!rows[0]) throw new UnknownMigrationError(migrationId);
  return toRun(rows[0]);
}

export async function findRun(pool: Pool, migrationId: string): Promise<MigrationRun | undefined> {
  const { rows } = await pool.query<RunRow>('SELECT * FROM migration_runs WHERE migration_id = $1', [migrationId]);
  return rows[0] ? toRun(rows[0]) : undefined;
}

export async function setRunPhase(pool: Pool, migrationId: string, phase: string): Promise<void> {
  await pool.query('UPDATE migration_runs SET phase = $2, updated_at = now() WHERE migration_id = $1', [migrationId, phase]);
}

/** What EXTRACT read from the manifest about the practice: its name, time zone and currency. */
export async function recordPractice(pool: Pool, migrationId: string, practice: { name: string; timezone: string; currency: string }): Promise<void> {
  await pool.query('UPDATE migration_runs SET practice_name = $2, timezone = $3, currency = $4, updated_at = now() WHERE migration_id = $1', [
    migrationId,
    practice.name,
    practice.timezone,
    practice.currency,
  ]);
}

export async function setRunPractice(pool: Pool, migrationId: string, practiceName: string, timezone: string): Promise<void> {
  await pool.query(
    'UPDATE migration_runs SET practice_name = $2, timezone = $3, updated_at = now() WHERE migration_id = $1',
    [migrationId, practiceName, timezone],
  );
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
  const { rows } = await pool.query<{ pipedrive_account: string }>(
    `UPDATE migration_runs SET pipedrive_account = COALESCE(pipedrive_account, $2), updated_at = now()
     WHERE migration_id = $1 RETURNING pipedrive_account`,
    [migrationId, account],
  );
  return rows[0]!.pipedrive_account;
}

/** The fingerprint before the first write is taken once: a retried activity must not overwrite it. */
export async function recordFingerprint(
  pool: Pool,
  migrationId: string,
  label: 'before_first_write' | 'after_rollback' | 'at_end',
  fingerprint: string,
): Promise<string> {
  if (label === 'before_first_write') {
    const { rows } = await pool.query<{ fingerprint_before: string }>(
      `UPDATE migration_runs SET fingerprint_before = COALESCE(fingerprint_before, $2), updated_at = now()
       WHERE migration_id = $1 RETURNING fingerprint_before`,
      [migrationId, fingerprint],
    );
    return rows[0]!.fingerprint_before;
  }
  await pool.query('UPDATE migration_runs SET fingerprint_after = $2, updated_at = now() WHERE migration_id = $1', [
    migrationId,
    fingerprint,
  ]);
  return fingerprint;
}

/**
 * Writers hold this shared lock around each batch; rollback takes it exclusively to flip the phase, so once a
 * rollback has begun no batch can still be writing or start writing.
 */
export function writeLockKey(migrationId: string): string {
  return `dtx2pd-writes:${migrationId}`;
}

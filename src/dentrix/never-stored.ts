/**
 * Values that never migrate are never stored (DESIGN §5.11). Every staged row passes through `NeverStoredScrubber`
 * before it reaches PostgreSQL, whichever reader produced it (extract folder, SQL mirror) and whichever path staged
 * it (EXTRACT, a delta poll): a never-migrate value is replaced by a keyed hash, `ssn-hmac:<HMAC-SHA256>`, under a
 * random key kept per migration in the store (phi_hash_keys, deleted by a purge). The hash still says that a row
 * has a value (the Data Quality Report counts them), lets equal values be matched within one migration, and keeps
 * the column's SSN shape visible to the map proposer; without the key it cannot be brute-forced from the 10^9
 * possible SSNs, as a plain hash could.
 *
 * What never migrates: the contract columns the default map classifies `never` (patient.ssn; a unit test keeps the
 * two lists equal), and practice-specific columns (`extra`) whose name says SSN, as the proposer reads names
 * (social, socsec, sin...), or whose values are shaped like SSNs.
 */
import { createHmac } from 'node:crypto';
import { nameTokens } from '../review/names';
import type { DentrixTable } from './types';

/** Contract columns whose values never migrate, per table. */
export const NEVER_STORED_COLUMNS: Readonly<Partial<Record<DentrixTable, readonly string[]>>> = { patient: ['ssn'] };

/** The shape of an SSN as written (999-99-9999). */
export const SSN_SHAPE = /^\d{3}-\d{2}-\d{4}$/u;

/** What a never-migrate value is stored as: this prefix and the base64url HMAC-SHA256 of the value. */
export const NEVER_STORED_TOKEN_PREFIX = 'ssn-hmac:';
const TOKEN = /^ssn-hmac:[A-Za-z0-9_-]{43}$/u;

/** True for a value staging stored in place of a never-migrate value. */
export function isNeverStoredToken(value: string): boolean {
  return TOKEN.test(value);
}

/** A practice-specific column whose name says it holds SSNs, as the proposer reads names (review/phi-class.ts). */
export function isNeverStoredColumnName(column: string): boolean {
  return nameTokens(column).includes('ssn');
}

export interface ScrubbedRow {
  /** The row as it is stored: never-migrate values replaced by their keyed hash. */
  stored: Record<string, unknown>;
  /**
   * The row as its content hash sees it: never-migrate values left out (null), so the hash does not depend on the
   * migration's key (the same source stages to the same hashes) and cannot be tested against guessed values.
   */
  hashed: Record<string, unknown>;
}

export class NeverStoredScrubber {
  constructor(private readonly key: Buffer) {}

  /** The row without its never-migrate values; the input row itself when it has none (the common case). */
  scrub(table: DentrixTable, row: Record<string, unknown>): ScrubbedRow {
    let stored = row;
    let hashed = row;
    for (const column of NEVER_STORED_COLUMNS[table] ?? []) {
      const value = row[column];
      if (value === null || value === undefined || value === '') continue;
      if (stored === row) {
        stored = { ...row };
        hashed = { ...row };
      }
      stored[column] = this.token(value);
      hashed[column] = null;
    }
    const extra = row.extra;
    if (typeof extra === 'object' && extra !== null) {
      let storedExtra: Record<string, unknown> | undefined;
      let hashedExtra: Record<string, unknown> | undefined;
      for (const [column, value] of Object.entries(extra as Record<string, unknown>)) {
        if (typeof value !== 'string' || value.trim() === '') continue;
        if (!isNeverStoredColumnName(column) && !SSN_SHAPE.test(value.trim())) continue;
        storedExtra ??= { ...(extra as Record<string, unknown>) };
        hashedExtra ??= { ...(extra as Record<string, unknown>) };
        storedExtra[column] = this.token(value);
        hashedExtra[column] = null;
      }
      if (storedExtra && hashedExtra) {
        stored = { ...stored, extra: storedExtra };
        hashed = { ...hashed, extra: hashedExtra };
      }
    }
    return { stored, hashed };
  }

  /** The keyed hash of a value; an SSN hashes the same with or without its dashes. */
  token(value: unknown): string {
    const text = String(value).trim();
    const digits = text.replace(/[\s-]/gu, '');
    const normalised = /^\d{9}$/u.test(digits) ? digits : text;
    return NEVER_STORED_TOKEN_PREFIX + createHmac('sha256', this.key).update(normalised).digest('base64url');
  }
}

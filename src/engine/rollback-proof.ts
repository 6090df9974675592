/**
 * Pure parts of a rollback's proof: comparing a restored record with its before-image, and the verdict. Reports hold
 * counts, ids, object types and field keys only, never values (the records are patients').
 */

/** Every created record of one type the ledger says the rollback deleted, checked against the account. */
export interface PresenceCheck {
  objectType: string;
  /** Ledger ids checked. */
  checked: number;
  /** Ledger ids the account still holds live: each one is a failed check. */
  stillPresent: string[];
  /**
   * How the type was read: `list-ids` (v2 lists with `ids=`), `list-all` (an account listing), `list-deal-products`,
   * `get-each`, `list-fields`; `list-all+get-each` when a listing was given up for reads by id.
   */
  method: string;
  requests: number;
}

/** Every before-image the rollback put back, re-read and compared field by field. */
export interface RestoreCheck {
  objectType: string;
  checked: number;
  /** Records whose read-back differs, with the keys that differ (`custom_fields.<key>` for custom fields). */
  mismatched: { pipedriveId: string; fields: string[] }[];
  /** Records the account no longer has (a restored record must exist). */
  missing: string[];
  /** Before-images not yet marked restored. */
  notRestored: string[];
  requests: number;
}

export interface RollbackChecks {
  deleted: PresenceCheck[];
  restored: RestoreCheck[];
  /** Spec token cost of the reads the checks made. */
  tokens: number;
}

export function checksPassed(checks: RollbackChecks): boolean {
  return (
    checks.deleted.every((c) => c.stillPresent.length === 0) &&
    checks.restored.every((c) => c.mismatched.length === 0 && c.missing.length === 0 && c.notRestored.length === 0)
  );
}

function canonical(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
}

/**
 * Keys of the before-image whose value the read-back (projected the same way: an update body) does not carry. Only
 * the before-image's keys count: they are what the restore wrote.
 */
export function restoreMismatches(expected: Record<string, unknown>, actual: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(expected)) {
    if (key === 'custom_fields' && value && typeof value === 'object' && !Array.isArray(value)) {
      const got = (actual.custom_fields ?? {}) as Record<string, unknown>;
      for (const [code, v] of Object.entries(value as Record<string, unknown>)) {
        if (canonical(v) !== canonical(got[code])) out.push(`custom_fields.${code}`);
      }
    } else if (canonical(value) !== canonical(actual[key])) {
      out.push(key);
    }
  }
  return out.sort();
}

/**
 * A before-image without the custom fields this migration created: the record had no value in a field that did not
 * exist yet, and a rollback deletes those fields, so writing (or comparing) them would only fail.
 */
export function withoutFields(body: Record<string, unknown>, fieldCodes: ReadonlySet<string>): Record<string, unknown> {
  const custom = body.custom_fields;
  if (!custom || typeof custom !== 'object' || Array.isArray(custom)) return body;
  const kept = Object.fromEntries(Object.entries(custom as Record<string, unknown>).filter(([code]) => !fieldCodes.has(code)));
  const { custom_fields: _dropped, ...rest } = body;
  return Object.keys(kept).length > 0 ? { ...rest, custom_fields: kept } : rest;
}

export interface ProofVerdict {
  proven: boolean;
  /** What the verdict rests on. */
  basis: ('ledger-empty' | 'created-ids-deleted' | 'restores-verified' | 'fingerprint-equal')[];
  /** Why not proven (empty when proven). */
  failures: string[];
  fingerprint: 'equal' | 'different' | 'no-before-fingerprint' | 'not-compared';
}

/**
 * Proven only when nothing is left in the ledger, every created id is confirmed gone, every restore is confirmed, and
 * (scope all, with a fingerprint taken before the first write) the fingerprints are equal. A missing before-fingerprint
 * never counts for the proof: the checks must carry it alone.
 */
export function proofVerdict(v: {
  scope: 'all' | 'sample';
  remaining: number;
  checks: RollbackChecks;
  fingerprintBefore?: string;
  fingerprintAfter?: string;
}): ProofVerdict {
  const basis: ProofVerdict['basis'] = [];
  const failures: string[] = [];
  if (v.remaining === 0) basis.push('ledger-empty');
  else failures.push(`${v.remaining} ledger rows still created or pending`);
  const present = v.checks.deleted.reduce((n, c) => n + c.stillPresent.length, 0);
  if (present === 0) basis.push('created-ids-deleted');
  else failures.push(`${present} created records still in the account`);
  const badRestores = v.checks.restored.reduce((n, c) => n + c.mismatched.length + c.missing.length + c.notRestored.length, 0);
  if (badRestores === 0) basis.push('restores-verified');
  else failures.push(`${badRestores} updated records not back to their before-image`);
  let fingerprint: ProofVerdict['fingerprint'] = 'not-compared';
  if (v.scope === 'all') {
    if (v.fingerprintBefore === undefined) fingerprint = 'no-before-fingerprint';
    else if (v.fingerprintAfter === v.fingerprintBefore) {
      fingerprint = 'equal';
      basis.push('fingerprint-equal');
    } else {
      fingerprint = 'different';
      failures.push('the account fingerprint differs from the one taken before the first write');
    }
  }
  return { proven: failures.length === 0, basis, failures, fingerprint };
}

/** Ids in groups of `size` (v2 lists take at most 100 `ids`). */
export function chunked<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

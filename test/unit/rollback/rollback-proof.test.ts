import { checksPassed, chunked, proofVerdict, restoreMismatches, withoutFields, type RollbackChecks } from '../../../src/engine/rollback-proof';

const clean = (): RollbackChecks => ({
  deleted: [{ objectType: 'person', checked: 3, stillPresent: [], method: 'list-ids', requests: 1 }],
  restored: [{ objectType: 'person', checked: 1, mismatched: [], missing: [], notRestored: [], requests: 1 }],
  tokens: 20,
});

describe('rollback proof verdict', () => {
  it('is proven when the ledger is empty, every check passes and the fingerprints are equal', () => {
    const v = proofVerdict({ scope: 'all', remaining: 0, checks: clean(), fingerprintBefore: 'a', fingerprintAfter: 'a' });
    expect(v).toEqual({
      proven: true,
      basis: ['ledger-empty', 'created-ids-deleted', 'restores-verified', 'fingerprint-equal'],
      failures: [],
      fingerprint: 'equal',
    });
  });

  it('does not count a missing before-fingerprint as evidence: the checks must carry the proof', () => {
    const v = proofVerdict({ scope: 'all', remaining: 0, checks: clean(), fingerprintAfter: 'x' });
    expect(v.fingerprint).toBe('no-before-fingerprint');
    expect(v.basis).not.toContain('fingerprint-equal');
    expect(v.proven).toBe(true);
    const failing = clean();
    failing.deleted[0]!.stillPresent = ['17'];
    const notProven = proofVerdict({ scope: 'all', remaining: 0, checks: failing, fingerprintAfter: 'x' });
    expect(notProven.proven).toBe(false);
    expect(notProven.failures).toEqual(['1 created records still in the account']);
  });

  it('fails on a record still present, a restore that reads back different, leftovers, or a different fingerprint', () => {
    const restoreBad = clean();
    restoreBad.restored[0]!.mismatched = [{ pipedriveId: '5', fields: ['name'] }];
    expect(checksPassed(restoreBad)).toBe(false);
    expect(proofVerdict({ scope: 'all', remaining: 0, checks: restoreBad, fingerprintBefore: 'a', fingerprintAfter: 'a' }).proven).toBe(false);
    const notRestored = clean();
    notRestored.restored[0]!.notRestored = ['5'];
    expect(checksPassed(notRestored)).toBe(false);
    expect(proofVerdict({ scope: 'all', remaining: 2, checks: clean(), fingerprintBefore: 'a', fingerprintAfter: 'a' }).failures).toEqual([
      '2 ledger rows still created or pending',
    ]);
    expect(proofVerdict({ scope: 'all', remaining: 0, checks: clean(), fingerprintBefore: 'a', fingerprintAfter: 'b' })).toMatchObject({
      proven: false,
      fingerprint: 'different',
    });
    // A sample rollback keeps the schema, so the fingerprint is not compared; the checks still decide.
    expect(proofVerdict({ scope: 'sample', remaining: 0, checks: clean() })).toMatchObject({ proven: true, fingerprint: 'not-compared' });
  });
});

describe('restore comparison', () => {
  it('names the keys of the before-image the read-back does not carry, custom fields by key, never values', () => {
    const expected = { name: 'A B', emails: [{ value: 'a@x', primary: true }], custom_fields: { abc: 'r1', def: null } };
    expect(restoreMismatches(expected, { name: 'A B', emails: [{ primary: true, value: 'a@x' }], custom_fields: { abc: 'r1' } })).toEqual([]);
    expect(restoreMismatches(expected, { name: 'A C', emails: [], custom_fields: { abc: 'r2', def: 'x' } })).toEqual([
      'custom_fields.abc',
      'custom_fields.def',
      'emails',
      'name',
    ]);
    // Keys only the read-back has are not the restore's business.
    expect(restoreMismatches({ name: 'A' }, { name: 'A', phones: [] })).toEqual([]);
  });

  it('drops custom fields the migration created from a before-image', () => {
    expect(withoutFields({ name: 'x', custom_fields: { ours: null, theirs: 'v' } }, new Set(['ours']))).toEqual({ name: 'x', custom_fields: { theirs: 'v' } });
    expect(withoutFields({ name: 'x', custom_fields: { ours: null } }, new Set(['ours']))).toEqual({ name: 'x' });
    expect(withoutFields({ name: 'x' }, new Set(['ours']))).toEqual({ name: 'x' });
  });

  it('chunks ids for v2 lists', () => {
    expect(chunked([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunked([], 100)).toEqual([]);
  });
});

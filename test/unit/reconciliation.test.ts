import { describeLinks } from '../../src/activities/link-reconciliation';
import { linkSummary, reconcileLinks, reconciledFields, type LinkObservation } from '../../src/activities/reconciliation';

const obs = (objectType: string, field: string, o: Partial<LinkObservation> & { records: number }): LinkObservation => ({
  objectType,
  field,
  expectedSet: true,
  actualSet: true,
  matched: true,
  expectedFallback: false,
  actualKnownUser: true,
  ...o,
});

describe('link and owner reconciliation (pure)', () => {
  it('counts expected, present, correct, missing, wrong and unexpected links per object type', () => {
    const r = reconcileLinks(
      [
        obs('deal', 'person_id', { records: 40 }),
        obs('deal', 'person_id', { records: 2, actualSet: false, matched: false }), // missing in Pipedrive
        obs('deal', 'person_id', { records: 1, matched: false }), // points at another person
        obs('deal', 'org_id', { records: 12 }),
        obs('deal', 'org_id', { records: 31, expectedSet: false, actualSet: false, matched: true }), // no org, none in Pipedrive
        obs('deal', 'org_id', { records: 1, expectedSet: false, matched: false }), // an org the source never named
      ],
      'full',
    );
    expect(r.links.deal!['deal→person']).toEqual({
      field: 'person_id',
      to: 'person',
      expected: 43,
      present: 41,
      correct: 40,
      missing: 2,
      wrong: 1,
      unexpected: 0,
    });
    expect(r.links.deal!['deal→organization']).toEqual({
      field: 'org_id',
      to: 'organization',
      expected: 12,
      present: 12,
      correct: 12,
      missing: 0,
      wrong: 0,
      unexpected: 1,
    });
    expect(r.totals).toMatchObject({ linksExpected: 55, linksCorrect: 52 });
    expect(r.ok).toBe(false);
  });

  it('counts owners: correct (provider user or fallback), fallback assignments, wrong, and users the migration never resolved', () => {
    const r = reconcileLinks(
      [
        obs('person', 'owner_id', { records: 90 }),
        obs('person', 'owner_id', { records: 10, expectedFallback: true }),
        obs('activity', 'owner_id', { records: 500 }),
        obs('activity', 'owner_id', { records: 3, matched: false, actualKnownUser: false }), // someone reassigned them
        obs('note', 'user_id', { records: 7, expectedFallback: true }),
      ],
      'sample',
    );
    expect(r.owners.person).toEqual({ field: 'owner_id', records: 100, correct: 100, fallback: 10, wrong: 0, notAMigrationUser: 0 });
    expect(r.owners.activity).toEqual({ field: 'owner_id', records: 503, correct: 500, fallback: 0, wrong: 3, notAMigrationUser: 3 });
    expect(r.owners.note).toMatchObject({ field: 'user_id', records: 7, correct: 7, fallback: 7 });
    // The activity's user is also one of its links.
    expect(r.links.activity!['activity→user']).toMatchObject({ expected: 503, correct: 500, wrong: 3 });
    expect(r.totals).toMatchObject({ ownersChecked: 610, ownersCorrect: 607, fallbackOwners: 17 });
    expect(r.ok).toBe(false);
    expect(linkSummary(r)).toMatchObject({ linksFrom: 'sample', linksOk: false, fallbackOwners: 17 });
  });

  it('is ok only when every expected link and owner is right, and reports nothing before any verification', () => {
    const good = reconcileLinks(
      [
        obs('note', 'person_id', { records: 5 }),
        obs('note', 'user_id', { records: 5 }),
        obs('file', 'person_id', { records: 2 }),
        obs('deal_product', 'deal_id', { records: 4 }),
        obs('deal_product', 'product_id', { records: 4 }),
      ],
      'full',
    );
    expect(good.ok).toBe(true);
    expect(Object.keys(good.links).sort()).toEqual(['deal_product', 'file', 'note']);
    expect(good.links.deal_product!['deal_product→product']).toMatchObject({ expected: 4, correct: 4 });
    const none = reconcileLinks([], null);
    expect(none).toMatchObject({ from: null, links: {}, owners: {}, ok: true });
    expect(linkSummary(none)).toEqual({});
    expect(reconciledFields().sort()).toEqual(['deal_id', 'org_id', 'owner_id', 'person_id', 'product_id', 'user_id']);
  });

  it("warns about records owned by the fallback owner (right by the map, not their provider's user): never shown as a plain success", () => {
    const r = reconcileLinks(
      [obs('person', 'owner_id', { records: 90 }), obs('person', 'owner_id', { records: 10, expectedFallback: true }), obs('deal', 'owner_id', { records: 4 })],
      'sample',
    );
    expect(r.ok).toBe(true);
    expect(r.warnings).toEqual([
      "10 record(s) are owned by the fallback owner, not by their provider's Pipedrive user (person 10): " +
        "assign their providers a user in the mapping workbook's Owners sheet, or reassign the records in Pipedrive",
    ]);
    expect(linkSummary(r)).toMatchObject({ fallbackOwners: 10, warnings: r.warnings });
    expect(describeLinks(r)).toEqual(['person: owner 100/100 (WARNING: 10 on the fallback owner)', 'deal: owner 4/4']);
    const none = reconcileLinks([obs('person', 'owner_id', { records: 90 })], 'sample');
    expect(none.warnings).toEqual([]);
    expect(linkSummary(none)).not.toHaveProperty('warnings');
  });
});

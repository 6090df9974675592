import {
  MERGED_IDS_FIELD,
  buildPerson,
  mergePlan,
  mergeProblems,
  redirectRef,
  storedMerges,
  survivorKeyOf,
  withDuplicateContacts,
  withMergePartners,
  mergeDuplicates,
  parseReviewDiffField,
  reviewDiffs,
  REVIEW_FIELD,
  type LogicalRecord,
  type BuildOutcome,
  type DuplicateMerges,
} from '../../../src/mapping';
import * as f from './fixtures';

const merges = (...pairs: [survivor: number, duplicate: number][]): DuplicateMerges => ({
  merge: pairs.map(([survivor, duplicate]) => ({ survivor, duplicate })),
});

describe('duplicate merges: planning', () => {
  it('accepts pairs and a survivor that takes several duplicates (three charts of one patient)', () => {
    expect(mergeProblems(merges([5, 12], [5, 19], [7, 8]))).toEqual([]);
    const plan = mergePlan(merges([5, 19], [5, 12], [7, 8]));
    expect(plan.survivorOf.get(12)).toBe(5);
    expect(plan.duplicatesOf.get(5)).toEqual([12, 19]);
    expect(plan.duplicatesOf.get(7)).toEqual([8]);
  });

  it('refuses a patient merged into itself, a patient in two merges and a chain, naming the ids', () => {
    expect(mergeProblems(merges([5, 5]))).toEqual(['patient 5 is merged into itself']);
    expect(mergeProblems(merges([5, 12], [7, 12]))).toEqual(['patient 12 is in two merges (into 5 and into 7)']);
    expect(mergeProblems(merges([5, 12], [5, 12]))).toEqual(['patient 12 is merged into 5 twice']);
    expect(mergeProblems(merges([5, 12], [3, 5]))).toEqual(['merge chain: patient 12 is merged into 5, which is itself merged into 3']);
    expect(() => mergePlan(merges([5, 12], [3, 5]))).toThrow(/merge chain/u);
  });

  it('redirects references to a merged duplicate to its survivor, and nothing else', () => {
    const plan = mergePlan(merges([5, 12]));
    expect(survivorKeyOf(plan, 'patient:12')).toBe('patient:5');
    expect(survivorKeyOf(plan, 'patient:5')).toBeUndefined();
    expect(survivorKeyOf(plan, 'newpatient:appt:12')).toBeUndefined();
    expect(redirectRef(plan, { objectType: 'person', sourceKey: 'patient:12' })).toEqual({ objectType: 'person', sourceKey: 'patient:5' });
    expect(redirectRef(plan, { objectType: 'organization', sourceKey: 'household:12' })).toEqual({ objectType: 'organization', sourceKey: 'household:12' });
    expect(redirectRef(undefined, { objectType: 'person', sourceKey: 'patient:12' })).toEqual({ objectType: 'person', sourceKey: 'patient:12' });
  });

  it('reads the merges of a stored map version; none when it has none', () => {
    expect(storedMerges({ duplicates: merges([5, 12]) })).toEqual(merges([5, 12]));
    expect(storedMerges({})).toEqual({ merge: [] });
    expect(storedMerges(undefined)).toEqual({ merge: [] });
  });
});

describe('duplicate merges: the person build', () => {
  const plan = mergePlan(merges([5, 12], [5, 19]));

  it('skips the duplicate as merged into its survivor, naming ids only', () => {
    const outcome: BuildOutcome = buildPerson(f.patientBundle({ patient: f.patient({ patient_id: 12 }) }), f.context({ merges: plan }));
    expect(outcome).toEqual({
      kind: 'skip',
      entity: 'person',
      sourceKey: 'patient:12',
      reason: 'merged into patient:5 (duplicate decision at MAPPING_REVIEW)',
    });
  });

  it("keeps the duplicates' Dentrix ids on the survivor", () => {
    const outcome = buildPerson(f.patientBundle(), f.context({ merges: plan }));
    expect(outcome.kind === 'record' && outcome.record.custom[MERGED_IDS_FIELD]).toBe('12, 19');
    const unmerged = buildPerson(f.patientBundle(), f.context());
    expect(unmerged.kind === 'record' && unmerged.record.custom[MERGED_IDS_FIELD]).toBeNull();
  });
});

describe('duplicate merges: what the survivor holds', () => {
  const person = (fields: LogicalRecord['fields'], custom: LogicalRecord['custom'] = {}): LogicalRecord => ({
    entity: 'person',
    fields,
    custom,
    truncated: [],
  });

  it("adds the duplicates' emails and phones the survivor lacks, never as primary; every other field stays the survivor's", () => {
    const survivor = person(
      { name: 'A', phones: [{ value: '+13125550142', label: 'mobile', primary: true }], emails: null },
      { 'Email Missing': 'Yes', 'Chart Number': 'CH-1' },
    );
    const duplicate = person(
      {
        name: 'B',
        phones: [
          { value: '+13125550142', label: 'home', primary: true },
          { value: '+13125550199', label: 'mobile', primary: true },
        ],
        emails: [{ value: 'a@example.com', label: 'home', primary: true }],
      },
      { 'Chart Number': 'NP-2' },
    );
    const merged = withDuplicateContacts(survivor, [duplicate]);
    expect(merged.fields).toEqual({
      name: 'A',
      phones: [
        { value: '+13125550142', label: 'mobile', primary: true },
        { value: '+13125550199', label: 'mobile', primary: false },
      ],
      emails: [{ value: 'a@example.com', label: 'home', primary: false }],
    });
    expect(merged.custom).toEqual({ 'Email Missing': null, 'Chart Number': 'CH-1' });
    expect(withDuplicateContacts(survivor, [])).toEqual(survivor);
  });

  it("keeps the duplicates' other values the survivor does not hold for review on it, named by field and duplicate", () => {
    const survivor = person(
      { name: 'Jonathan Smith', emails: null, phones: null, add_time: '2019-06-03T05:00:00Z', owner_id: 901 },
      {
        'Dentrix Patient ID': '5',
        'Dentrix Source Key': 'patient:5',
        'Merged Dentrix IDs': '12',
        'Chart Number': 'CH-0005',
        Gender: 'Male',
        Address: null,
        [REVIEW_FIELD]: 'emails (refused): jon@@example',
      },
    );
    const duplicate = person(
      {
        name: 'Jon Smith',
        emails: [{ value: 'jon@example.com', label: 'home', primary: true }],
        phones: null,
        add_time: '2021-01-01T05:00:00Z',
        owner_id: 902,
      },
      {
        'Dentrix Patient ID': '12',
        'Dentrix Source Key': 'patient:12',
        'Merged Dentrix IDs': null,
        'Chart Number': 'CH-0012',
        Gender: 'Male',
        Address: '12 Lake St, Chicago, IL 60601',
        [REVIEW_FIELD]: null,
      },
    );
    const { record, review } = mergeDuplicates(
      { record: survivor, review: [{ ruleId: 'person.emails', field: 'emails', kind: 'refused', value: 'jon@@example', kept: true }] },
      [{ sourceKey: 'patient:12', record: duplicate }],
    );
    // The survivor's own values stay; the duplicate's email is added as a contact, not kept for review.
    expect(record.fields.name).toBe('Jonathan Smith');
    expect(record.custom['Chart Number']).toBe('CH-0005');
    expect(record.fields.emails).toEqual([{ value: 'jon@example.com', label: 'home', primary: false }]);
    expect(review.map((v) => [v.field, v.kind, v.value, v.from, v.kept])).toEqual([
      ['emails', 'refused', 'jon@@example', undefined, true],
      ['name', 'merged', 'Jon Smith', 'patient:12', true],
      ['custom:Chart Number', 'merged', 'CH-0012', 'patient:12', true],
      ['custom:Address', 'merged', '12 Lake St, Chicago, IL 60601', 'patient:12', true],
    ]);
    expect(record.custom[REVIEW_FIELD]).toBe(
      [
        'emails (refused): jon@@example',
        'name (merged from patient:12): Jon Smith',
        'Chart Number (merged from patient:12): CH-0012',
        'Address (merged from patient:12): 12 Lake St, Chicago, IL 60601',
      ].join('\n'),
    );
    // The source-side check finds each on the record's review line, not merely the value somewhere.
    const merged = review.filter((v) => v.kind === 'merged');
    expect(reviewDiffs(merged, record).every((d) => d.matched)).toBe(true);
    const withoutLines = { ...record, custom: { ...record.custom, [REVIEW_FIELD]: null }, fields: { ...record.fields, name: 'Jon Smith' } };
    expect(reviewDiffs(merged, withoutLines).map((d) => [d.field, d.matched, d.category])).toEqual([
      ['review:merged:name', false, 'source_value_missing'],
      ['review:merged:custom:Chart Number', false, 'source_value_missing'],
      ['review:merged:custom:Address', false, 'source_value_missing'],
    ]);
    expect(parseReviewDiffField('review:merged:custom:Chart Number#2')).toEqual({ kind: 'merged', field: 'custom:Chart Number' });
  });

  it('without a review field on the map a merged value goes to the review file, found only when Pipedrive holds it; identical values are not repeated', () => {
    const survivor = person({ name: 'A', emails: null, phones: null }, { Gender: 'Female' });
    const same = person({ name: 'A', emails: null, phones: null }, { Gender: 'Female' });
    expect(mergeDuplicates({ record: survivor, review: [] }, [{ sourceKey: 'patient:12', record: same }]).review).toEqual([]);
    const other = person({ name: 'B', emails: null, phones: null }, { Gender: 'Female' });
    const { record, review, reviewFile } = mergeDuplicates({ record: survivor }, [{ sourceKey: 'patient:12', record: other }]);
    expect(review).toEqual([{ ruleId: 'person.merge', field: 'name', kind: 'merged', value: 'B', kept: false, inReviewFile: true, from: 'patient:12' }]);
    expect(reviewFile).toBe('name (merged from patient:12): B');
    expect(reviewDiffs(review, record, 'missing').map((d) => d.category)).toEqual(['source_value_missing']);
    expect(reviewDiffs(review, record, 'held').map((d) => d.matched)).toEqual([true]);
  });

  it('a sample that takes one chart of a merged pair takes the other too', () => {
    const plan = mergePlan(merges([5, 12], [5, 19]));
    expect(withMergePartners([12, 40], plan).sort((a, b) => a - b)).toEqual([5, 12, 19, 40]);
    expect(withMergePartners([5], plan).sort((a, b) => a - b)).toEqual([5, 12, 19]);
    expect(withMergePartners([40], plan)).toEqual([40]);
  });
});

import { buildNote, buildPerson, keptOnRecord, parseReviewDiffField, reviewDiffs, reviewText, type BuildOutcome } from '../../../src/mapping';
import * as f from './fixtures';

function built(outcome: BuildOutcome) {
  if (outcome.kind !== 'record') throw new Error(`expected a record, got ${outcome.kind}`);
  return { record: outcome.record, review: outcome.review ?? [], warnings: outcome.warnings };
}

const LONG_NAME = Array.from({ length: 60 }, (_, i) => `Name${i}`).join(' ');

describe('values a transform refuses or shortens are kept on their record', () => {
  const patient = f.patient({
    email: 'zoë.ng@example.com; zoe.obrien@',
    mobile_phone: '555-01',
    preferred_name: LONG_NAME,
    last_visit_date: '2024-02-30',
  });
  const outcome = buildPerson(f.patientBundle({ patient }), f.context());
  const { record, review, warnings } = built(outcome);

  it('moves the internationalized address and keeps the refused one, the bad phone, the cut name and the bad date', () => {
    expect(record.fields.emails).toEqual([{ value: 'zoë.ng@example.com', label: 'home', primary: true }]);
    expect(record.custom['Preferred Name']).toHaveLength(255);
    expect(record.custom['Last Visit Date']).toBeNull();
    expect(review.map(({ field, kind, kept }) => ({ field, kind, kept }))).toEqual([
      { field: 'emails', kind: 'refused', kept: true },
      { field: 'phones', kind: 'refused', kept: true },
      { field: 'custom:Preferred Name', kind: 'shortened', kept: true },
      { field: 'custom:Last Visit Date', kind: 'refused', kept: true },
    ]);
    const text = record.custom['Values Needing Review'] as string;
    // The name's first 255 characters are in its field, the rest on the review line: together the name is whole.
    const rest = LONG_NAME.slice((record.custom['Preferred Name'] as string).length).trim();
    expect(rest.length).toBeGreaterThan(100);
    expect(text.split('\n')).toEqual([
      'emails (refused): zoe.obrien@',
      `Preferred Name (shortened, the rest): ${rest}`,
      'Last Visit Date (refused): 2024-02-30',
    ]);
    // The phone is already kept whole in Phones Needing Review: not repeated.
    expect(record.custom['Phones Needing Review']).toBe('mobile: 555-01');
    expect(text).not.toContain('555-01');
  });

  it('keeps a value the reader could not read (null in the row, as typed in row.unreadable) when its rule moves', () => {
    const patient = { ...f.patient({ birth_date: null }), unreadable: { birth_date: '31.02.1985' } };
    const approved = built(buildPerson(f.patientBundle({ patient }), f.context({ phi: f.ALL_PHI })));
    expect(approved.record.custom['Birth Date']).toBeNull();
    expect(approved.review.map(({ field, kind, value, kept }) => ({ field, kind, value, kept }))).toEqual([
      { field: 'custom:Birth Date', kind: 'refused', value: '31.02.1985', kept: true },
    ]);
    expect(approved.record.custom['Values Needing Review']).toBe('Birth Date (refused): 31.02.1985');
    // Birth dates not approved for transfer: the rule does not run, so its unreadable value stays behind too.
    const notApproved = built(buildPerson(f.patientBundle({ patient }), f.context()));
    expect(notApproved.review).toEqual([]);
    expect(JSON.stringify(notApproved.record)).not.toContain('31.02.1985');
  });

  it('names no value in its warnings', () => {
    const json = JSON.stringify(warnings);
    for (const value of ['zoe.obrien@', '555-01', 'Marie-Louise', '2024-02-30']) expect(json).not.toContain(value);
    expect(warnings.map((w) => w.code)).toEqual(
      expect.arrayContaining(['invalid_email_dropped', 'invalid_phone_dropped', 'truncated', 'invalid_value_dropped']),
    );
  });

  it('writes the review field empty when nothing was refused or cut, so an update clears it', () => {
    expect(built(buildPerson(f.patientBundle(), f.context())).record.custom['Values Needing Review']).toBeNull();
    expect(built(buildPerson(f.patientBundle(), f.context())).review).toEqual([]);
  });

  it("keeps a refused value de-identified as the rule's approval says", () => {
    const yearOnly = f.context({ phi: { include: [{ rule: 'patient.birth_date', deidentify: 'year_only' }] } });
    const person = built(buildPerson(f.patientBundle({ patient: f.patient({ birth_date: '1985-02-30' }) }), yearOnly));
    expect(person.record.custom['Values Needing Review']).toBe('Birth Date (refused): 1985');
    expect(JSON.stringify(person.record)).not.toContain('1985-02-30');
  });

  it('keeps values without a review field in the note-like field, and what no field holds whole in the review file', () => {
    const approved = f.context({ phi: { include: [{ rule: 'clinical_note.content', deidentify: 'none' }] } });
    const odd = built(buildNote({ kind: 'clinical_note', note: f.clinicalNote({ note_date: '2024-02-30T10:00:00' }) }, approved));
    expect(odd.review).toEqual([{ ruleId: 'clinical_note.add_time', field: 'add_time', kind: 'refused', value: '2024-02-30T10:00:00', kept: true }]);
    expect(odd.record.fields.content).toContain('Values needing review:<br>add_time (refused): 2024-02-30T10:00:00');

    expect(odd.review[0]!.inReviewFile).toBeUndefined();

    // A note over Pipedrive's 100 KB: its content is cut, the whole text goes to the note's review file.
    const longOutcome = buildNote({ kind: 'clinical_note', note: f.clinicalNote({ note_text: 'word '.repeat(30_000) }) }, approved);
    const long = built(longOutcome);
    expect(long.review).toEqual([{ ruleId: 'note.content', field: 'content', kind: 'shortened', value: expect.any(String), kept: false, inReviewFile: true }]);
    expect(longOutcome.kind === 'record' && longOutcome.reviewFile).toBe(`content (shortened, the rest): ${long.review[0]!.value}`);
    expect(long.review[0]!.value).toContain('word '.repeat(30_000).trim());
    // A narrative 140,000 characters long, over the person's 65k field: the rest fills its review field, which cuts it too;
    // the file holds the rest whole, so the field is not counted as truncated.
    const narrative = f.context({ phi: { include: [{ rule: 'patient.clinical_narrative', deidentify: 'none' }] } });
    const hugeOutcome = buildPerson(f.patientBundle({ clinicalNotes: [f.clinicalNote({ note_text: 'y'.repeat(140_000) })] }), narrative);
    const huge = built(hugeOutcome);
    expect(huge.review).toEqual([
      {
        ruleId: 'patient.clinical_narrative',
        field: 'custom:Clinical Narrative',
        kind: 'shortened',
        value: expect.stringMatching(/^y+$/u),
        kept: false,
        inReviewFile: true,
      },
    ]);
    expect(huge.record.custom['Values Needing Review']).toHaveLength(65_000);
    // The field holds 65,000 characters, the file the whole rest beyond it.
    const rest = huge.review[0]!.value;
    expect(rest.length + (huge.record.custom['Clinical Narrative'] as string).replace(/[^y]/gu, '').length).toBeGreaterThanOrEqual(140_000);
    expect(hugeOutcome.kind === 'record' && hugeOutcome.reviewFile === `Clinical Narrative (shortened, the rest): ${rest}`).toBe(true);
    expect(huge.record.truncated).toEqual([]);
    // A record whose values all fit has no review file.
    expect(outcome.kind === 'record' && outcome.reviewFile).toBeUndefined();
  });
});

describe('finding kept values', () => {
  it('finds a value in any text field, whitespace and HTML aside', () => {
    const record = {
      fields: { note: 'Dentrix status: Broken<br>Values needing review:<br>x (refused): a &amp; b' },
      custom: { Other: 'line one\n  line two' },
    };
    expect(keptOnRecord(record, 'a & b')).toBe(true);
    expect(keptOnRecord(record, 'line one line two')).toBe(true);
    expect(keptOnRecord(record, 'line three')).toBe(false);
  });

  it('writes one line per value and cuts the whole to the limit', () => {
    expect(reviewText([{ field: 'custom:A', kind: 'refused', value: 'v' }], null)).toBe('A (refused): v');
    expect(reviewText([{ field: 'name', kind: 'shortened', value: 'rest' }], null)).toBe('name (shortened, the rest): rest');
    expect(reviewText([{ field: 'custom:A', kind: 'shortened', value: 'x'.repeat(50) }], 20)).toHaveLength(20);
    expect(reviewText([], 20)).toBeNull();
  });
});

describe('the source-side check', () => {
  const review = [
    { ruleId: 'patient.email', field: 'emails', kind: 'refused' as const, value: 'zoe.obrien@', kept: true },
    { ruleId: 'patient.email', field: 'emails', kind: 'refused' as const, value: 'other@', kept: true },
    { ruleId: 'patient.clinical_narrative', field: 'custom:Clinical Narrative', kind: 'shortened' as const, value: 'rest of it', kept: false },
  ];

  it('finds each value on the record read back, names the row by kind and field, and says why one is missing', () => {
    const actual = { fields: {}, custom: { 'Values Needing Review': 'emails (refused): zoe.obrien@\nemails (refused): other@' } };
    expect(reviewDiffs(review, actual).map(({ field, matched, category }) => ({ field, matched, category }))).toEqual([
      { field: 'review:refused:emails', matched: true, category: undefined },
      { field: 'review:refused:emails#2', matched: true, category: undefined },
      { field: 'review:shortened:custom:Clinical Narrative', matched: false, category: 'not_kept' },
    ]);
    const emptied = { fields: {}, custom: { 'Values Needing Review': null } };
    expect(reviewDiffs(review.slice(0, 1), emptied)[0]).toMatchObject({ matched: false, category: 'source_value_missing' });
    expect(reviewDiffs(review.slice(0, 1), undefined)[0]).toMatchObject({ matched: false, category: 'missing_record' });
    expect(parseReviewDiffField('review:refused:emails#2')).toEqual({ kind: 'refused', field: 'emails' });
    expect(parseReviewDiffField('custom:Email')).toBeUndefined();
  });

  it("finds a value of the record's review file when Pipedrive holds that file whole, and says so when it does not", () => {
    const inFile = [...review.slice(0, 2), { ...review[2]!, inReviewFile: true }];
    const actual = { fields: {}, custom: { 'Values Needing Review': 'emails (refused): zoe.obrien@\nemails (refused): other@' } };
    const rows = (file: 'held' | 'missing' | undefined) => reviewDiffs(inFile, actual, file).map(({ matched, category }) => ({ matched, category }));
    expect(rows('held')[2]).toEqual({ matched: true, category: undefined });
    expect(rows('missing')[2]).toEqual({ matched: false, category: 'source_value_missing' });
    // The file never stands in for a value that belongs on the record.
    const emptied = { fields: {}, custom: { 'Values Needing Review': null } };
    expect(reviewDiffs(inFile, emptied, 'held').map((d) => d.matched)).toEqual([false, false, true]);
  });
});

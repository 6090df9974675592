import { classifyLocalTime, emailProblems, offsetChangeDates, phoneProblem, selectPhiFields } from '../../../src/audit';
import { columnsOfMappingSource } from '../../../src/audit/phi-fields';
import type { PhiFieldEntry } from '../../../src/mapping';

describe('phone rule (libphonenumber-js)', () => {
  it.each([
    ['(312) 555-0142', null],
    ['312.555.0142 x12', null],
    ['+1 312-555-0142', null],
    ['312 555 0142 ext. 7', null],
    ['+44 20 7946 0958', null],
    ['312-555-01', 'too_short'],
    ['(312) 555-01425', 'too_long'],
    ['312-555-01O2', 'contains_letters'],
    ['1-800-FLOWERS', 'contains_letters'],
    ['759-719-0494', 'not_a_valid_number'], // ten digits, but 759 is not an area code in service
  ])('%s → %s', (phone, problem) => {
    expect(phoneProblem(phone, 'US')).toBe(problem);
  });
});

describe('email rule', () => {
  it.each([
    ['ana.ruiz@example.com', []],
    ['Ana.Ruiz@EXAMPLE.COM', ['upper_case']],
    ['ana.ruiz @example.com ', ['spaces']],
    ['ana.ruiz.example.com', ['invalid']],
    ['a@example.com; b@example.com', ['several_addresses']],
    ['a@example.com; b @example.com', ['several_addresses', 'spaces']],
    ['a@example.com, not-an-address', ['invalid', 'several_addresses']],
    // RFC 6531 addresses are valid here as in the transform (one rule for both).
    ['zoë.ng@example.com', []],
    ['josé@bücher.de', []],
  ])('%s → %j', (email, problems) => {
    expect(emailProblems(email)).toEqual(problems);
  });
});

describe('local times around daylight-saving changes', () => {
  it('tells times that do not exist or exist twice from ordinary ones', () => {
    const at = (zone: string, iso: string) => {
      const [date, time] = iso.split('T') as [string, string];
      const [year, month, day] = date.split('-').map(Number) as [number, number, number];
      const [hour, minute] = time.split(':').map(Number) as [number, number];
      return classifyLocalTime(zone, { year, month, day, hour, minute });
    };
    expect(at('America/New_York', '2026-03-08T02:30')).toBe('gap');
    expect(at('America/New_York', '2026-03-08T03:00')).toBe('normal');
    expect(at('America/New_York', '2026-11-01T01:30')).toBe('overlap');
    expect(at('America/New_York', '2026-11-01T02:00')).toBe('normal');
    expect(at('America/Phoenix', '2026-03-08T02:30')).toBe('normal'); // no DST in Arizona
    // Lord Howe Island moves its clocks by half an hour.
    expect(at('Australia/Lord_Howe', '2026-10-04T02:15')).toBe('gap');
    expect(at('Australia/Lord_Howe', '2026-04-05T01:45')).toBe('overlap');
    expect(at('Australia/Lord_Howe', '2026-04-05T02:15')).toBe('normal');
  });

  it('finds the days a zone changes its offset', () => {
    expect(offsetChangeDates('America/Chicago', '2026-01-01', '2026-12-31')).toEqual(['2026-03-08', '2026-11-01']);
    expect(offsetChangeDates('America/Phoenix', '2026-01-01', '2026-12-31')).toEqual([]);
    expect(offsetChangeDates('Europe/London', '2025-01-01', '2026-12-31')).toEqual(['2025-03-30', '2025-10-26', '2026-03-29', '2026-10-25']);
    // Santiago changes at midnight: the day whose first hour is missing is the one found.
    expect(offsetChangeDates('America/Santiago', '2026-09-01', '2026-09-30')).toEqual(['2026-09-06']);
    expect(classifyLocalTime('America/Santiago', { year: 2026, month: 9, day: 6, hour: 0, minute: 30 })).toBe('gap');
  });
});

describe('PHI field selection', () => {
  const entry = (ruleId: string, source: string, classification: 'phi' | 'never' = 'phi'): PhiFieldEntry => ({
    ruleId,
    kind: 'patient',
    entity: 'person',
    field: ruleId,
    source,
    classification,
    defaultDeidentification: classification === 'never' ? 'never moves' : 'drop',
    rationale: 'test',
  });

  it('reads the extract columns behind a mapping rule source', () => {
    expect(columnsOfMappingSource('patient.birth_date')).toEqual(['patient.birth_date']);
    expect(columnsOfMappingSource('appt.reason+note')).toEqual(['appt.reason', 'appt.note']);
    expect(columnsOfMappingSource('derived: clinical_notes')).toEqual(['clinical_note.note_text']);
    expect(columnsOfMappingSource('derived: something_new')).toEqual([]);
    expect(columnsOfMappingSource('constant')).toEqual([]);
  });

  it('takes the mapping list by default, merging rules that read the same column', () => {
    const selection = selectPhiFields(undefined, [
      entry('a', 'patient.ssn', 'never'),
      entry('b', 'derived: clinical_notes'),
      entry('c', 'clinical_note.note_type+note_text'),
    ]);
    expect(selection.source).toBe('mapping');
    expect(selection.fields).toEqual(['patient.ssn', 'clinical_note.note_text', 'clinical_note.note_type']);
    expect(selection.rulesByField.get('clinical_note.note_text')!.map((r) => r.ruleId)).toEqual(['b', 'c']);
  });

  it('falls back to the extract format when the mapping lists nothing, and honours an explicit list', () => {
    expect(selectPhiFields(undefined, []).source).toBe('extract_format');
    expect(selectPhiFields(undefined, []).fields).toContain('patient.birth_date');
    const chosen = selectPhiFields(['patient.ssn', 'patient.ssn', 'insured.subscriber_id_num'], []);
    expect(chosen).toMatchObject({ source: 'option', fields: ['patient.ssn', 'insured.subscriber_id_num'] });
    expect(() => selectPhiFields(['patient'], [])).toThrow('not columns of the extract format (table.column): patient');
    expect(() => selectPhiFields(['nosuch.table'], [])).toThrow('nosuch.table');
  });
});

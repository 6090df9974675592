import {
  bookingName,
  comparablePhone,
  fullName,
  normaliseEmail,
  normaliseEmails,
  normaliseName,
  normalisePhone,
  normalisePhones,
} from '../../../src/mapping/transforms';

describe('names', () => {
  it.each([
    ['  JOHN   SMITH ', 'John Smith'],
    ['mary-ann', 'Mary-Ann'],
    ["O'BRIEN", "O'Brien"],
    ['d\u2019angelo', 'D\u2019Angelo'],
    ['JOSÉ', 'José'],
    ['ÉLODIE', 'Élodie'],
    ['McDonald', 'McDonald'],
    ['DeShawn', 'DeShawn'],
    ['van der BERG', 'van der BERG'],
    ['Zoë', 'Zoë'],
    ['Jose\u0301', 'Jos\u00e9'],
  ])('%j → %j', (raw, expected) => {
    expect(normaliseName(raw)).toBe(expected);
  });

  it('treats blank as no name', () => {
    expect(normaliseName('   ')).toBeNull();
    expect(normaliseName(null)).toBeNull();
    expect(fullName(null, '  ')).toBeNull();
  });

  it('joins first and last, keeping the part that exists', () => {
    expect(fullName('ZOË', "o'brien")).toBe("Zoë O'Brien");
    expect(fullName(null, 'Nguyen')).toBe('Nguyen');
  });

  it('turns booking names typed Last, First around', () => {
    expect(bookingName('SMITH, JOHN')).toBe('John Smith');
    expect(bookingName('Anne Lee')).toBe('Anne Lee');
    expect(bookingName(' , ')).toBeNull();
  });
});

describe('emails', () => {
  it.each([
    ['  John.Smith@Example.COM ', ['john.smith@example.com'], 0],
    ['john.smith @ example.com', ['john.smith@example.com'], 0],
    ['mailto:A@B.CO', ['a@b.co'], 0],
    ['a@x.com; b@y.org', ['a@x.com', 'b@y.org'], 0],
    ['a@x.com b@y.org', ['a@x.com', 'b@y.org'], 0],
    ['A@X.com, a@x.com', ['a@x.com'], 0],
    ['john.smith@', [], 1],
    ['no email', [], 1],
    ['a..b@example.com', [], 1],
    ['good@example.com; bad@', ['good@example.com'], 1],
    ['', [], 0],
    // RFC 6531: internationalized local parts and domains are addresses, kept as typed (lower case).
    ['Zoë.Ng@Example.com', ['zoë.ng@example.com'], 0],
    ['josé@bücher.de', ['josé@bücher.de'], 0],
    ['用户@例子.广告', ['用户@例子.广告'], 0],
    ['zoë@', [], 1],
    ['zoë@localhost', [], 1],
  ])('%j → %j (%d invalid)', (raw, emails, invalid) => {
    expect(normaliseEmails(raw)).toMatchObject({ emails, invalid });
    expect(normaliseEmails(raw).refused).toHaveLength(invalid);
  });

  it('returns the refused entries as typed, for the review field', () => {
    expect(normaliseEmails(' good@example.com; Bad@ ,  no email ').refused).toEqual(['Bad@', 'no email']);
  });

  it('single email tells empty from invalid', () => {
    expect(normaliseEmail(null)).toEqual({ email: null, invalid: false });
    expect(normaliseEmail('x@')).toEqual({ email: null, invalid: true });
    expect(normaliseEmail('X@Y.io')).toEqual({ email: 'x@y.io', invalid: false });
  });
});

describe('phones', () => {
  it.each([
    ['(312) 555-0142', '+13125550142'],
    ['312.555.0142 x12', '+13125550142 ext. 12'],
    ['312-555-0142 ext. 12', '+13125550142 ext. 12'],
    ['3125550142', '+13125550142'],
    ['+1 312 555 0142', '+13125550142'],
    ['1-312-555-0142', '+13125550142'],
    ['312/555-0142', '+13125550142'],
    ['(312)555-0142 #12', '+13125550142 ext. 12'],
    ['312 555 0142 (cell)', '+13125550142'],
    ['(773) 202-5862 ext 4', '+17732025862 ext. 4'],
    ['  312   555 0142  ', '+13125550142'],
    ['+44 20 7946 0958', '+442079460958'],
  ])('%j → %j', (raw, value) => {
    const parsed = normalisePhone(raw, 'US');
    expect(parsed).toMatchObject({ ok: true, value });
  });

  it.each(['555-0142', '000-000-0000', '312-555-014'])('%j is invalid', (raw) => {
    expect(normalisePhone(raw)).toEqual({ ok: false, reason: 'invalid' });
  });

  it.each([null, '', 'N/A', 'none'])('%j is empty, not invalid', (raw) => {
    expect(normalisePhone(raw)).toEqual({ ok: false, reason: 'empty' });
  });

  it('labels, de-duplicates (first label wins), makes the first valid one primary and counts invalid ones', () => {
    const result = normalisePhones([
      { raw: '555-0142', label: 'mobile' },
      { raw: '(312) 555-0142', label: 'home' },
      { raw: '312.555.0142', label: 'work' },
      { raw: '773-202-5862 x4', label: 'work' },
    ]);
    expect(result.phones).toEqual([
      { value: '+13125550142', label: 'home', primary: true },
      { value: '+17732025862 ext. 4', label: 'work', primary: false },
    ]);
    expect(result.invalidLabels).toEqual(['mobile']);
    expect(result.invalidRaw).toEqual([{ label: 'mobile', raw: '555-0142' }]);
  });

  it('compares stored forms by E.164 and extension', () => {
    expect(comparablePhone('+1 (312) 555-0142 ext. 12')).toBe('+13125550142 ext. 12');
    expect(comparablePhone(' not a phone ')).toBe('not a phone');
  });
});

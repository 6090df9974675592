import { coerceBool, coerceDate, coerceDateTime, coerceInt, coerceMoney, coerceText } from '../../../src/dentrix/coerce';

const chicago = { timezone: 'America/Chicago' };

describe('coercion of Dentrix values', () => {
  it.each([
    ['2024-03-10', '2024-03-10'],
    ['03/10/2024', '2024-03-10'],
    ['3/1/2024', '2024-03-01'],
    ['1980-05-01 00:00:00', '1980-05-01'], // Dentrix keeps birth dates as date-times
    ['02/29/2024', '2024-02-29'],
    ['', null],
  ])('reads the date %j as %j', (raw, expected) => {
    expect(coerceDate(raw, chicago)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['00/00/0000', 'impossible calendar date'],
    ['0000-00-00', 'impossible calendar date'],
    ['2023-02-30', 'impossible calendar date'],
    ['02/29/2023', 'impossible calendar date'],
    ['13/01/2024', 'impossible calendar date'],
    ['1700-01-01', 'year outside 1850-2200'],
    ['yesterday', 'not a date (expected YYYY-MM-DD or MM/DD/YYYY)'],
    ['2024/03/10', 'not a date (expected YYYY-MM-DD or MM/DD/YYYY)'],
  ])('refuses the date %j: %s', (raw, reason) => {
    expect(coerceDate(raw, chicago)).toEqual({ ok: false, reason });
  });

  it.each([
    ['2024-03-10 14:05:09', '2024-03-10T14:05:09'],
    ['2024-03-10T14:05', '2024-03-10T14:05:00'],
    ['2024-03-10 14:05:09.123456', '2024-03-10T14:05:09'],
    ['03/10/2024 02:05:09 PM', '2024-03-10T14:05:09'],
    ['03/10/2024 2:05 pm', '2024-03-10T14:05:00'],
    ['03/10/2024 12:00:00 AM', '2024-03-10T00:00:00'],
    ['03/10/2024 12:30:00 PM', '2024-03-10T12:30:00'],
    ['03/10/2024 11:59:59 P.M.', '2024-03-10T23:59:59'],
    ['03/10/2024 23:15:00', '2024-03-10T23:15:00'],
    ['2024-03-10', '2024-03-10T00:00:00'],
    // An explicit offset (a timestamptz) becomes the practice's wall-clock time.
    ['2024-07-01 15:00:00+00', '2024-07-01T10:00:00'],
    ['2024-01-01T15:00:00Z', '2024-01-01T09:00:00'],
    ['2024-01-01 10:00:00-05:00', '2024-01-01T09:00:00'],
  ])('reads the date-time %j as %j', (raw, expected) => {
    expect(coerceDateTime(raw, chicago)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['03/10/2024 13:00:00 PM', 'hour out of range for AM/PM time'],
    ['2024-03-10 24:00:00', 'impossible time of day'],
    ['2024-03-10 10:61:00', 'impossible time of day'],
    ['00/00/0000 00:00:00', 'impossible calendar date'],
  ])('refuses the date-time %j: %s', (raw, reason) => {
    expect(coerceDateTime(raw, chicago)).toEqual({ ok: false, reason });
  });

  it.each([
    ['1', true],
    ['0', false],
    ['true', true],
    ['FALSE', false],
    ['Y', true],
    ['n', false],
    ['t', true], // PostgreSQL's text form of a boolean
    [true, true],
    [0, false],
    ['', null],
  ])('reads the boolean %j as %j', (raw, expected) => {
    expect(coerceBool(raw)).toEqual({ ok: true, value: expected });
  });

  it('refuses a boolean it cannot read', () => {
    expect(coerceBool('maybe')).toEqual({ ok: false, reason: 'not a boolean (1/0, true/false, Y/N)' });
    expect(coerceBool(2)).toEqual({ ok: false, reason: 'not a boolean (1/0, true/false, Y/N)' });
  });

  it.each([
    ['1234.50', 1234.5],
    ['1234.5', 1234.5],
    ['-12.00', -12],
    ['$1,234.56', 1234.56],
    ['(45.10)', -45.1],
    ['0.105', 0.11], // half a cent rounds away from zero
    ['0.104', 0.1],
    ['.5', 0.5],
    ['12', 12],
    [19.999, 20],
    ['', null],
  ])('reads the amount %j as %j', (raw, expected) => {
    expect(coerceMoney(raw)).toEqual({ ok: true, value: expected });
  });

  it.each(['12,34', 'USD 5', '1.2.3', '-', '$'])('refuses the amount %j', (raw) => {
    expect(coerceMoney(raw)).toEqual({ ok: false, reason: 'not an amount' });
  });

  it('reads integer ids from text and native numbers, and keeps bounds', () => {
    expect(coerceInt('00042')).toEqual({ ok: true, value: 42 });
    expect(coerceInt(' -106 ')).toEqual({ ok: true, value: -106 });
    expect(coerceInt('7.0')).toEqual({ ok: true, value: 7 });
    expect(coerceInt(7)).toEqual({ ok: true, value: 7 });
    expect(coerceInt('7.5')).toEqual({ ok: false, reason: 'not an integer' });
    expect(coerceInt('12a')).toEqual({ ok: false, reason: 'not an integer' });
    expect(coerceInt('99999999999999999999')).toEqual({ ok: false, reason: 'not an integer in the safe range' });
    expect(coerceInt('24', { kind: 'int', min: 0, max: 23 })).toEqual({ ok: false, reason: 'above the maximum of 23' });
    expect(coerceInt('-1', { kind: 'int', min: 0 })).toEqual({ ok: false, reason: 'below the minimum of 0' });
  });

  it('keeps text verbatim and reads an empty field as null', () => {
    expect(coerceText('  Zoë Ñúñez, "Jr"\r\nline 2 ')).toEqual({ ok: true, value: '  Zoë Ñúñez, "Jr"\r\nline 2 ' });
    expect(coerceText('')).toEqual({ ok: true, value: null });
    expect(coerceText(12)).toEqual({ ok: true, value: '12' });
  });
});

/**
 * Names as front-desk staff typed them: trim, collapse runs of spaces, keep accents and apostrophes, and
 * title-case only text typed entirely in capitals or entirely in lower case (so `McDonald` and `DeShawn` stay).
 */

const APOSTROPHES = new Set(["'", '\u2019', '\u02BC']);
const WORD_BREAKS = new Set([' ', '-']);

export function normaliseName(raw: string | null | undefined): string | null {
  if (raw == null) return null;
  const text = raw.normalize('NFC').replace(/\s+/gu, ' ').trim();
  if (text === '') return null;
  const upper = text.toLocaleUpperCase('en-US');
  const lower = text.toLocaleLowerCase('en-US');
  const hasLetters = upper !== lower;
  if (!hasLetters || (text !== upper && text !== lower)) return text;
  return titleCase(lower);
}

/** `o'brien-smith` → `O'Brien-Smith`; a letter after an apostrophe is capitalised only after a one-letter prefix (O', D'). */
function titleCase(lower: string): string {
  const chars = Array.from(lower);
  let wordStart = 0;
  return chars
    .map((char, i) => {
      const previous = chars[i - 1];
      if (i === 0 || (previous !== undefined && WORD_BREAKS.has(previous))) {
        wordStart = i;
        return char.toLocaleUpperCase('en-US');
      }
      if (previous !== undefined && APOSTROPHES.has(previous) && i - 1 - wordStart === 1) {
        return char.toLocaleUpperCase('en-US');
      }
      return char;
    })
    .join('');
}

/** `First Last` from the parts that exist; null when there is no name at all. */
export function fullName(first: string | null | undefined, last: string | null | undefined): string | null {
  const parts = [normaliseName(first), normaliseName(last)].filter((p): p is string => p !== null);
  return parts.length > 0 ? parts.join(' ') : null;
}

/** Dentrix shows booking names as `Last, First`: turn them around; anything else is normalised as typed. */
export function bookingName(raw: string | null | undefined): string | null {
  const text = normaliseName(raw);
  if (text === null) return null;
  const comma = text.indexOf(',');
  if (comma < 0) return text;
  return fullName(text.slice(comma + 1), text.slice(0, comma));
}

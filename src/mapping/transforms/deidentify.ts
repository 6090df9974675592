/**
 * De-identification of PHI that a practice approved to move only in reduced form.
 * - `mask`: keep the last four characters (enough to tell two insurance ids apart at the desk), star the rest;
 * - `year_only`: a date reduced to its year;
 * - `drop`: nothing moves.
 */
export const DEIDENTIFICATIONS = ['mask', 'year_only', 'drop'] as const;
export type Deidentification = (typeof DEIDENTIFICATIONS)[number];

const VISIBLE_TAIL = 4;

export function mask(value: string): string {
  const chars = Array.from(value.trim());
  const visible = chars.length > VISIBLE_TAIL ? chars.slice(-VISIBLE_TAIL) : [];
  return '*'.repeat(chars.length - visible.length) + visible.join('');
}

/** `1985-04-12` → `1985`; null when the text does not start with a four-digit year. */
export function yearOnly(date: string): string | null {
  const match = /^(\d{4})-\d{2}-\d{2}/u.exec(date.trim());
  return match ? match[1]! : null;
}

export function deidentify(value: string, method: Deidentification): string | null {
  switch (method) {
    case 'mask':
      return mask(value);
    case 'year_only':
      return yearOnly(value);
    case 'drop':
      return null;
  }
}

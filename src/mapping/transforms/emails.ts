/**
 * Email addresses as typed at the front desk: stray spaces, upper case, `mailto:`, several in one field.
 * Internationalized addresses are addresses (RFC 6531: `zoë.ng@example.com`, `josé@bücher.de`): Pipedrive's specs put
 * no format on a person's email value, so neither does the product beyond RFC syntax. Validation is validator.js's
 * isEmail (UTF-8 local parts and IDN domains allowed) rather than a home-made pattern.
 */
import isEmail from 'validator/lib/isEmail';

/** Whether a cleaned address is an address: the one rule the transforms and the Data Quality Report share. */
export const isEmailAddress = (email: string): boolean => isEmail(email, { allow_utf8_local_part: true, require_tld: true });

export interface EmailsResult {
  /** Valid addresses, lower-cased, in the order typed, without duplicates. */
  emails: string[];
  /** How many non-empty entries were not valid addresses. */
  invalid: number;
  /** Those entries as typed (trimmed), for the record's review field: PHI, never in warnings or logs. */
  refused: string[];
}

export function normaliseEmails(raw: string | null | undefined): EmailsResult {
  const result: EmailsResult = { emails: [], invalid: 0, refused: [] };
  if (raw == null) return result;
  for (const entry of splitEntries(raw)) {
    const email = cleanEntry(entry);
    if (email === '') continue;
    if (!isEmailAddress(email)) {
      result.invalid += 1;
      result.refused.push(entry.trim());
    } else if (!result.emails.includes(email)) {
      result.emails.push(email);
    }
  }
  return result;
}

/** One address or null; `invalid` tells an empty field from a bad one. */
export function normaliseEmail(raw: string | null | undefined): { email: string | null; invalid: boolean } {
  const { emails, invalid } = normaliseEmails(raw);
  return { email: emails[0] ?? null, invalid: emails.length === 0 && invalid > 0 };
}

function splitEntries(raw: string): string[] {
  return raw.split(/[;,]+/u).flatMap((part) => {
    // "a@x.com b@y.com": several addresses separated by spaces; "john @ x.com": one address with stray spaces.
    const words = part.trim().split(/\s+/u);
    const atWords = words.filter((w) => w.includes('@'));
    return atWords.length > 1 && atWords.length === words.length ? words : [part];
  });
}

function cleanEntry(entry: string): string {
  return entry
    .replace(/\s+/gu, '')
    .replace(/^mailto:/iu, '')
    .replace(/^<(.*)>$/u, '$1')
    .replace(/\.+$/u, '')
    .toLowerCase();
}

/**
 * Phone numbers as typed at the front desk (`(312) 555-0142`, `312.555.0142 x12`, `+44 20 7946 0958`) to E.164
 * with libphonenumber-js. E.164 has no extension, so an extension is kept after it as ` ext. 12`, a form
 * libphonenumber parses back.
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import type { ContactEntry } from '../types';

export type PhoneParse = { ok: true; e164: string; extension: string | null; value: string } | { ok: false; reason: 'empty' | 'invalid' };

export function normalisePhone(raw: string | null | undefined, region: string = 'US'): PhoneParse {
  if (raw == null || !/\d/u.test(raw)) return { ok: false, reason: 'empty' };
  const parsed = parsePhoneNumberFromString(raw, region as CountryCode);
  if (!parsed?.isValid()) return { ok: false, reason: 'invalid' };
  const extension = parsed.ext ?? null;
  return { ok: true, e164: parsed.number, extension, value: extension ? `${parsed.number} ext. ${extension}` : parsed.number };
}

export interface LabelledPhone {
  raw: string | null | undefined;
  /** Pipedrive phone label: work, home, mobile or other. */
  label: string;
}

export interface PhonesResult {
  phones: ContactEntry[];
  /** Labels of entries that were not valid numbers, in input order (values are not kept: they may be PHI). */
  invalidLabels: string[];
  /** Invalid entries' raw text, for the reference-only "needs review" field. */
  invalidRaw: { label: string; raw: string }[];
}

/** Normalised, de-duplicated (first label wins), the first valid number primary. */
export function normalisePhones(entries: LabelledPhone[], region: string = 'US'): PhonesResult {
  const result: PhonesResult = { phones: [], invalidLabels: [], invalidRaw: [] };
  for (const { raw, label } of entries) {
    const parsed = normalisePhone(raw, region);
    if (!parsed.ok) {
      if (parsed.reason === 'invalid' && raw != null) {
        result.invalidLabels.push(label);
        result.invalidRaw.push({ label, raw: raw.trim() });
      }
      continue;
    }
    if (result.phones.some((p) => p.value === parsed.value)) continue;
    result.phones.push({ value: parsed.value, label, primary: result.phones.length === 0 });
  }
  return result;
}

/** A comparable form for the diff: E.164 (plus extension) when the text parses, else the trimmed text. */
export function comparablePhone(value: string, region: string = 'US'): string {
  const parsed = normalisePhone(value, region);
  return parsed.ok ? parsed.value : value.trim();
}

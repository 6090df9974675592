import { type Pool } from 'pg';
import { type CsvTable } from './extract-edit';

/**
 * Finding a practice's patient strings (PHI) in what the product hands to Temporal: needles from the extract's
 * tables, haystacks from histories and other JSON with their payloads decoded.
 */

// --- Needles: the practice's patient strings, from the extract -----------------------------------------------------

export type NeedleKind = 'name' | 'email' | 'phone' | 'birth date' | 'address' | 'clinical note' | 'appointment note' | 'alert' | 'subscriber id' | 'ssn';

export interface Needle {
  kind: NeedleKind;
  value: string;
  re: RegExp;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Whole words, case as written: a surname must not match inside another word. */
const asWord = (s: string) => new RegExp(`(?<![\\p{L}\\p{N}])${escapeRe(s)}(?![\\p{L}\\p{N}])`, 'u');
/** A US phone however it is punctuated (`303.247.2492`, `(303) 247-2492`, `3032472492`, `+13032472492`), not inside a longer number. */
const asPhone = (d: string) => new RegExp(`(?<!\\d)(?:\\+?1[\\s.-]?)?\\(?${d.slice(0, 3)}\\)?[\\s.-]{0,2}${d.slice(3, 6)}[\\s.-]?${d.slice(6)}(?!\\d)`);
/** An SSN with or without its dashes. */
const asSsn = (d: string) => new RegExp(`(?<!\\d)${d.slice(0, 3)}[\\s-]?${d.slice(3, 5)}[\\s-]?${d.slice(5)}(?!\\d)`);
const asText = (s: string) => new RegExp(escapeRe(s), 'iu');

/** Names that are also ordinary words (or this product's vocabulary) would find themselves, not patients. */
const COMMON_WORDS = new Set(
  'will june rose grant hope price long young king bell hall wood green brown white black lane mark page ward west north south gray grey love hill rich more best good free field fields brook case note deal file task person phase delta sample full done signal status chase cash bill jack frank dean carter parker walker baker mason cook fisher hunter miller turner porter stone rock wolf fox bird day may april august summer winter story sharp strong swift golden family dental fort city park lake river'.split(
    ' ',
  ),
);

export function needlesFrom(tables: Record<string, CsvTable>, exclude: Set<string>): { needles: Needle[]; skippedNames: number } {
  const out = new Map<string, Needle>();
  let skippedNames = 0;
  const add = (kind: NeedleKind, value: string | undefined, re: (v: string) => RegExp) => {
    const v = value?.trim();
    if (!v) return;
    const key = `${kind}|${v}`;
    if (!out.has(key)) out.set(key, { kind, value: v, re: re(v) });
  };
  const addName = (raw: string | undefined) => {
    for (const part of (raw ?? '').split(/[\s,]+/u)) {
      const name = part.replace(/^[^\p{L}]+|[^\p{L}]+$/gu, '');
      if (!name) continue;
      if (name.length < 4 || COMMON_WORDS.has(name.toLowerCase()) || exclude.has(name.toLowerCase())) {
        skippedNames++;
        continue;
      }
      add('name', name, asWord);
    }
  };
  const addPhone = (raw: string | undefined) => {
    // As typed, and as digits in any punctuation (E.164 included): the ten digits of the national number.
    const digits = (raw ?? '')
      .split(/x|ext/iu)[0]!
      .replace(/\D/g, '')
      .replace(/^1(?=\d{10}$)/, '');
    if (digits.length === 10) add('phone', digits, asPhone);
    else add('phone', raw, asText);
  };
  for (const p of tables.patient!.rows) {
    addName(p.first_name);
    addName(p.last_name);
    addName(p.preferred_name);
    add('email', p.email, asText);
    for (const phone of [p.mobile_phone, p.home_phone, p.work_phone]) addPhone(phone);
    add('birth date', p.birth_date, (v) => new RegExp(`(?<!\\d)${escapeRe(v)}(?!\\d)`));
    if ((p.address_line1 ?? '').length >= 8) add('address', p.address_line1, asText);
    const ssn = (p.ssn ?? '').replace(/\D/g, '');
    if (ssn.length === 9) add('ssn', ssn, asSsn);
    else add('ssn', p.ssn, asText);
  }
  for (const a of tables.appt!.rows) {
    addName(a.patient_name);
    addPhone(a.patient_phone);
    if ((a.note ?? '').length >= 12) add('appointment note', a.note, asText);
  }
  for (const a of tables.medical_alert!.rows) if ((a.description ?? '').length >= 6) add('alert', a.description, asText);
  for (const i of tables.insured!.rows) add('subscriber id', i.subscriber_id_num, asWord);
  for (const n of tables.clinical_note!.rows) {
    for (const fragment of (n.note_text ?? '').split(/(?<=[.!?;])\s+|\r?\n/u)) {
      if (fragment.trim().length >= 20) add('clinical note', fragment, asText);
    }
  }
  return { needles: [...out.values()], skippedNames };
}

// --- Haystacks: what Temporal holds, serialised raw and with payloads decoded ---------------------------------------

export interface Haystack {
  where: string;
  text: string;
}

/** Every string leaf of a value, one per line: JSON escaping must not hide a note with quotes or line breaks. */
export function stringLeaves(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringLeaves(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) stringLeaves(v, out);
  return out;
}

/** Replaces each payload's base64 `data` with what it holds (JSON parsed where it is JSON); counts them. */
export function decodePayloads(value: unknown, counter: { payloads: number }): unknown {
  if (Array.isArray(value)) return value.map((v) => decodePayloads(v, counter));
  if (!value || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  if (typeof obj.data === 'string' && obj.metadata && typeof obj.metadata === 'object') {
    counter.payloads++;
    const text = Buffer.from(obj.data, 'base64').toString('utf8');
    let decoded: unknown = text;
    try {
      decoded = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    const metadata = Object.fromEntries(Object.entries(obj.metadata as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    return { ...obj, metadata, data: decoded };
  }
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, decodePayloads(v, counter)]));
}

/** A JSON document as three haystacks: raw, payloads decoded, and the decoded string leaves. */
export function haystacksOfJson(where: string, rawJson: string, counter = { payloads: 0 }): Haystack[] {
  const decoded = decodePayloads(JSON.parse(rawJson), counter);
  return [
    { where: `${where} (raw)`, text: rawJson },
    { where: `${where} (payloads decoded)`, text: JSON.stringify(decoded) },
    { where: `${where} (decoded strings)`, text: stringLeaves(decoded).join('\n') },
  ];
}

/**
 * The migration store as haystacks, one per table (every table unless told): every value of every column of every
 * row, jsonb and all, as the values themselves (no JSON or row-literal escaping to hide a note with quotes).
 */
export async function storeHaystacks(pool: Pool, only?: readonly string[]): Promise<Haystack[]> {
  const { rows: tables } = await pool.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name",
  );
  const out: Haystack[] = [];
  for (const { name } of tables) {
    if (only && !only.includes(name)) continue;
    const { rows } = await pool.query<{ row: unknown }>(`SELECT to_jsonb(t) AS row FROM "${name}" t`);
    out.push({ where: `store table ${name}`, text: valueLeaves(rows.map((r) => r.row)).join('\n') });
  }
  return out;
}

/** Like stringLeaves, numbers included (an SSN could be stored as one), bytea (`\\x…` in JSON) decoded as text. */
function valueLeaves(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string' && /^\\x(?:[0-9a-f]{2})+$/u.test(value)) out.push(Buffer.from(value.slice(2), 'hex').toString('utf8'));
  else if (typeof value === 'string' || typeof value === 'number') out.push(String(value));
  else if (Array.isArray(value)) for (const v of value) valueLeaves(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) valueLeaves(v, out);
  return out;
}

export interface Hit {
  where: string;
  kind: NeedleKind;
  value: string;
  context: string;
}

export function search(haystacks: Haystack[], needles: Needle[]): Hit[] {
  const hits: Hit[] = [];
  for (const h of haystacks) {
    for (const n of needles) {
      const m = n.re.exec(h.text);
      if (m) hits.push({ where: h.where, kind: n.kind, value: n.value, context: h.text.slice(Math.max(0, m.index - 60), m.index + n.value.length + 60) });
    }
  }
  return hits;
}

/**
 * A history as JSON the way Temporal's tools write it: bytes (payload data, metadata) as base64, 64-bit numbers as
 * strings. (historyToJSON needs the protobuf runtime Temporal was loaded with, which jest's module registry splits.)
 */
export function historyJson(history: unknown): string {
  return JSON.stringify(history, (_k, v: unknown) => {
    if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
    if (v && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) {
      return Buffer.from((v as { data: number[] }).data).toString('base64');
    }
    if (v && typeof v === 'object' && typeof (v as { low?: unknown }).low === 'number' && typeof (v as { high?: unknown }).high === 'number') {
      return (v as { toString(): string }).toString(); // a protobuf Long
    }
    return typeof v === 'bigint' ? v.toString() : v;
  });
}

export function bigintSafe(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

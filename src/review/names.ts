/**
 * Column-name similarity: names are split into tokens (snake_case, camelCase, digits), abbreviations and synonyms
 * are brought to one canonical token (`dob` → birth date, `cell` → mobile phone, `zip`/`postal` → zipcode,
 * `ins` → insurance), then compared by token overlap and by edit distance. Pure.
 */
import { distance } from 'fastest-levenshtein';

/** Abbreviations and synonyms seen in practice-management exports, to the contract's vocabulary. */
const CANONICAL: Record<string, string[]> = {
  fname: ['first', 'name'],
  firstname: ['first', 'name'],
  given: ['first'],
  forename: ['first'],
  lname: ['last', 'name'],
  lastname: ['last', 'name'],
  surname: ['last', 'name'],
  mname: ['middle', 'initial'],
  mi: ['middle', 'initial'],
  middle: ['middle'],
  init: ['initial'],
  nickname: ['preferred', 'name'],
  nick: ['preferred', 'name'],
  pref: ['preferred'],
  dob: ['birth', 'date'],
  bdate: ['birth', 'date'],
  birthdate: ['birth', 'date'],
  bday: ['birth', 'date'],
  birthday: ['birth', 'date'],
  born: ['birth'],
  cell: ['mobile', 'phone'],
  cellphone: ['mobile', 'phone'],
  cel: ['mobile', 'phone'],
  mob: ['mobile'],
  mobilephone: ['mobile', 'phone'],
  tel: ['phone'],
  telephone: ['phone'],
  ph: ['phone'],
  phn: ['phone'],
  phone: ['phone'],
  wk: ['work'],
  office: ['work'],
  business: ['work'],
  bus: ['work'],
  hm: ['home'],
  zip: ['zipcode'],
  zipcode: ['zipcode'],
  postal: ['zipcode'],
  postalcode: ['zipcode'],
  postcode: ['zipcode'],
  zip5: ['zipcode'],
  addr: ['address'],
  adr: ['address'],
  street: ['address'],
  str: ['address'],
  ln: ['line'],
  town: ['city'],
  st: ['state'],
  province: ['state'],
  ins: ['insurance'],
  insur: ['insurance'],
  insurer: ['insurance'],
  carrier: ['insurance', 'company'],
  co: ['company'],
  comp: ['company'],
  payer: ['payor'],
  grp: ['group'],
  sub: ['subscriber'],
  subscr: ['subscriber'],
  member: ['subscriber'],
  mbr: ['subscriber'],
  email: ['email'],
  emailaddr: ['email'],
  emailaddress: ['email'],
  mail: ['email'],
  pt: ['patient'],
  proc: ['procedure'],
  pat: ['patient'],
  guarantor: ['guar'],
  resp: ['guar'],
  responsible: ['guar'],
  sex: ['gender'],
  stat: ['status'],
  social: ['ssn'],
  socsec: ['ssn'],
  sin: ['ssn'],
  emp: ['employer'],
  ref: ['referral', 'source'],
  referral: ['referral', 'source'],
  referred: ['referral', 'source'],
  referredby: ['referral', 'source'],
  referrer: ['referral', 'source'],
  src: ['source'],
  prior: ['last'],
  previous: ['last'],
  prev: ['last'],
  charge: ['fee'],
  trans: ['entry'],
  transaction: ['entry'],
  txn: ['entry'],
  posted: ['entry'],
  posting: ['entry'],
  nationalprovider: ['npi'],
  dt: ['date'],
  vst: ['visit'],
  appt: ['appointment'],
  appointment: ['appointment'],
  amt: ['amount'],
  bal: ['balance'],
  est: ['estimate'],
  desc: ['description'],
  descr: ['description'],
  memo: ['note'],
  notes: ['note'],
  nt: ['note'],
  comment: ['note'],
  comments: ['note'],
  remarks: ['note'],
  narrative: ['note', 'text'],
  priv: ['privacy'],
  flags: ['flag'],
  prov: ['provider'],
  dr: ['provider'],
  doctor: ['provider'],
  dentist: ['provider'],
  pri: ['primary'],
  prim: ['primary'],
  sec: ['secondary'],
  fam: ['family'],
  pos: ['position'],
  chartno: ['chart', 'number'],
  no: ['number'],
  num: ['number'],
  nbr: ['number'],
  nr: ['number'],
  cdt: ['ada', 'code'],
  fee: ['fee'],
  std: ['default'],
  standard: ['default'],
  cat: ['category'],
  surf: ['surfaces'],
  surface: ['surfaces'],
  modified: ['modified'],
  mod: ['modified'],
  updated: ['modified'],
  upd: ['modified'],
  automodifiedtimestamp: ['modified', 'timestamp'],
  ts: ['timestamp'],
  max: ['max'],
  maximum: ['max'],
  yearly: ['annual'],
  eff: ['effective'],
  guid: ['guid'],
  uuid: ['guid'],
  npi: ['npi'],
  spec: ['specialty'],
  speciality: ['specialty'],
  len: ['length'],
  duration: ['length'],
  dur: ['length'],
  mins: ['minutes'],
  min: ['minutes'],
  typ: ['type'],
  kind: ['type'],
  abbr: ['abbrev'],
  abbreviation: ['abbrev'],
  short: ['abbrev'],
};

/** Tokens that say little about what a column holds; they count for less in the overlap. */
const WEAK_TOKENS = new Set([
  'number',
  'id',
  'code',
  'value',
  'field',
  'fld',
  'usr',
  'user',
  'custom',
  'txt',
  'text',
  'data',
  'info',
  'by',
  'of',
  'the',
  'is',
  'at',
]);

/** A column name as canonical tokens: `cell_no` → mobile, phone, number; `DOB` → birth, date. */
export function nameTokens(name: string): string[] {
  const raw = name
    .replace(/([a-z])([A-Z])/gu, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/gu, '$1 $2')
    .replace(/([A-Za-z])(\d)/gu, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/u)
    .filter((t) => t !== '');
  const merged: string[] = [];
  for (let i = 0; i < raw.length; i += 1) {
    // Two tokens that spell one known word ("postal code", "cell phone", "e mail") are that word.
    const pair = i + 1 < raw.length ? `${raw[i]}${raw[i + 1]}` : null;
    if (pair !== null && CANONICAL[pair] !== undefined) {
      merged.push(pair);
      i += 1;
    } else merged.push(raw[i]!);
  }
  const tokens = merged.flatMap((t) => CANONICAL[t] ?? [t]);
  return [...new Set(tokens)];
}

export interface NameMatch {
  score: number;
  /** How the names matched, for the rationale. */
  how: 'same name' | 'synonym' | 'edit distance' | 'token overlap';
}

/** How alike two column names are (0–1), by canonical tokens and edit distance. */
export function nameSimilarity(a: string, b: string, opts: { context?: readonly string[] } = {}): NameMatch {
  const lowerA = a.toLowerCase();
  const lowerB = b.toLowerCase();
  if (lowerA === lowerB) return { score: 1, how: 'same name' };
  // Tokens naming the table say nothing within it (`appt_memo` in appt is "memo"), unless they are all there is.
  const withoutContext = (tokens: string[]) => {
    const kept = tokens.filter((t) => !(opts.context ?? []).includes(t));
    return kept.length > 0 ? kept : tokens;
  };
  const tokensA = withoutContext(nameTokens(a));
  const tokensB = withoutContext(nameTokens(b));
  const canonicalA = tokensA.join(' ');
  const canonicalB = tokensB.join(' ');
  if (canonicalA === canonicalB) return { score: 0.95, how: 'synonym' };

  const overlap = softOverlap(tokensA, tokensB);
  const rawEdit = 1 - distance(lowerA, lowerB) / Math.max(lowerA.length, lowerB.length, 1);
  // Edit distance on the raw names catches typos (frist_name); on tokens it is inside the overlap.
  const byEdit = 0.85 * rawEdit;
  const synonymUsed = tokensA.join(' ') !== splitPlain(a) || tokensB.join(' ') !== splitPlain(b);
  if (byEdit > overlap) return { score: round3(byEdit), how: 'edit distance' };
  return { score: round3(overlap), how: synonymUsed ? 'synonym' : 'token overlap' };
}

function splitPlain(name: string): string {
  return name
    .replace(/([a-z])([A-Z])/gu, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/u)
    .filter((t) => t !== '')
    .join(' ');
}

const tokenWeight = (t: string) => (WEAK_TOKENS.has(t) || /^\d+$/u.test(t) ? 1 / 3 : 1);
/** Tokens this alike (by edit distance) count as partly shared: "surfaces"/"surface", "visit"/"visits". */
const NEAR_TOKEN = 0.75;

/**
 * Weighted, soft Jaccard overlap of two token sets: weak tokens (number, id, code...) weigh a third, and a token of
 * one name that is nearly a token of the other counts by how alike they are.
 */
function softOverlap(a: readonly string[], b: readonly string[]): number {
  const setA = new Set(a);
  const setB = new Set(b);
  const union = new Set([...a, ...b]);
  let shared = 0;
  let total = 0;
  for (const token of union) total += tokenWeight(token);
  for (const token of setA) if (setB.has(token)) shared += tokenWeight(token);
  const onlyA = a.filter((t) => !setB.has(t));
  const onlyB = b.filter((t) => !setA.has(t));
  for (const token of onlyA) {
    let best = 0;
    for (const other of onlyB) best = Math.max(best, 1 - distance(token, other) / Math.max(token.length, other.length));
    // A near pair is one token, not two: it counts once in the union and by its likeness in the shared part.
    if (best >= NEAR_TOKEN) {
      shared += best * tokenWeight(token);
      total -= tokenWeight(token);
    }
  }
  return total <= 0 ? 0 : Math.min(1, shared / total);
}

/** A column name as a Pipedrive field label: `usr_fld_3` → "Usr Fld 3", `favoriteColor` → "Favorite Color". */
export function fieldLabel(column: string): string {
  const words = column
    .replace(/([a-z])([A-Z])/gu, '$1 $2')
    .split(/[^A-Za-z0-9]+/u)
    .filter((w) => w !== '');
  const label = words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ');
  return (label || 'Field').slice(0, 255);
}

/** A column name as the name part of a rule id (`[a-z0-9_]+`). */
export function ruleSlug(column: string): string {
  const slug = column
    .replace(/([a-z])([A-Z])/gu, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/gu, '_')
    .replace(/^_+|_+$/gu, '');
  return slug || 'column';
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

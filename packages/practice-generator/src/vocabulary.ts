/**
 * What a synthetic Dentrix practice is made of (reference/dentrix-and-peers.md, part A): common CDT codes with our
 * own short labels and rough fee ranges, Dentrix's default continuing-care types, dental payers, alert and note
 * material. CDT codes are ADA-copyrighted: only the codes and our own labels are shipped.
 */

export interface ProcedureCodeSpec {
  code: string;
  abbrev: string;
  label: string;
  category: string;
  feeMin: number;
  feeMax: number;
  /** Whether the code is charted on a tooth, and which surfaces it may carry. */
  tooth?: 'any' | 'anterior' | 'posterior' | 'molar' | 'premolar';
  surfaces?: readonly string[];
}

export const PROCEDURE_CODES: readonly ProcedureCodeSpec[] = [
  { code: 'D0120', abbrev: 'PerEx', label: 'Periodic exam, established patient', category: 'Diagnostic', feeMin: 45, feeMax: 75 },
  { code: 'D0140', abbrev: 'LimEx', label: 'Limited exam, problem focused', category: 'Diagnostic', feeMin: 60, feeMax: 110 },
  { code: 'D0150', abbrev: 'CompEx', label: 'Comprehensive exam, new patient', category: 'Diagnostic', feeMin: 75, feeMax: 130 },
  { code: 'D0180', abbrev: 'PerioEx', label: 'Comprehensive periodontal exam', category: 'Diagnostic', feeMin: 80, feeMax: 140 },
  { code: 'D0210', abbrev: 'FMX', label: 'Full-mouth X-ray series', category: 'Diagnostic', feeMin: 110, feeMax: 180 },
  { code: 'D0220', abbrev: 'PA', label: 'Periapical film, first', category: 'Diagnostic', feeMin: 25, feeMax: 40, tooth: 'any' },
  { code: 'D0230', abbrev: 'PA+', label: 'Periapical film, each additional', category: 'Diagnostic', feeMin: 20, feeMax: 35, tooth: 'any' },
  { code: 'D0274', abbrev: '4BW', label: 'Bitewings, four films', category: 'Diagnostic', feeMin: 55, feeMax: 90 },
  { code: 'D0330', abbrev: 'Pano', label: 'Panoramic film', category: 'Diagnostic', feeMin: 100, feeMax: 160 },
  { code: 'D1110', abbrev: 'Pro', label: 'Adult cleaning', category: 'Preventive', feeMin: 85, feeMax: 140 },
  { code: 'D1120', abbrev: 'ProCh', label: 'Child cleaning', category: 'Preventive', feeMin: 60, feeMax: 100 },
  { code: 'D1206', abbrev: 'FlVarn', label: 'Fluoride varnish', category: 'Preventive', feeMin: 30, feeMax: 55 },
  { code: 'D1351', abbrev: 'Seal', label: 'Sealant, per tooth', category: 'Preventive', feeMin: 40, feeMax: 70, tooth: 'molar', surfaces: ['O'] },
  {
    code: 'D2140',
    abbrev: 'Amal1',
    label: 'Amalgam, one surface',
    category: 'Restorative',
    feeMin: 100,
    feeMax: 170,
    tooth: 'posterior',
    surfaces: ['O', 'M', 'D'],
  },
  {
    code: 'D2330',
    abbrev: 'CompA1',
    label: 'Composite, one surface, front',
    category: 'Restorative',
    feeMin: 120,
    feeMax: 200,
    tooth: 'anterior',
    surfaces: ['M', 'D', 'F', 'L'],
  },
  {
    code: 'D2391',
    abbrev: 'CompP1',
    label: 'Composite, one surface, back',
    category: 'Restorative',
    feeMin: 140,
    feeMax: 220,
    tooth: 'posterior',
    surfaces: ['O', 'B', 'L'],
  },
  {
    code: 'D2392',
    abbrev: 'CompP2',
    label: 'Composite, two surfaces, back',
    category: 'Restorative',
    feeMin: 180,
    feeMax: 280,
    tooth: 'posterior',
    surfaces: ['MO', 'DO', 'OB'],
  },
  {
    code: 'D2393',
    abbrev: 'CompP3',
    label: 'Composite, three surfaces, back',
    category: 'Restorative',
    feeMin: 220,
    feeMax: 330,
    tooth: 'posterior',
    surfaces: ['MOD', 'MOB', 'DOL'],
  },
  { code: 'D2740', abbrev: 'CrCer', label: 'Crown, all ceramic', category: 'Crowns', feeMin: 1000, feeMax: 1700, tooth: 'any' },
  { code: 'D2750', abbrev: 'CrPFM', label: 'Crown, porcelain on high noble', category: 'Crowns', feeMin: 950, feeMax: 1500, tooth: 'posterior' },
  { code: 'D2950', abbrev: 'BU', label: 'Core build-up', category: 'Crowns', feeMin: 200, feeMax: 450, tooth: 'posterior' },
  { code: 'D2954', abbrev: 'Post', label: 'Prefabricated post and core', category: 'Crowns', feeMin: 300, feeMax: 600, tooth: 'any' },
  { code: 'D3310', abbrev: 'RCTAnt', label: 'Root canal, front tooth', category: 'Endodontics', feeMin: 620, feeMax: 1100, tooth: 'anterior' },
  { code: 'D3320', abbrev: 'RCTPre', label: 'Root canal, premolar', category: 'Endodontics', feeMin: 750, feeMax: 1300, tooth: 'premolar' },
  { code: 'D3330', abbrev: 'RCTMol', label: 'Root canal, molar', category: 'Endodontics', feeMin: 890, feeMax: 1500, tooth: 'molar' },
  { code: 'D4341', abbrev: 'SRP4+', label: 'Scaling and root planing, quadrant, 4+ teeth', category: 'Periodontics', feeMin: 200, feeMax: 320 },
  { code: 'D4342', abbrev: 'SRP1-3', label: 'Scaling and root planing, quadrant, 1-3 teeth', category: 'Periodontics', feeMin: 130, feeMax: 220 },
  { code: 'D4346', abbrev: 'ScGing', label: 'Scaling with generalized gingival inflammation', category: 'Periodontics', feeMin: 100, feeMax: 180 },
  { code: 'D4355', abbrev: 'FMD', label: 'Full-mouth debridement', category: 'Periodontics', feeMin: 120, feeMax: 220 },
  { code: 'D4910', abbrev: 'PerMnt', label: 'Periodontal maintenance', category: 'Periodontics', feeMin: 120, feeMax: 200 },
  { code: 'D5110', abbrev: 'DentU', label: 'Complete denture, upper', category: 'Prosthodontics', feeMin: 1500, feeMax: 2500 },
  { code: 'D5120', abbrev: 'DentL', label: 'Complete denture, lower', category: 'Prosthodontics', feeMin: 1500, feeMax: 2500 },
  { code: 'D6010', abbrev: 'Impl', label: 'Implant body, surgical placement', category: 'Implants', feeMin: 1800, feeMax: 2800, tooth: 'any' },
  { code: 'D7140', abbrev: 'Ext', label: 'Extraction, simple', category: 'Oral Surgery', feeMin: 130, feeMax: 250, tooth: 'any' },
  { code: 'D7210', abbrev: 'ExtSurg', label: 'Extraction, surgical', category: 'Oral Surgery', feeMin: 220, feeMax: 400, tooth: 'any' },
  { code: 'D9110', abbrev: 'Pall', label: 'Palliative emergency treatment', category: 'Adjunctive', feeMin: 80, feeMax: 150 },
  { code: 'D9944', abbrev: 'NGuard', label: 'Occlusal guard, hard, full arch', category: 'Adjunctive', feeMin: 400, feeMax: 800 },
];

/** Treatment plans a dentist proposes: a description and the codes it bundles. */
export const TREATMENT_PLANS: readonly { description: string; codes: readonly string[] }[] = [
  { description: 'Crown and build-up', codes: ['D2950', 'D2740'] },
  { description: 'Root canal, post and crown', codes: ['D3330', 'D2954', 'D2750'] },
  { description: 'Premolar root canal and crown', codes: ['D3320', 'D2740'] },
  { description: 'Fillings', codes: ['D2392', 'D2391'] },
  { description: 'Fillings, upper right', codes: ['D2393', 'D2392', 'D2140'] },
  { description: 'Front filling', codes: ['D2330'] },
  { description: 'Scaling and root planing, 4 quadrants', codes: ['D4341', 'D4341', 'D4341', 'D4341'] },
  { description: 'Scaling and root planing, 2 quadrants', codes: ['D4341', 'D4342'] },
  { description: 'Implant and crown', codes: ['D7210', 'D6010', 'D2740'] },
  { description: 'Extraction', codes: ['D7140'] },
  { description: 'Dentures', codes: ['D5110', 'D5120'] },
  { description: 'Night guard', codes: ['D9944'] },
  { description: 'Sealants', codes: ['D1351', 'D1351', 'D1351', 'D1351'] },
];

/** Dentrix's shipped continuing-care defaults: interval months + 1 day keeps visits outside insurance frequency limits. */
export const RECALL_TYPES: readonly { name: string; description: string; months: number; days: number }[] = [
  { name: 'Prophy', description: 'Periodic cleaning and exam', months: 6, days: 1 },
  { name: 'Perio', description: 'Periodontal maintenance', months: 4, days: 1 },
  { name: 'Bitewings', description: 'Bitewing X-rays', months: 12, days: 1 },
  { name: 'FMX', description: 'Full-mouth X-rays', months: 36, days: 1 },
  { name: 'Pano', description: 'Panoramic X-ray', months: 36, days: 1 },
  { name: 'Exam', description: 'Oral cancer screening exam', months: 6, days: 1 },
];

export const APPT_STATUSES: readonly { id: number; description: string }[] = [
  { id: 1, description: 'Scheduled' },
  { id: 2, description: 'Confirmed' },
  { id: 3, description: 'Complete' },
  { id: 4, description: 'Broken' },
  { id: 5, description: 'Cancelled' },
  { id: 6, description: 'Late' },
];
export const STATUS = { scheduled: 1, confirmed: 2, complete: 3, broken: 4, cancelled: 5, late: 6 } as const;

/** Dental payers with commonly cited payer ids (fixtures only; see the research note). */
export const PAYERS: readonly { name: string; payerId: string }[] = [
  { name: 'Aetna Dental', payerId: '60054' },
  { name: 'Cigna Dental', payerId: '62308' },
  { name: 'MetLife Dental', payerId: '65978' },
  { name: 'Guardian', payerId: '64246' },
  { name: 'Delta Dental of California', payerId: '77777' },
  { name: 'Humana Dental', payerId: '73288' },
  { name: 'Principal Financial Group', payerId: '61271' },
  { name: 'Ameritas', payerId: '47009' },
];

export const PRACTICE_ZONES: readonly string[] = ['America/Chicago', 'America/New_York', 'America/Denver', 'America/Los_Angeles'];

/** Area codes in service in each practice zone: front-desk numbers are real-looking, so phone validation means something. */
export const AREA_CODES_BY_ZONE: Readonly<Record<string, readonly string[]>> = {
  'America/Chicago': ['312', '773', '630', '847', '214', '469', '512', '713', '314', '615'],
  'America/New_York': ['212', '718', '617', '404', '305', '215', '704', '919', '412', '614'],
  'America/Denver': ['303', '720', '970', '719', '801', '385', '505', '406'],
  'America/Los_Angeles': ['213', '310', '415', '510', '503', '206', '619', '702', '916'],
};

// Names real extracts carry and naive code breaks on: accents, apostrophes, ñ, diaeresis, non-Latin-1 letters.
export const ACCENTED_FIRST_NAMES = [
  'José',
  'Zoë',
  'Renée',
  'Chloé',
  'Joaquín',
  'Björn',
  'François',
  'Inés',
  'Noël',
  'Søren',
  'Łucja',
  'Thảo',
  'André',
  'Mónica',
  'Ángel',
];
export const ACCENTED_LAST_NAMES = [
  "O'Brien",
  "D'Angelo",
  'Ñúñez',
  'Müller',
  'García',
  'Peña',
  'Nguyễn',
  'Østergaard',
  "O'Connor",
  'Fernández',
  "D'Souza",
  'Gómez-Ruiz',
  'Brontë',
  'Dvořák',
];

export const ALERTS: Readonly<Record<'allergy' | 'condition' | 'medication' | 'premedication', readonly { text: string; critical: boolean }[]>> = {
  allergy: [
    { text: 'Penicillin — hives', critical: true },
    { text: 'Latex', critical: true },
    { text: 'Codeine (nausea)', critical: false },
    { text: 'Sulfa drugs', critical: false },
    { text: 'Epinephrine sensitivity, "racing heart"', critical: true },
  ],
  condition: [
    { text: 'Hypertension, controlled', critical: false },
    { text: 'Type 2 diabetes', critical: false },
    { text: 'Heart murmur', critical: true },
    { text: 'Pregnant, 2nd trimester', critical: true },
    { text: 'Asthma — bring inhaler', critical: false },
    { text: 'Bisphosphonate therapy (osteoporosis)', critical: true },
  ],
  medication: [
    { text: 'Lisinopril 10 mg daily', critical: false },
    { text: 'Metformin 500 mg, twice a day', critical: false },
    { text: 'Warfarin (anticoagulant) — check INR', critical: true },
    { text: 'Atorvastatin 20 mg', critical: false },
    { text: 'Levothyroxine 50 µg', critical: false },
  ],
  premedication: [
    { text: 'Amoxicillin 2 g one hour before treatment — total knee replacement', critical: true },
    { text: 'Clindamycin 600 mg before treatment (penicillin allergy) — prosthetic heart valve', critical: true },
  ],
};

export const APPOINTMENT_NOTES = [
  'Pt prefers morning appts.',
  'Call cell, not home — "work hours only".',
  'Needs premed, confirm taken.',
  'Bring insurance card; new plan, Jan.',
  'Running late, called at 8:05 — seated 8:20.',
  'Spanish speaking; daughter Zoë translates.',
];

/** Clinical note paragraphs: commas, quotes, line breaks, em dashes and non-ASCII, as dictated notes are. */
export const NOTE_OPENERS = [
  'Pt presents for periodic exam — no complaints.',
  'Pt presents with sensitivity to cold, UR quadrant, "sharp but quick".',
  'Emergency visit: pt reports pain since Friday, 7/10, worse at night.',
  'Hygiene visit. Med hx reviewed, no changes per pt.',
  'Consult for replacement of missing #30; options discussed: implant, bridge, RPD.',
  'Post-op check after extraction — healing well, no dry socket.',
];
export const NOTE_BODIES = [
  'BP 124/82, pulse 72. Oral cancer screening negative.',
  'Generalized plaque, moderate calculus lingual of lower anteriors; OHI given, recommended electric brush.',
  'Probing depths 4–5 mm posterior sextants, BOP 18%. Discussed SRP; pt says "I\'ll think about it".',
  'Tooth #14: MO caries noted on BW, recommend composite. Pt asked about cost, "can we wait until January?"',
  'Anesthetic: 1 carpule 2% lidocaine 1:100k epi, IANB, aspirated negative.',
  'Señora Ñúñez accompanied pt; prefers mañana appointments, consent signed.',
  'Referred to Dr. Müller (endo) for eval of #19, periapical radiolucency ~3 mm.',
  'Pt anxious; nitrous declined. Used topical, went slowly — tolerated well.',
  'Crown prep #3, shade A2, temp placed with TempBond; pt told "avoid sticky foods".',
  'Reviewed X-rays with pt on screen, explained bone loss, pt understood and agreed to plan.',
];
export const NOTE_CLOSERS = [
  'NV: recall in 6 mo.',
  'NV: SRP UR/LR, 60 min, w/ hygienist.',
  'NV: crown seat in 2 wks.',
  'Rx: ibuprofen 600 mg q6h prn; amoxicillin 500 mg tid × 7 days.',
  'Pt to call if symptoms persist — Dr. to follow up Monday.',
];

export const REFERRAL_SOURCES: readonly { type: 'patient' | 'doctor' | 'marketing' | 'other'; names: readonly string[] }[] = [
  { type: 'marketing', names: ['Google search', 'Yelp', 'Facebook ad', 'Direct mailer 2024', 'Practice website', 'Radio spot'] },
  { type: 'other', names: ['Walk-in', 'Insurance directory', 'Moved from another office', 'School screening'] },
];

import { createHash } from 'node:crypto';
import { Faker, base, en, en_US } from '@faker-js/faker';
import { DateTime } from 'luxon';
import { DENTRIX_TABLES, type DentrixTable, type ExtractManifest } from '../../../src/dentrix/types';
import { makeDocumentFile } from './documents';
import { QuotaSampler, Random } from './random';
import type { GenRow, InvalidDate, PracticeSink } from './sinks';
import { DEFAULT_DIRT_RATES, type DirtItem, type DirtKind, type DirtRates, type GeneratorTruth } from './truth';
import {
  ACCENTED_FIRST_NAMES,
  ACCENTED_LAST_NAMES,
  ALERTS,
  APPOINTMENT_NOTES,
  APPT_STATUSES,
  NOTE_BODIES,
  NOTE_CLOSERS,
  NOTE_OPENERS,
  PAYERS,
  AREA_CODES_BY_ZONE,
  PRACTICE_ZONES,
  PROCEDURE_CODES,
  type ProcedureCodeSpec,
  RECALL_TYPES,
  REFERRAL_SOURCES,
  STATUS,
  TREATMENT_PLANS,
} from './vocabulary';

export type PracticeProfile = 'demo' | 'small' | 'medium' | 'large';

interface ProfileSpec {
  patients: number;
  historyYears: number;
  dentists: number;
  hygienists: number;
  specialists: number;
  assistants: number;
  carriers: number;
  operatories: number;
}

/** Sizes per profile (reference/dentrix-and-peers.md A7); `large` comes to about two million rows in all. */
export const PROFILES: Record<PracticeProfile, ProfileSpec> = {
  demo: { patients: 150, historyYears: 6, dentists: 2, hygienists: 2, specialists: 1, assistants: 1, carriers: 8, operatories: 4 },
  small: { patients: 3_000, historyYears: 10, dentists: 2, hygienists: 3, specialists: 1, assistants: 2, carriers: 25, operatories: 6 },
  medium: { patients: 20_000, historyYears: 10, dentists: 5, hygienists: 8, specialists: 2, assistants: 4, carriers: 60, operatories: 10 },
  large: { patients: 26_000, historyYears: 12, dentists: 20, hygienists: 35, specialists: 6, assistants: 10, carriers: 150, operatories: 40 },
};

export interface PracticeGenerationOptions {
  profile: PracticeProfile;
  seed: number;
  dateFormat?: 'iso' | 'us';
  /** Overrides of the default dirt rates (truth.ts). */
  dirt?: Partial<DirtRates>;
  /** Overrides the profile's patient count (small custom practices for tests). */
  patients?: number;
  /** The generator's "today" (ISO date); fixed so the same seed gives the same bytes on any day. */
  extractDate?: string;
  /** The practice's ISO 4217 currency (default USD): amounts stay the same numbers, in this currency. */
  currency?: string;
}

const DEFAULT_EXTRACT_DATE = '2026-11-20';
const DAY_MS = 86_400_000;
const EMAIL_DOMAINS = ['gmail.com', 'yahoo.com', 'outlook.com', 'icloud.com', 'aol.com', 'comcast.net', 'hotmail.com'];
const SPECIALISTS = [
  { prefix: 'ENDO', specialty: 'Endodontics' },
  { prefix: 'PERI', specialty: 'Periodontics' },
  { prefix: 'ORTH', specialty: 'Orthodontics' },
  { prefix: 'OS', specialty: 'Oral Surgery' },
  { prefix: 'PEDO', specialty: 'Pediatric Dentistry' },
  { prefix: 'PROS', specialty: 'Prosthodontics' },
];
const TEETH = {
  any: Array.from({ length: 32 }, (_, i) => i + 1),
  anterior: [6, 7, 8, 9, 10, 11, 22, 23, 24, 25, 26, 27],
  premolar: [4, 5, 12, 13, 20, 21, 28, 29],
  molar: [1, 2, 3, 14, 15, 16, 17, 18, 19, 30, 31, 32],
  posterior: [1, 2, 3, 4, 5, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 28, 29, 30, 31, 32],
} as const;

const isoDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);
const dayOf = (iso: string): number => Date.UTC(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1, Number(iso.slice(8, 10))) / DAY_MS;
const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));
const isoDateTime = (day: number, minuteOfDay: number, second = 0): string =>
  `${isoDay(day)} ${pad2(Math.floor(minuteOfDay / 60) % 24)}:${pad2(minuteOfDay % 60)}:${pad2(second)}`;
const money = (cents: number): string => (cents / 100).toFixed(2);
const addMonths = (day: number, months: number, days: number): number => {
  const date = new Date(day * DAY_MS);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, date.getUTCDate() + days) / DAY_MS;
};
/** Moves Saturday and Sunday visits to Monday: the office is closed at weekends. */
const weekday = (day: number): number => {
  const dow = new Date(day * DAY_MS).getUTCDay();
  return dow === 6 ? day + 2 : dow === 0 ? day + 1 : day;
};
const slug = (text: string): string =>
  text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');

interface Provider {
  id: string;
  type: 'dentist' | 'hygienist' | 'specialist' | 'assistant';
}

interface Member {
  id: number;
  first: string;
  last: string;
  gender: number | null;
  birthDay: number;
  famPos: number;
  status: number;
  child: boolean;
}

interface Visit {
  appointmentId: number;
  day: number;
  minute: number;
  length: number;
  statusId: number;
  providerId: string;
  extraProviderId: string | null;
  type: string;
  procedures: PlannedProcedure[];
  txcaseId: number | null;
  note: string | null;
}

interface PlannedProcedure {
  code: ProcedureCodeSpec;
  codeId: number;
  tooth: string | null;
  surfaces: string | null;
  txcaseId: number | null;
}

interface DstSlot {
  day: number;
  hour: number;
  kind: 'gap' | 'overlap';
}

/**
 * Generates one synthetic practice, family by family, into a sink (CSV folder or SQL mirror): only the current
 * family is in memory, so the large profile streams. Every choice comes from the seed, so the same options give
 * the same rows, and the same bytes in a folder.
 */
export class PracticeGenerator {
  private readonly random: Random;
  private readonly faker: Faker;
  private readonly spec: ProfileSpec;
  private readonly today: number;
  private readonly historyStart: number;
  private readonly rates: DirtRates;
  private readonly samplers: Record<DirtKind, QuotaSampler>;
  private readonly dirtItems: Record<DirtKind, DirtItem[]>;
  private readonly counts = Object.fromEntries(DENTRIX_TABLES.map((t) => [t, 0])) as Record<DentrixTable, number>;
  private readonly next = Object.fromEntries(DENTRIX_TABLES.map((t) => [t, 1])) as Record<DentrixTable, number>;
  private readonly facts: GeneratorTruth['facts'] = {
    families: 0,
    non_patient_guarantors: 0,
    families_sharing_phone: 0,
    families_sharing_email: 0,
    balance_forward_entries: 0,
    in_flight_claims: 0,
    recalls_without_due_date: 0,
    future_appointments: 0,
    deleted_provider_ids: [],
  };

  private practice!: ExtractManifest['practice'];
  private domain!: string;
  private city!: string;
  private state!: string;
  private areaCodes: string[] = [];
  private dentists: Provider[] = [];
  private hygienists: Provider[] = [];
  private specialists: Provider[] = [];
  private deletedDentist!: string;
  private deletedHygienist!: string;
  private fees = new Map<string, { id: number; cents: number; spec: ProcedureCodeSpec }>();
  private recallTypeIds = new Map<string, number>();
  private employerCount = 0;
  private referralCount = 0;
  private dstSlots: DstSlot[] = [];
  private dstToggle = 0;
  private originalPatients = 0;

  constructor(
    private readonly options: PracticeGenerationOptions,
    private readonly sink: PracticeSink,
  ) {
    this.random = new Random(options.seed);
    this.faker = new Faker({ locale: [en_US, en, base] });
    this.faker.seed(options.seed);
    this.spec = { ...PROFILES[options.profile], ...(options.patients !== undefined ? { patients: options.patients } : {}) };
    this.today = dayOf(options.extractDate ?? DEFAULT_EXTRACT_DATE);
    this.historyStart = this.today - Math.round(this.spec.historyYears * 365.25);
    this.rates = { ...DEFAULT_DIRT_RATES, ...options.dirt };
    const kinds = Object.keys(DEFAULT_DIRT_RATES) as DirtKind[];
    // Each kind of dirt has its own stream of randomness so changing one rate does not move the others.
    this.samplers = Object.fromEntries(kinds.map((kind, i) => [kind, new QuotaSampler(this.rates[kind], new Random(options.seed * 31 + i + 1))])) as Record<
      DirtKind,
      QuotaSampler
    >;
    this.dirtItems = Object.fromEntries(kinds.map((kind) => [kind, []])) as unknown as Record<DirtKind, DirtItem[]>;
  }

  async run(): Promise<{ manifest: ExtractManifest; truth: GeneratorTruth }> {
    this.setUpPractice();
    await this.writeReferenceTables();
    this.dstSlots = this.findDstSlots();
    while (this.originalPatients < this.spec.patients) await this.family();

    const tables: ExtractManifest['tables'] = {};
    for (const table of DENTRIX_TABLES) tables[table] = { rows: this.counts[table] };
    const dateFormat = this.options.dateFormat ?? 'iso';
    const manifest: ExtractManifest = {
      format: 'dentrix-extract/1',
      practice: this.practice,
      source: { product: 'Dentrix G7', extracted_at: `${isoDay(this.today)}T18:03:00Z`, method: 'synthetic-generator' },
      date_format: dateFormat,
      tables,
    };
    const dirt = Object.fromEntries(
      (Object.keys(this.samplers) as DirtKind[]).map((kind) => [
        kind,
        {
          rate: this.rates[kind],
          population: this.samplers[kind].population,
          injected: this.samplers[kind].injected,
          items: this.dirtItems[kind],
        },
      ]),
    ) as GeneratorTruth['dirt'];
    const truth: GeneratorTruth = {
      generator: 'dentrix-practice-generator/1',
      profile: this.options.profile,
      seed: this.options.seed,
      date_format: dateFormat,
      practice: this.practice,
      extract_date: isoDay(this.today),
      tables,
      dirt,
      facts: this.facts,
    };
    return { manifest, truth };
  }

  // ---- output ------------------------------------------------------------------------------------------------

  private async emit(table: DentrixTable, row: GenRow): Promise<void> {
    this.counts[table] += 1;
    const pending = this.sink.write(table, row);
    if (pending) await pending;
  }

  private id(table: DentrixTable): number {
    return this.next[table]++;
  }

  private inject(kind: DirtKind, item: DirtItem): void {
    this.dirtItems[kind].push(item);
  }

  private modified(day: number): string {
    const r = this.random;
    return isoDateTime(Math.min(this.today, day + r.int(0, 3)), r.int(7 * 60, 18 * 60), r.int(0, 59));
  }

  // ---- the practice ------------------------------------------------------------------------------------------

  private setUpPractice(): void {
    const { faker, random: r } = this;
    this.city = faker.location.city();
    this.state = faker.location.state({ abbreviated: true });
    const name = r.pick([`${this.city} Family Dental`, `${faker.person.lastName()} Dental Group`, `Bright Smiles of ${this.city}`]);
    this.practice = { name, timezone: r.pick(PRACTICE_ZONES), currency: this.options.currency ?? 'USD' };
    this.domain = `${slug(name)}.com`;
    const local = AREA_CODES_BY_ZONE[this.practice.timezone] ?? AREA_CODES_BY_ZONE['America/Chicago']!;
    this.areaCodes = [0, 1, 2].map(() => r.pick(local));
  }

  private async writeReferenceTables(): Promise<void> {
    const { faker, random: r, spec } = this;
    const provider = async (id: string, type: Provider['type'], title: string, specialty: string, inactive: boolean): Promise<void> => {
      const first = faker.person.firstName();
      const last = faker.person.lastName();
      await this.emit('provider', {
        provider_id: id,
        first_name: first,
        last_name: last,
        mi: r.chance(0.4) ? String.fromCharCode(65 + r.int(0, 25)) : null,
        suffix: r.chance(0.05) ? 'Jr.' : null,
        title,
        provider_type: type,
        specialty,
        npi: type === 'assistant' ? null : `1${r.digits(9)}`,
        email: `${slug(first)}.${slug(last)}@${this.domain}`,
        inactive,
        automodifiedtimestamp: this.modified(this.historyStart + r.int(0, 365 * 3)),
      });
    };
    for (let i = 1; i <= spec.dentists; i++) {
      this.dentists.push({ id: `DDS${i}`, type: 'dentist' });
      await provider(`DDS${i}`, 'dentist', r.pick(['DDS', 'DMD']), 'General Dentistry', false);
    }
    // A retired dentist stays in Dentrix as inactive; another was deleted outright (old appointments still name them).
    await provider(`DDS${spec.dentists + 1}`, 'dentist', 'DDS', 'General Dentistry', true);
    this.deletedDentist = `DDS${spec.dentists + 2}`;
    for (let i = 1; i <= spec.hygienists; i++) {
      this.hygienists.push({ id: `HYG${i}`, type: 'hygienist' });
      await provider(`HYG${i}`, 'hygienist', 'RDH', 'Dental Hygiene', false);
    }
    this.deletedHygienist = `HYG${spec.hygienists + 1}`;
    this.facts.deleted_provider_ids = [this.deletedDentist, this.deletedHygienist];
    for (let i = 0; i < spec.specialists; i++) {
      const kind = SPECIALISTS[i % SPECIALISTS.length]!;
      const id = `${kind.prefix}${Math.floor(i / SPECIALISTS.length) + 1}`;
      this.specialists.push({ id, type: 'specialist' });
      await provider(id, 'specialist', r.pick(['DDS', 'DMD']), kind.specialty, false);
    }
    for (let i = 1; i <= spec.assistants; i++) await provider(`DA${i}`, 'assistant', r.pick(['RDA', 'CDA']), 'Dental Assisting', false);

    for (const status of APPT_STATUSES) await this.emit('appt_status', { status_id: status.id, description: status.description });
    for (const type of RECALL_TYPES) {
      const id = this.id('recalltype');
      this.recallTypeIds.set(type.name, id);
      await this.emit('recalltype', { recall_type_id: id, name: type.name, description: type.description, interval_months: type.months, interval_days: type.days });
    }
    for (const code of PROCEDURE_CODES) {
      const id = this.id('proccode');
      const cents = Math.round((code.feeMin + r.next() * (code.feeMax - code.feeMin)) / 5) * 500;
      this.fees.set(code.code, { id, cents, spec: code });
      await this.emit('proccode', {
        proccode_id: id,
        ada_code: code.code,
        abbrev_description: code.abbrev,
        description: code.label,
        category: code.category,
        default_fee: money(cents),
      });
    }
    this.employerCount = Math.max(3, Math.round(spec.patients / 30));
    for (let i = 0; i < this.employerCount; i++) {
      await this.emit('employer', {
        employer_id: this.id('employer'),
        employer_name: faker.company.name(),
        address_line1: faker.location.streetAddress(),
        address_line2: r.chance(0.3) ? `Suite ${r.int(100, 900)}` : null,
        city: r.chance(0.7) ? this.city : faker.location.city(),
        state: this.state,
        zipcode: faker.location.zipCode('#####'),
        phone: r.chance(0.8) ? this.phone() : null,
      });
    }
    const doctorReferrals = Math.max(3, Math.round(spec.patients / 250));
    for (const source of REFERRAL_SOURCES) {
      for (const name of source.names) await this.referral(source.type, name, null, null);
    }
    for (let i = 0; i < doctorReferrals; i++) {
      const first = faker.person.firstName();
      const last = faker.person.lastName();
      await this.referral('doctor', `Dr. ${first} ${last}, DDS`, this.phone(), `${slug(first)}.${slug(last)}@${slug(last)}dental.com`);
    }
    for (let i = 0; i < doctorReferrals; i++) {
      await this.referral('patient', `${faker.person.firstName()} ${faker.person.lastName()}`, r.chance(0.5) ? this.phone() : null, null);
    }
    for (let i = 0; i < spec.carriers; i++) {
      const payer = r.pick(PAYERS);
      await this.emit('inscarrier', {
        ins_id: this.id('inscarrier'),
        ins_co_name: payer.name,
        group_name: `${faker.company.name()} ${r.pick(['PPO', 'DHMO', 'Premier', 'Plus'])}`.slice(0, 33),
        group_number: r.chance(0.5) ? r.digits(r.int(6, 9)) : `${String.fromCharCode(65 + r.int(0, 25))}${r.digits(7)}`,
        payor_id: payer.payerId,
        address_line1: `PO Box ${r.int(1000, 99999)}`,
        address_line2: null,
        city: faker.location.city(),
        state: faker.location.state({ abbreviated: true }),
        zipcode: faker.location.zipCode('#####'),
        phone: `1-800-${r.int(200, 999)}-${r.digits(4)}`,
        annual_max: money(r.pick([1000, 1250, 1500, 2000, 2500]) * 100),
      });
    }
  }

  private async referral(type: string, name: string, phone: string | null, email: string | null): Promise<void> {
    this.referralCount += 1;
    await this.emit('referral', { referral_id: this.id('referral'), referral_type: type, name, phone, email });
  }

  /** Local days whose wall clock skips an hour (gap) or repeats one (overlap) in the practice's zone. */
  private findDstSlots(): DstSlot[] {
    const zone = this.practice.timezone;
    const slots: DstSlot[] = [];
    for (let day = this.historyStart; day <= this.today + 366; day++) {
      const iso = isoDay(day);
      const [year, month, date] = [Number(iso.slice(0, 4)), Number(iso.slice(5, 7)), Number(iso.slice(8, 10))];
      const start = DateTime.fromObject({ year, month, day: date }, { zone });
      if (start.offset === start.plus({ days: 1 }).offset) continue;
      for (let hour = 0; hour < 24; hour++) {
        const at = DateTime.fromObject({ year, month, day: date, hour, minute: 30 }, { zone });
        if (at.hour !== hour) slots.push({ day, hour, kind: 'gap' });
        // An hour that occurs twice: one hour away in absolute time is the same wall-clock hour (whichever offset luxon chose).
        else if (at.plus({ hours: 1 }).hour === hour || at.minus({ hours: 1 }).hour === hour) slots.push({ day, hour, kind: 'overlap' });
      }
    }
    return slots;
  }

  // ---- people ------------------------------------------------------------------------------------------------

  private phone(): string {
    const r = this.random;
    const area = r.pick(this.areaCodes);
    const exchange = this.exchange();
    const line = r.digits(4);
    switch (r.int(0, 7)) {
      case 0:
      case 1:
        return `(${area}) ${exchange}-${line}`;
      case 2:
        return `${area}-${exchange}-${line}`;
      case 3:
        return `${area}.${exchange}.${line}`;
      case 4:
        return `${area}${exchange}${line}`;
      case 5:
        return `${area} ${exchange} ${line}`;
      case 6:
        return `+1 ${area}-${exchange}-${line}`;
      default:
        return `${area}-${exchange}-${line} x${r.int(1, 99)}`;
    }
  }

  /** A central-office code in service: 2–9 first, never N11 (211, 311 … 911 are service codes). */
  private exchange(): string {
    const code = this.random.int(201, 989);
    return String(code % 100 === 11 ? code + 1 : code);
  }

  private malformedPhone(): { value: string; kind: string } {
    const r = this.random;
    const area = r.pick(this.areaCodes);
    const exchange = String(r.int(201, 989));
    const line = r.digits(4);
    switch (this.samplers.malformed_phone.injected % 3) {
      case 0:
        return { value: `${area}-${exchange}-${line.slice(0, 2)}`, kind: 'too_few_digits' };
      case 1:
        return { value: `(${area}) ${exchange}-${line}${r.int(0, 9)}`, kind: 'too_many_digits' };
      default:
        return { value: `${area}-${exchange}-${line.slice(0, 2)}O${line.slice(3)}`, kind: 'letter_for_digit' };
    }
  }

  private malformedEmail(email: string): { value: string; kind: string } {
    const [local = '', domain = ''] = email.split('@');
    switch (this.samplers.malformed_email.injected % 3) {
      case 0:
        return { value: `${local} @${domain} `, kind: 'spaces' };
      case 1:
        return { value: `${local.charAt(0).toUpperCase()}${local.slice(1)}@${domain.toUpperCase()}`, kind: 'upper_case' };
      default:
        return { value: `${local}.${domain}`, kind: 'missing_at' };
    }
  }

  private firstName(sex: 'male' | 'female'): string {
    return this.random.chance(0.06) ? this.random.pick(ACCENTED_FIRST_NAMES) : this.faker.person.firstName(sex);
  }

  private lastName(): string {
    return this.random.chance(0.07) ? this.random.pick(ACCENTED_LAST_NAMES) : this.faker.person.lastName();
  }

  private email(first: string, last: string): string {
    return `${slug(first)}.${slug(last)}${this.random.int(1, 999)}@${this.random.pick(EMAIL_DOMAINS)}`;
  }

  private async family(): Promise<void> {
    const { random: r, faker } = this;
    this.facts.families += 1;
    const size = r.weighted([[1, 35], [2, 25], [3, 15], [4, 15], [5, 7], [6, 3]] as const);
    const familyStatus = r.weighted([[1, 72], [3, 21], [4, 7]] as const);
    const last = this.lastName();
    const adults = size === 1 ? 1 : size === 2 || r.chance(0.75) ? 2 : 1;
    const hasChildren = size > adults;
    const nonPatientGuarantor = hasChildren && r.chance(0.12);

    const members: Member[] = [];
    for (let i = 0; i < size; i++) {
      const child = i >= adults;
      const sex = r.chance(0.5) ? 'male' : 'female';
      const age = child ? r.int(2, 22) : r.int(24, 85);
      members.push({
        id: this.id('patient'),
        first: this.firstName(sex),
        last: i > 0 && r.chance(0.1) ? this.lastName() : last,
        gender: r.chance(0.03) ? null : sex === 'male' ? 1 : 2,
        birthDay: this.today - age * 365 - r.int(0, 364),
        famPos: child ? 3 : adults === 2 ? 2 : r.chance(0.8) ? 1 : 4,
        status: i === 0 && nonPatientGuarantor ? 2 : familyStatus,
        child,
      });
    }
    const guarantor = members[0]!;
    if (nonPatientGuarantor) this.facts.non_patient_guarantors += 1;

    const address = {
      address_line1: faker.location.streetAddress(),
      address_line2: r.chance(0.15) ? faker.location.secondaryAddress() : null,
      city: r.chance(0.75) ? this.city : faker.location.city(),
      state: this.state,
      zipcode: r.chance(0.2) ? faker.location.zipCode('#####-####') : faker.location.zipCode('#####'),
    };
    const homePhone = r.chance(0.7) ? this.phone() : null;
    if (homePhone && size > 1) this.facts.families_sharing_phone += 1;
    const familyEmail = size > 1 && r.chance(0.35) ? `${slug(last)}family${r.int(1, 99)}@${r.pick(EMAIL_DOMAINS)}` : null;
    const guarantorEmail = this.email(guarantor.first, guarantor.last);

    // Insurance: the guarantor subscribes (even as a non-patient); sometimes a spouse adds a secondary plan.
    const insured = familyStatus !== 4 && r.chance(0.68);
    const primaryInsured = insured ? this.id('insured') : null;
    const spouse = adults === 2 ? members[1]! : null;
    const secondaryInsured = insured && spouse && r.chance(0.15) ? this.id('insured') : null;
    const employer = (): number | null => (r.chance(0.5) ? r.int(1, this.employerCount) : null);

    const timelines = new Map<number, Visit[]>();
    for (const member of members) timelines.set(member.id, member.status === 2 ? [] : this.plannedVisits(member));

    const assignedEmails: string[] = [];
    for (const member of members) {
      const visits = timelines.get(member.id)!;
      const done = visits.filter((v) => v.day <= this.today && (v.statusId === STATUS.complete || v.statusId === STATUS.late));
      let email: string | null =
        member === guarantor ? (familyEmail && r.chance(0.5) ? familyEmail : guarantorEmail) : member.child ? (familyEmail ?? guarantorEmail) : r.chance(0.75) ? this.email(member.first, member.last) : (familyEmail ?? guarantorEmail);
      assignedEmails.push(email);
      if (this.samplers.patient_without_email.take()) {
        email = null;
        this.inject('patient_without_email', { table: 'patient', key: String(member.id), column: 'email' });
      } else if (this.samplers.malformed_email.take()) {
        const bad = this.malformedEmail(email);
        email = bad.value;
        this.inject('malformed_email', { table: 'patient', key: String(member.id), column: 'email', kind: bad.kind });
      }
      const phones: Record<'mobile_phone' | 'home_phone' | 'work_phone', string | null> = {
        mobile_phone: !member.child || member.birthDay < this.today - 14 * 365 ? (r.chance(0.85) ? this.phone() : null) : null,
        home_phone: homePhone,
        work_phone: !member.child && r.chance(0.2) ? this.phone() : null,
      };
      for (const column of ['mobile_phone', 'home_phone', 'work_phone'] as const) {
        if (phones[column] !== null && this.samplers.malformed_phone.take()) {
          const bad = this.malformedPhone();
          phones[column] = bad.value;
          this.inject('malformed_phone', { table: 'patient', key: String(member.id), column, kind: bad.kind });
        }
      }
      let birthDate: string | InvalidDate = isoDay(member.birthDay);
      let validBirthDate = true;
      if (this.samplers.invalid_date.take()) {
        const kind = this.samplers.invalid_date.injected % 2 === 1 ? 'zero_date' : 'impossible_date';
        birthDate = { invalid: kind, year: Number(isoDay(member.birthDay).slice(0, 4)) };
        validBirthDate = false;
        this.inject('invalid_date', { table: 'patient', key: String(member.id), column: 'birth_date', kind });
      }
      const row: GenRow = {
        patient_id: member.id,
        patient_guid: this.faker.string.uuid().toUpperCase(),
        chart_num: `${slug(member.last).slice(0, 3).toUpperCase().padEnd(3, 'X')}${String(member.id).padStart(6, '0')}`,
        first_name: member.first,
        last_name: member.last,
        mi: r.chance(0.4) ? String.fromCharCode(65 + r.int(0, 25)) : null,
        preferred_name: r.chance(0.08) ? faker.person.firstName() : null,
        salutation: member.child || r.chance(0.5) ? null : member.gender === 1 ? 'Mr.' : r.pick(['Ms.', 'Mrs.']),
        status: member.status,
        gender: member.gender,
        birth_date: birthDate,
        email,
        ...phones,
        ...address,
        guar_id: guarantor.id,
        fam_pos: member.famPos,
        pri_provider_id: r.pick(this.dentists).id,
        sec_provider_id: r.chance(0.7) ? r.pick(this.hygienists).id : null,
        employer_id: member.child ? null : employer(),
        referred_by_id: member === guarantor && r.chance(0.35) ? r.int(1, this.referralCount) : null,
        prim_insured_id: primaryInsured,
        sec_insured_id: secondaryInsured,
        first_visit_date: done[0] ? isoDay(done[0].day) : null,
        last_visit_date: done.length > 0 ? isoDay(done[done.length - 1]!.day) : null,
        privacy_flags: r.weighted([[0, 90], [1, 3], [2, 3], [4, 2], [3, 1], [6, 1]] as const),
        ssn: !member.child && r.chance(0.6) ? `${r.int(100, 665)}-${r.digits(2)}-${r.digits(4)}` : null,
        automodifiedtimestamp: this.modified(done.length > 0 ? done[done.length - 1]!.day : this.today - r.int(30, 2000)),
      };
      await this.emit('patient', row);
      this.originalPatients += 1;
      if (member.status !== 2 && validBirthDate && email !== null) {
        if (this.samplers.duplicate_patient.take()) await this.duplicatePatient(member, row);
      } else {
        this.samplers.duplicate_patient.skip();
      }
    }
    if (new Set(assignedEmails).size < assignedEmails.length) this.facts.families_sharing_email += 1;

    if (primaryInsured !== null) await this.insured(primaryInsured, guarantor.id);
    if (secondaryInsured !== null && spouse) await this.insured(secondaryInsured, spouse.id);

    const clinicalMembers = members.filter((m) => m.status !== 2);
    if (clinicalMembers.length > 0 && r.chance(0.12)) await this.balanceForward(guarantor.id, clinicalMembers[0]!.id, timelines.get(clinicalMembers[0]!.id)!);
    for (const member of clinicalMembers) await this.clinicalHistory(member, guarantor.id, insured, timelines.get(member.id)!);
  }

  /** The same person entered again as a new patient: same name and birth date, own chart, a new-patient booking. */
  private async duplicatePatient(member: Member, original: GenRow): Promise<void> {
    const r = this.random;
    const id = this.id('patient');
    const bookedDay = weekday(this.today + r.int(1, 45));
    await this.emit('patient', {
      ...original,
      patient_id: id,
      patient_guid: this.faker.string.uuid().toUpperCase(),
      chart_num: `NP${String(id).padStart(6, '0')}`,
      status: 1,
      guar_id: id,
      fam_pos: 1,
      mi: null,
      home_phone: null,
      work_phone: null,
      mobile_phone: this.phone(),
      employer_id: null,
      referred_by_id: null,
      prim_insured_id: null,
      sec_insured_id: null,
      first_visit_date: null,
      last_visit_date: null,
      automodifiedtimestamp: this.modified(this.today - r.int(0, 20)),
    });
    this.inject('duplicate_patient', { table: 'patient', key: String(id), original_key: String(member.id) });
    await this.appointment(id, {
      appointmentId: this.id('appt'),
      day: bookedDay,
      minute: r.int(8, 15) * 60,
      length: 90,
      statusId: STATUS.scheduled,
      providerId: r.pick(this.dentists).id,
      extraProviderId: null,
      type: 'New Patient',
      procedures: [],
      txcaseId: null,
      note: null,
    }, false);
  }

  private async insured(insuredId: number, subscriberId: number): Promise<void> {
    const r = this.random;
    await this.emit('insured', {
      insured_id: insuredId,
      ins_plan_id: r.int(1, this.spec.carriers),
      subscriber_patient_id: subscriberId,
      subscriber_id_num: r.chance(0.5) ? `W${r.digits(9)}` : `${String.fromCharCode(65 + r.int(0, 25))}${String.fromCharCode(65 + r.int(0, 25))}${r.digits(8)}`,
      effective_date: isoDay(this.historyStart + r.int(0, this.today - this.historyStart)),
    });
  }

  /** An opening balance carried over from the previous software and paid off: ledger rows tied to no plan. */
  private async balanceForward(guarantorId: number, patientId: number, visits: Visit[]): Promise<void> {
    const r = this.random;
    const start = visits[0]?.day ?? this.today - r.int(60, 1000);
    const cents = r.int(40, 900) * 100;
    await this.ledger({ guarantorId, patientId, txcaseId: null, day: start, type: 'adjustment', cents, description: 'Balance forward from previous system', claim: 'none' });
    this.facts.balance_forward_entries += 1;
    let left = cents;
    for (let i = 0; i < r.int(1, 3) && left > 0; i++) {
      const paid = i === 2 ? left : Math.min(left, r.int(20, 300) * 100);
      left -= paid;
      await this.ledger({ guarantorId, patientId, txcaseId: null, day: Math.min(this.today, start + 30 * (i + 1)), type: 'patient_payment', cents: -paid, description: 'Payment on balance forward', claim: 'none' });
      this.facts.balance_forward_entries += 1;
    }
  }

  // ---- clinical history --------------------------------------------------------------------------------------

  private code(code: string): { id: number; cents: number; spec: ProcedureCodeSpec } {
    return this.fees.get(code)!;
  }

  private planned(code: string, txcaseId: number | null, tooth?: number): PlannedProcedure {
    const r = this.random;
    const fee = this.code(code);
    const toothNumber = fee.spec.tooth ? (tooth ?? r.pick(TEETH[fee.spec.tooth])) : null;
    return {
      code: fee.spec,
      codeId: fee.id,
      tooth: toothNumber === null ? null : String(toothNumber),
      surfaces: fee.spec.surfaces ? r.pick(fee.spec.surfaces) : null,
      txcaseId,
    };
  }

  /** Recall visits every six months (four for perio patients) across the member's years with the practice. */
  private plannedVisits(member: Member): Visit[] {
    const r = this.random;
    const historyDays = this.today - this.historyStart;
    let start: number;
    let end: number;
    if (member.status === 1) {
      start = this.today - r.int(60, historyDays);
      end = this.today;
    } else {
      end = this.today - r.int(540, Math.max(600, historyDays - 200));
      start = Math.max(this.historyStart, end - r.int(0, member.status === 4 ? 800 : 2000));
    }
    start = Math.max(start, member.birthDay + 2 * 365);
    const perio = !member.child && r.chance(0.15);
    const interval = perio ? 122 : 183;
    const hygienist = r.pick(this.hygienists).id;
    const dentist = r.pick(this.dentists).id;
    const visits: Visit[] = [];
    let lastBitewings = -Infinity;
    let lastFullMouth = -Infinity;
    for (let day = weekday(start); day <= end; day = weekday(day + interval + r.int(-10, 25))) {
      const first = visits.length === 0;
      const statusId = r.weighted([[STATUS.complete, 88], [STATUS.broken, 4], [STATUS.cancelled, 5], [STATUS.late, 3]] as const);
      const procedures: PlannedProcedure[] = [];
      if (first) procedures.push(this.planned('D0150', null));
      else procedures.push(this.planned(perio ? 'D0180' : 'D0120', null));
      procedures.push(this.planned(perio ? 'D4910' : member.birthDay > day - 14 * 365 ? 'D1120' : 'D1110', null));
      if (day - lastFullMouth > 3 * 365) {
        procedures.push(this.planned('D0210', null));
        lastFullMouth = day;
        lastBitewings = day;
      } else if (day - lastBitewings > 365) {
        procedures.push(this.planned('D0274', null));
        lastBitewings = day;
      }
      if (member.birthDay > day - 16 * 365) procedures.push(this.planned('D1206', null));
      visits.push({
        appointmentId: 0,
        day,
        minute: r.int(14, 32) * 30,
        length: first ? 90 : member.child ? 30 : 60,
        statusId,
        providerId: hygienist,
        extraProviderId: r.chance(0.7) ? dentist : null,
        type: first ? 'New Patient' : perio ? 'Perio Maint' : 'Recall',
        procedures,
        txcaseId: null,
        note: r.chance(0.08) ? r.pick(APPOINTMENT_NOTES) : null,
      });
    }
    // The next recall, booked ahead for most active patients.
    if (member.status === 1 && r.chance(0.7)) {
      const lastDay = visits.length > 0 ? visits[visits.length - 1]!.day : this.today;
      const day = weekday(Math.max(this.today + r.int(1, 20), lastDay + interval));
      visits.push({
        appointmentId: 0,
        day: Math.min(day, weekday(this.today + r.int(1, 180))),
        minute: r.int(14, 32) * 30,
        length: member.child ? 30 : 60,
        statusId: r.chance(0.45) ? STATUS.confirmed : STATUS.scheduled,
        providerId: hygienist,
        extraProviderId: r.chance(0.7) ? dentist : null,
        type: perio ? 'Perio Maint' : 'Recall',
        procedures: [this.planned(perio ? 'D4910' : 'D1110', null)],
        txcaseId: null,
        note: null,
      });
    }
    return visits;
  }

  private async clinicalHistory(member: Member, guarantorId: number, insured: boolean, recallVisits: Visit[]): Promise<void> {
    const r = this.random;
    const dentist = r.pick(this.dentists).id;
    const visits = [...recallVisits];
    const completedRecalls = recallVisits.filter((v) => v.day <= this.today && v.statusId !== STATUS.broken && v.statusId !== STATUS.cancelled);

    // Treatment plans, proposed at a recall visit; their work happens at restorative visits after it.
    const planned: { txcaseId: number; procedures: PlannedProcedure[]; day: number }[] = [];
    const planCount = completedRecalls.length > 1 ? r.weighted([[0, 62], [1, 30], [2, 8]] as const) : 0;
    for (let p = 0; p < planCount; p++) {
      const template = r.pick(member.child ? TREATMENT_PLANS.filter((t) => t.codes.every((c) => !c.startsWith('D6') && !c.startsWith('D5'))) : TREATMENT_PLANS);
      const txcaseId = this.id('txcase');
      const createdDay = r.pick(completedRecalls.slice(1)).day;
      const tooth = r.int(1, 32);
      const procedures = template.codes.map((code) => this.planned(code, txcaseId, this.code(code).spec.tooth === 'any' ? tooth : undefined));
      let status = r.weighted([['Proposed', 25], ['Accepted', 12], ['In Progress', 10], ['Completed', 43], ['Rejected', 5], ['On Hold', 5]] as const) as string;
      if (member.status !== 1 && (status === 'Accepted' || status === 'In Progress')) status = 'Completed';
      let workDays: number[] = [];
      if (status === 'Completed' || status === 'In Progress' || status === 'Accepted') {
        const first = weekday(createdDay + r.int(10, 45));
        workDays = procedures.length > 2 ? [first, weekday(first + r.int(14, 30))] : [first];
        if (status === 'Completed' && workDays[workDays.length - 1]! > this.today) status = 'In Progress';
        if (status === 'Accepted') workDays = [weekday(Math.max(first, this.today + r.int(3, 40)))];
      }
      const doneProcedures: PlannedProcedure[] = [];
      workDays.forEach((day, index) => {
        const share = workDays.length === 1 ? procedures : index === 0 ? procedures.slice(0, Math.ceil(procedures.length / 2)) : procedures.slice(Math.ceil(procedures.length / 2));
        const past = day <= this.today;
        if (past) doneProcedures.push(...share);
        visits.push({
          appointmentId: 0,
          day,
          minute: r.int(14, 32) * 30,
          length: 60 + 30 * Math.min(2, share.length - 1),
          statusId: past ? STATUS.complete : r.chance(0.4) ? STATUS.confirmed : STATUS.scheduled,
          providerId: share.some((s) => s.code.category === 'Endodontics') && this.specialists.length > 0 && r.chance(0.3) ? this.specialists[0]!.id : dentist,
          extraProviderId: null,
          type: 'Restorative',
          procedures: share,
          txcaseId,
          note: r.chance(0.05) ? r.pick(APPOINTMENT_NOTES) : null,
        });
      });
      const acceptedDay = status === 'Proposed' || status === 'Rejected' || status === 'On Hold' ? null : Math.min(this.today, createdDay + r.int(0, 14));
      await this.emit('txcase', {
        txcase_id: txcaseId,
        patient_id: member.id,
        description: template.description,
        status,
        provider_id: dentist,
        created_date: isoDay(createdDay),
        accepted_date: acceptedDay === null ? null : isoDay(acceptedDay),
        completed_date: status === 'Completed' ? isoDay(workDays[workDays.length - 1]!) : null,
        automodifiedtimestamp: this.modified(workDays.filter((d) => d <= this.today).pop() ?? createdDay),
      });
      planned.push({ txcaseId, procedures: procedures.filter((p) => !doneProcedures.includes(p)), day: createdDay });
    }
    visits.sort((a, b) => a.day - b.day || a.minute - b.minute);

    let futureRecallAppointment: number | null = null;
    let lastCompletedDay: number | null = null;
    let lastImagingDay: number | null = null;
    for (const visit of visits) {
      visit.appointmentId = this.id('appt');
      await this.appointment(member.id, visit, true);
      if (visit.day > this.today && visit.type !== 'Restorative' && futureRecallAppointment === null) futureRecallAppointment = visit.appointmentId;
      if (visit.day <= this.today && (visit.statusId === STATUS.complete || visit.statusId === STATUS.late)) {
        await this.completedVisit(member, guarantorId, insured, visit);
        if (visit.type !== 'Restorative') lastCompletedDay = visit.day;
        if (visit.procedures.some((p) => p.code.code === 'D0274' || p.code.code === 'D0210')) lastImagingDay = visit.day;
      }
    }
    // Work a plan proposes but nobody has done: planned procedures dated at the plan.
    for (const plan of planned) {
      for (const procedure of plan.procedures) await this.procedure(member.id, procedure, plan.day, 'planned', dentist, insured);
    }
    if (completedRecalls.length > 0 && r.chance(0.15)) {
      await this.procedure(member.id, this.planned(r.pick(['D2740', 'D2391', 'D2750', 'D3330']), null), completedRecalls[0]!.day, 'existing', dentist, insured);
    }
    await this.recalls(member, recallVisits, lastCompletedDay, lastImagingDay, futureRecallAppointment);
    await this.medicalAlerts(member, completedRecalls);
    await this.documents(member, completedRecalls, insured);
  }

  private async appointment(patientId: number, visit: Visit, regular: boolean): Promise<void> {
    const r = this.random;
    let providerId = visit.providerId;
    if (this.samplers.orphan_appt_provider.take()) {
      providerId = visit.providerId.startsWith('HYG') ? this.deletedHygienist : this.deletedDentist;
      this.inject('orphan_appt_provider', { table: 'appt', key: String(visit.appointmentId), column: 'provider_id', references: 'provider', missing_key: providerId });
    }
    const feeCents = visit.procedures.reduce((total, p) => total + this.code(p.code.code).cents, 0);
    if (visit.day > this.today) this.facts.future_appointments += 1;
    await this.emit('appt', {
      appointment_id: visit.appointmentId,
      patient_id: patientId,
      patient_name: null,
      patient_phone: null,
      appointment_date: isoDay(visit.day),
      start_hour: Math.floor(visit.minute / 60),
      start_minute: visit.minute % 60,
      length_minutes: visit.length,
      provider_id: providerId,
      addtnl_provider_id: visit.extraProviderId,
      operatory_id: `OP${r.int(1, this.spec.operatories)}`,
      status_id: visit.statusId,
      appt_type: visit.type,
      reason: visit.procedures.length > 0 ? visit.procedures.map((p) => p.code.abbrev).join(', ') : visit.type,
      note: visit.note,
      amount: feeCents > 0 ? money(feeCents) : null,
      created_date: isoDay(Math.max(this.historyStart - 30, Math.min(visit.day, this.today) - r.int(3, 120))),
      automodifiedtimestamp: this.modified(Math.min(visit.day, this.today)),
    });
    if (!regular) return;
    if (this.samplers.dst_appointment.take() && this.dstSlots.length > 0) await this.dstAppointment(patientId);
    if (this.samplers.new_patient_appointment.take()) await this.newPatientAppointment();
  }

  /** An emergency visit booked at a wall-clock time the practice's zone skips or repeats on a DST change day. */
  private async dstAppointment(patientId: number): Promise<void> {
    const r = this.random;
    const wanted = this.dstToggle++ % 2 === 0 ? 'gap' : 'overlap';
    const candidates = this.dstSlots.filter((slot) => slot.kind === wanted);
    const slot = r.pick(candidates.length > 0 ? candidates : this.dstSlots);
    const minute = r.pick([0, 15, 30, 45]);
    const id = this.id('appt');
    if (slot.day > this.today) this.facts.future_appointments += 1;
    await this.emit('appt', {
      appointment_id: id,
      patient_id: patientId,
      patient_name: null,
      patient_phone: null,
      appointment_date: isoDay(slot.day),
      start_hour: slot.hour,
      start_minute: minute,
      length_minutes: 30,
      provider_id: r.pick(this.dentists).id,
      addtnl_provider_id: null,
      operatory_id: 'OP1',
      status_id: slot.day > this.today ? STATUS.scheduled : STATUS.complete,
      appt_type: 'Emergency',
      reason: 'Pall',
      note: 'After-hours emergency — swelling, LL.',
      amount: null,
      created_date: isoDay(Math.min(slot.day, this.today)),
      automodifiedtimestamp: this.modified(Math.min(slot.day, this.today)),
    });
    this.inject('dst_appointment', { table: 'appt', key: String(id), kind: slot.kind, local_time: `${isoDay(slot.day)}T${pad2(slot.hour)}:${pad2(minute)}:00` });
  }

  /** A first visit booked by phone before anyone created a chart: name and phone on the appointment only. */
  private async newPatientAppointment(): Promise<void> {
    const r = this.random;
    const id = this.id('appt');
    const day = weekday(this.today + r.int(-30, 60));
    if (day > this.today) this.facts.future_appointments += 1;
    await this.emit('appt', {
      appointment_id: id,
      patient_id: null,
      patient_name: `${this.firstName(r.chance(0.5) ? 'male' : 'female')} ${this.lastName()}`,
      patient_phone: this.phone(),
      appointment_date: isoDay(day),
      start_hour: r.int(8, 15),
      start_minute: r.pick([0, 30]),
      length_minutes: 90,
      provider_id: r.pick(this.dentists).id,
      addtnl_provider_id: null,
      operatory_id: `OP${r.int(1, this.spec.operatories)}`,
      status_id: day > this.today ? STATUS.scheduled : STATUS.broken,
      appt_type: 'New Patient',
      reason: 'NP exam, FMX, Pro',
      note: r.chance(0.5) ? 'New pt — insurance info to follow.' : null,
      amount: null,
      created_date: isoDay(Math.min(day, this.today) - r.int(1, 30)),
      automodifiedtimestamp: this.modified(Math.min(day, this.today)),
    });
    this.inject('new_patient_appointment', { table: 'appt', key: String(id), column: 'patient_id' });
  }

  private async procedure(patientId: number, p: PlannedProcedure, day: number, status: 'planned' | 'completed' | 'existing', providerId: string, insured: boolean): Promise<number> {
    const fee = status === 'existing' ? 0 : this.code(p.code.code).cents;
    const estimate = insured && fee > 0 ? Math.round((fee * coverage(p.code.category)) / 100) : null;
    await this.emit('procedure', {
      proc_id: this.id('procedure'),
      patient_id: patientId,
      txcase_id: p.txcaseId,
      proccode_id: p.codeId,
      proc_date: isoDay(day),
      status,
      provider_id: providerId,
      tooth: p.tooth,
      surfaces: p.surfaces,
      fee: money(fee),
      ins_estimate: estimate === null ? null : money(estimate),
      automodifiedtimestamp: this.modified(Math.min(day, this.today)),
    });
    return estimate ?? 0;
  }

  private async ledger(entry: {
    guarantorId: number;
    patientId: number;
    txcaseId: number | null;
    day: number;
    type: string;
    cents: number;
    description: string;
    claim: string;
  }): Promise<void> {
    await this.emit('ledger', {
      ledger_id: this.id('ledger'),
      guar_id: entry.guarantorId,
      patient_id: entry.patientId,
      txcase_id: entry.txcaseId,
      entry_date: isoDay(entry.day),
      entry_type: entry.type,
      amount: money(entry.cents),
      description: entry.description,
      claim_status: entry.claim,
    });
  }

  /** Procedures done, their charges and claim, the patient's payment, and sometimes a clinical note. */
  private async completedVisit(member: Member, guarantorId: number, insured: boolean, visit: Visit): Promise<void> {
    const r = this.random;
    let charged = 0;
    let estimated = 0;
    const recent = visit.day > this.today - 45;
    const claim = !insured ? 'none' : recent ? r.pick(['sent', 'pending']) : r.chance(0.03) ? 'denied' : 'paid';
    for (const p of visit.procedures) {
      estimated += await this.procedure(member.id, p, visit.day, 'completed', visit.providerId, insured);
      const cents = this.code(p.code.code).cents;
      charged += cents;
      await this.ledger({ guarantorId, patientId: member.id, txcaseId: p.txcaseId, day: visit.day, type: 'charge', cents, description: `${p.code.code} ${p.code.abbrev}`, claim });
    }
    if (claim === 'sent' || claim === 'pending') {
      this.facts.in_flight_claims += 1;
      await this.ledger({ guarantorId, patientId: member.id, txcaseId: visit.txcaseId, day: visit.day, type: 'insurance_estimate', cents: -estimated, description: 'Estimated insurance portion', claim });
    } else if (claim === 'paid') {
      const paidDay = Math.min(this.today, visit.day + r.int(14, 40));
      await this.ledger({ guarantorId, patientId: member.id, txcaseId: visit.txcaseId, day: paidDay, type: 'insurance_payment', cents: -estimated, description: `${r.pick(PAYERS).name} EFT`, claim: 'paid' });
      if (r.chance(0.3)) {
        await this.ledger({ guarantorId, patientId: member.id, txcaseId: visit.txcaseId, day: paidDay, type: 'write_off', cents: -Math.round(charged * 0.08), description: 'PPO contractual write-off', claim: 'paid' });
      }
    }
    const patientPortion = claim === 'none' || claim === 'denied' ? charged : charged - estimated;
    if (patientPortion > 0 && r.chance(0.85)) {
      await this.ledger({ guarantorId, patientId: member.id, txcaseId: visit.txcaseId, day: visit.day, type: 'patient_payment', cents: -patientPortion, description: r.pick(['Visa', 'Mastercard', 'Check', 'Cash', 'CareCredit']), claim: 'none' });
    } else if (patientPortion > 0 && r.chance(0.1)) {
      await this.ledger({ guarantorId, patientId: member.id, txcaseId: visit.txcaseId, day: visit.day, type: 'adjustment', cents: -Math.round(patientPortion * 0.1), description: 'Courtesy discount', claim: 'none' });
    }
    if (r.chance(0.3)) await this.clinicalNote(member.id, visit);
  }

  private async clinicalNote(patientId: number, visit: Visit): Promise<void> {
    const r = this.random;
    const lines = [r.pick(NOTE_OPENERS)];
    const long = r.chance(0.04);
    const bodies = long ? r.int(10, 18) : r.int(1, 3);
    for (let i = 0; i < bodies; i++) lines.push(r.pick(NOTE_BODIES));
    lines.push(r.pick(NOTE_CLOSERS));
    const end = visit.minute + visit.length;
    await this.emit('clinical_note', {
      note_id: this.id('clinical_note'),
      patient_id: patientId,
      note_date: isoDateTime(visit.day, Math.min(end, 23 * 60 + 59), r.int(0, 59)),
      provider_id: visit.providerId,
      note_type: visit.type === 'Restorative' ? 'Restorative' : visit.type === 'Perio Maint' ? 'Perio' : 'Hygiene',
      note_text: lines.join('\n'),
    });
  }

  private async recalls(member: Member, visits: Visit[], lastCompleted: number | null, lastImaging: number | null, bookedAppointment: number | null): Promise<void> {
    const r = this.random;
    const perio = visits.some((v) => v.type === 'Perio Maint');
    const types = [perio ? 'Perio' : 'Prophy'];
    if (r.chance(0.8)) types.push('Bitewings');
    if (r.chance(0.3)) types.push('FMX');
    if (r.chance(0.2)) types.push('Exam');
    if (r.chance(0.1)) types.push('Pano');
    const hygienist = visits[0]?.providerId ?? r.pick(this.hygienists).id;
    for (const name of types) {
      const type = RECALL_TYPES.find((t) => t.name === name)!;
      const prior = name === 'Bitewings' || name === 'FMX' || name === 'Pano' ? lastImaging : lastCompleted;
      let due: number | null = prior === null ? weekday(this.today + r.int(1, 60)) : addMonths(prior, type.months, type.days);
      const recallId = this.id('recall');
      if (prior !== null && r.chance(0.05)) {
        due = null; // Dentrix leaves it empty and computes prior + interval
        this.facts.recalls_without_due_date += 1;
      }
      let patientId = member.id;
      if (this.samplers.orphan_recall_patient.take()) {
        patientId = this.id('patient'); // a patient id that was allocated, then the chart deleted
        this.inject('orphan_recall_patient', { table: 'recall', key: String(recallId), column: 'patient_id', references: 'patient', missing_key: String(patientId) });
      }
      await this.emit('recall', {
        recall_id: recallId,
        patient_id: patientId,
        recall_type_id: this.recallTypeIds.get(name)!,
        due_date: due === null ? null : isoDay(due),
        prior_date: prior === null ? null : isoDay(prior),
        set_date: isoDay(prior ?? visits[0]?.day ?? this.today),
        provider_id: name === 'Exam' || name === 'Pano' ? (visits[0]?.extraProviderId ?? hygienist) : hygienist,
        appointment_id: (name === 'Prophy' || name === 'Perio') && bookedAppointment !== null ? bookedAppointment : null,
        automodifiedtimestamp: this.modified(prior ?? this.today - r.int(1, 300)),
      });
    }
  }

  private async medicalAlerts(member: Member, visits: Visit[]): Promise<void> {
    const r = this.random;
    if (!r.chance(0.28)) return;
    for (let i = r.int(1, 3); i > 0; i--) {
      const type = r.weighted([['allergy', 40], ['condition', 30], ['medication', 22], ['premedication', 8]] as const);
      const alert = r.pick(ALERTS[type]);
      await this.emit('medical_alert', {
        alert_id: this.id('medical_alert'),
        patient_id: member.id,
        alert_type: type,
        description: alert.text,
        critical: alert.critical,
        noted_date: isoDay(visits.length > 0 ? r.pick(visits).day : this.today - r.int(30, 900)),
      });
    }
  }

  private async documents(member: Member, visits: Visit[], insured: boolean): Promise<void> {
    const r = this.random;
    if (visits.length === 0 || !r.chance(0.12)) return;
    for (let i = r.int(1, 3); i > 0; i--) {
      const docType = r.weighted([
        ['xray', 35],
        ['intraoral_photo', 15],
        ['pano', 10],
        ['cbct', 5],
        ['consent_form', 15],
        ['referral_letter', 8],
        [insured ? 'insurance_card' : 'other', 8],
        ['other', 4],
      ] as const);
      const documentId = this.id('document');
      const file = makeDocumentFile(docType, documentId, r);
      const filePath = `documents/${String(documentId).padStart(7, '0')}-${docType}.${file.extension}`;
      await this.sink.writeDocument(filePath, file.bytes);
      await this.emit('document', {
        document_id: documentId,
        patient_id: member.id,
        doc_type: docType,
        file_path: filePath,
        description: DOCUMENT_DESCRIPTIONS[docType] ?? 'Scanned document',
        created_date: isoDay(r.pick(visits).day),
        size_bytes: file.bytes.length,
        sha256: sha256(file.bytes),
      });
    }
  }
}

const DOCUMENT_DESCRIPTIONS: Record<string, string> = {
  xray: '4BW radiographs',
  intraoral_photo: 'Intraoral photo, UR',
  pano: 'Panoramic radiograph',
  cbct: 'CBCT slice, implant planning',
  consent_form: 'Signed consent — treatment plan',
  referral_letter: 'Referral letter to specialist',
  insurance_card: 'Insurance card, front',
  other: 'Scanned document',
};

/** Share of the fee a typical PPO pays: 100% preventive, 80% basic, 50% major. */
function coverage(category: string): number {
  if (category === 'Diagnostic' || category === 'Preventive') return 100;
  if (category === 'Crowns' || category === 'Prosthodontics' || category === 'Implants') return 50;
  return 80;
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

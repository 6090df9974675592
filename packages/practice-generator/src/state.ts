/** The state of a practice being generated, and how rows leave it (into the sink, counted, with their dirt recorded). */
import { Faker, base, en, en_US } from '@faker-js/faker';
import { DENTRIX_TABLES, type DentrixTable, type ExtractManifest } from '../../../src/dentrix/types';
import { QuotaSampler, Random } from './random';
import type { GenRow, PracticeSink } from './sinks';
import { DEFAULT_DIRT_RATES, type DirtItem, type DirtKind, type DirtRates, type GeneratorTruth } from './truth';
import { type ProcedureCodeSpec } from './vocabulary';
import { dayOf, isoDateTime } from './formats';
import { DEFAULT_EXTRACT_DATE, PROFILES, type ProfileSpec, type PracticeGenerationOptions } from './profiles';

export interface Provider {
  id: string;
  type: 'dentist' | 'hygienist' | 'specialist' | 'assistant';
}

export interface Member {
  id: number;
  first: string;
  last: string;
  gender: number | null;
  birthDay: number;
  famPos: number;
  status: number;
  child: boolean;
}

export interface Visit {
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

export interface PlannedProcedure {
  code: ProcedureCodeSpec;
  codeId: number;
  tooth: string | null;
  surfaces: string | null;
  txcaseId: number | null;
}

export interface DstSlot {
  day: number;
  hour: number;
  kind: 'gap' | 'overlap';
}

/**
 * Generates one synthetic practice, family by family, into a sink (CSV folder or SQL mirror): only the current
 * family is in memory, so the large profile streams. Every choice comes from the seed, so the same options give
 * the same rows, and the same bytes in a folder.
 */

/**
 * A practice being generated: the seed's randomness, the dirt samplers, the rows counted and numbered per table, the
 * facts for the ground truth, and what later rows refer back to (providers, fees, recall types). The generator is
 * layered on it by concern: contacts.ts, clinical-history.ts, practice.ts.
 */
export abstract class PracticeState {
  protected readonly random: Random;
  protected readonly faker: Faker;
  protected readonly spec: ProfileSpec;
  protected readonly today: number;
  protected readonly historyStart: number;
  protected readonly rates: DirtRates;
  protected readonly samplers: Record<DirtKind, QuotaSampler>;
  protected readonly dirtItems: Record<DirtKind, DirtItem[]>;
  protected readonly counts = Object.fromEntries(DENTRIX_TABLES.map((t) => [t, 0])) as Record<DentrixTable, number>;
  protected readonly next = Object.fromEntries(DENTRIX_TABLES.map((t) => [t, 1])) as Record<DentrixTable, number>;
  protected readonly facts: GeneratorTruth['facts'] = {
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

  protected practice!: ExtractManifest['practice'];
  protected domain!: string;
  protected city!: string;
  protected state!: string;
  protected areaCodes: string[] = [];
  protected dentists: Provider[] = [];
  protected hygienists: Provider[] = [];
  protected specialists: Provider[] = [];
  protected deletedDentist!: string;
  protected deletedHygienist!: string;
  protected fees = new Map<string, { id: number; cents: number; spec: ProcedureCodeSpec }>();
  protected recallTypeIds = new Map<string, number>();
  protected employerCount = 0;
  protected referralCount = 0;
  protected dstSlots: DstSlot[] = [];
  protected dstToggle = 0;
  protected originalPatients = 0;

  constructor(
    protected readonly options: PracticeGenerationOptions,
    protected readonly sink: PracticeSink,
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

  protected async emit(table: DentrixTable, row: GenRow): Promise<void> {
    this.counts[table] += 1;
    const pending = this.sink.write(table, row);
    if (pending) await pending;
  }

  protected id(table: DentrixTable): number {
    return this.next[table]++;
  }

  protected inject(kind: DirtKind, item: DirtItem): void {
    this.dirtItems[kind].push(item);
  }

  protected modified(day: number): string {
    const r = this.random;
    return isoDateTime(Math.min(this.today, day + r.int(0, 3)), r.int(7 * 60, 18 * 60), r.int(0, 59));
  }
}

/** The practice itself: its reference tables (providers, appointment statuses, carriers, employers, procedure codes, recall types, referral sources), then its families, patient by patient. */
import { DateTime } from 'luxon';
import { DENTRIX_TABLES, type ExtractManifest } from '../../../src/dentrix/types';
import type { GenRow, InvalidDate } from './sinks';
import { type DirtKind, type GeneratorTruth } from './truth';
import { APPT_STATUSES, PAYERS, AREA_CODES_BY_ZONE, PRACTICE_ZONES, PROCEDURE_CODES, RECALL_TYPES, REFERRAL_SOURCES, STATUS } from './vocabulary';
import { isoDay, money, weekday, slug } from './formats';
import { type Member, type Visit, type Provider, type DstSlot } from './state';
import { ClinicalHistory } from './clinical-history';
import { EMAIL_DOMAINS } from './contacts';

const SPECIALISTS = [
  { prefix: 'ENDO', specialty: 'Endodontics' },
  { prefix: 'PERI', specialty: 'Periodontics' },
  { prefix: 'ORTH', specialty: 'Orthodontics' },
  { prefix: 'OS', specialty: 'Oral Surgery' },
  { prefix: 'PEDO', specialty: 'Pediatric Dentistry' },
  { prefix: 'PROS', specialty: 'Prosthodontics' },
];

/**
 * Generates one synthetic practice, family by family, into a sink (CSV folder or SQL mirror): only the current
 * family is in memory, so the large profile streams. Every choice comes from the seed, so the same options give
 * the same rows, and the same bytes in a folder.
 */
export class PracticeGenerator extends ClinicalHistory {
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

  protected setUpPractice(): void {
    const { faker, random: r } = this;
    this.city = faker.location.city();
    this.state = faker.location.state({ abbreviated: true });
    const name = r.pick([`${this.city} Family Dental`, `${faker.person.lastName()} Dental Group`, `Bright Smiles of ${this.city}`]);
    this.practice = { name, timezone: r.pick(PRACTICE_ZONES), currency: this.options.currency ?? 'USD' };
    this.domain = `${slug(name)}.com`;
    const local = AREA_CODES_BY_ZONE[this.practice.timezone] ?? AREA_CODES_BY_ZONE['America/Chicago']!;
    this.areaCodes = [0, 1, 2].map(() => r.pick(local));
  }

  protected async writeReferenceTables(): Promise<void> {
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
      await this.emit('recalltype', {
        recall_type_id: id,
        name: type.name,
        description: type.description,
        interval_months: type.months,
        interval_days: type.days,
      });
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

  protected async referral(type: string, name: string, phone: string | null, email: string | null): Promise<void> {
    this.referralCount += 1;
    await this.emit('referral', { referral_id: this.id('referral'), referral_type: type, name, phone, email });
  }

  /** Local days whose wall clock skips an hour (gap) or repeats one (overlap) in the practice's zone. */
  protected findDstSlots(): DstSlot[] {
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

  protected async family(): Promise<void> {
    const { random: r, faker } = this;
    this.facts.families += 1;
    const size = r.weighted([
      [1, 35],
      [2, 25],
      [3, 15],
      [4, 15],
      [5, 7],
      [6, 3],
    ] as const);
    const familyStatus = r.weighted([
      [1, 72],
      [3, 21],
      [4, 7],
    ] as const);
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
        member === guarantor
          ? familyEmail && r.chance(0.5)
            ? familyEmail
            : guarantorEmail
          : member.child
            ? (familyEmail ?? guarantorEmail)
            : r.chance(0.75)
              ? this.email(member.first, member.last)
              : (familyEmail ?? guarantorEmail);
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
        privacy_flags: r.weighted([
          [0, 90],
          [1, 3],
          [2, 3],
          [4, 2],
          [3, 1],
          [6, 1],
        ] as const),
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
  protected async duplicatePatient(member: Member, original: GenRow): Promise<void> {
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
    await this.appointment(
      id,
      {
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
      },
      false,
    );
  }

  protected async insured(insuredId: number, subscriberId: number): Promise<void> {
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
  protected async balanceForward(guarantorId: number, patientId: number, visits: Visit[]): Promise<void> {
    const r = this.random;
    const start = visits[0]?.day ?? this.today - r.int(60, 1000);
    const cents = r.int(40, 900) * 100;
    await this.ledger({
      guarantorId,
      patientId,
      txcaseId: null,
      day: start,
      type: 'adjustment',
      cents,
      description: 'Balance forward from previous system',
      claim: 'none',
    });
    this.facts.balance_forward_entries += 1;
    let left = cents;
    for (let i = 0; i < r.int(1, 3) && left > 0; i++) {
      const paid = i === 2 ? left : Math.min(left, r.int(20, 300) * 100);
      left -= paid;
      await this.ledger({
        guarantorId,
        patientId,
        txcaseId: null,
        day: Math.min(this.today, start + 30 * (i + 1)),
        type: 'patient_payment',
        cents: -paid,
        description: 'Payment on balance forward',
        claim: 'none',
      });
      this.facts.balance_forward_entries += 1;
    }
  }
}

/** A patient's clinical history: visits, procedures, appointments (DST edge cases included), ledger, notes, recalls, alerts, documents. */
import { createHash } from 'node:crypto';
import { makeDocumentFile } from './documents';
import {
  ALERTS,
  APPOINTMENT_NOTES,
  NOTE_BODIES,
  NOTE_CLOSERS,
  NOTE_OPENERS,
  PAYERS,
  type ProcedureCodeSpec,
  RECALL_TYPES,
  STATUS,
  TREATMENT_PLANS,
} from './vocabulary';
import { isoDay, pad2, isoDateTime, money, addMonths, weekday } from './formats';
import { type Member, type Visit, type PlannedProcedure } from './state';
import { PracticeContacts } from './contacts';

const TEETH = {
  any: Array.from({ length: 32 }, (_, i) => i + 1),
  anterior: [6, 7, 8, 9, 10, 11, 22, 23, 24, 25, 26, 27],
  premolar: [4, 5, 12, 13, 20, 21, 28, 29],
  molar: [1, 2, 3, 14, 15, 16, 17, 18, 19, 30, 31, 32],
  posterior: [1, 2, 3, 4, 5, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 28, 29, 30, 31, 32],
} as const;

export abstract class ClinicalHistory extends PracticeContacts {
  protected code(code: string): { id: number; cents: number; spec: ProcedureCodeSpec } {
    return this.fees.get(code)!;
  }

  protected planned(code: string, txcaseId: number | null, tooth?: number): PlannedProcedure {
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
  protected plannedVisits(member: Member): Visit[] {
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
      const statusId = r.weighted([
        [STATUS.complete, 88],
        [STATUS.broken, 4],
        [STATUS.cancelled, 5],
        [STATUS.late, 3],
      ] as const);
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

  protected async clinicalHistory(member: Member, guarantorId: number, insured: boolean, recallVisits: Visit[]): Promise<void> {
    const r = this.random;
    const dentist = r.pick(this.dentists).id;
    const visits = [...recallVisits];
    const completedRecalls = recallVisits.filter((v) => v.day <= this.today && v.statusId !== STATUS.broken && v.statusId !== STATUS.cancelled);

    // Treatment plans, proposed at a recall visit; their work happens at restorative visits after it.
    const planned: { txcaseId: number; procedures: PlannedProcedure[]; day: number }[] = [];
    const planCount =
      completedRecalls.length > 1
        ? r.weighted([
            [0, 62],
            [1, 30],
            [2, 8],
          ] as const)
        : 0;
    for (let p = 0; p < planCount; p++) {
      const template = r.pick(member.child ? TREATMENT_PLANS.filter((t) => t.codes.every((c) => !c.startsWith('D6') && !c.startsWith('D5'))) : TREATMENT_PLANS);
      const txcaseId = this.id('txcase');
      const createdDay = r.pick(completedRecalls.slice(1)).day;
      const tooth = r.int(1, 32);
      const procedures = template.codes.map((code) => this.planned(code, txcaseId, this.code(code).spec.tooth === 'any' ? tooth : undefined));
      let status = r.weighted([
        ['Proposed', 25],
        ['Accepted', 12],
        ['In Progress', 10],
        ['Completed', 43],
        ['Rejected', 5],
        ['On Hold', 5],
      ] as const) as string;
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
        const share =
          workDays.length === 1
            ? procedures
            : index === 0
              ? procedures.slice(0, Math.ceil(procedures.length / 2))
              : procedures.slice(Math.ceil(procedures.length / 2));
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

  protected async appointment(patientId: number, visit: Visit, regular: boolean): Promise<void> {
    const r = this.random;
    let providerId = visit.providerId;
    if (this.samplers.orphan_appt_provider.take()) {
      providerId = visit.providerId.startsWith('HYG') ? this.deletedHygienist : this.deletedDentist;
      this.inject('orphan_appt_provider', {
        table: 'appt',
        key: String(visit.appointmentId),
        column: 'provider_id',
        references: 'provider',
        missing_key: providerId,
      });
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
  protected async dstAppointment(patientId: number): Promise<void> {
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
    this.inject('dst_appointment', {
      table: 'appt',
      key: String(id),
      kind: slot.kind,
      local_time: `${isoDay(slot.day)}T${pad2(slot.hour)}:${pad2(minute)}:00`,
    });
  }

  /** A first visit booked by phone before anyone created a chart: name and phone on the appointment only. */
  protected async newPatientAppointment(): Promise<void> {
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

  protected async procedure(
    patientId: number,
    p: PlannedProcedure,
    day: number,
    status: 'planned' | 'completed' | 'existing',
    providerId: string,
    insured: boolean,
  ): Promise<number> {
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

  protected async ledger(entry: {
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
  protected async completedVisit(member: Member, guarantorId: number, insured: boolean, visit: Visit): Promise<void> {
    const r = this.random;
    let charged = 0;
    let estimated = 0;
    const recent = visit.day > this.today - 45;
    const claim = !insured ? 'none' : recent ? r.pick(['sent', 'pending']) : r.chance(0.03) ? 'denied' : 'paid';
    for (const p of visit.procedures) {
      estimated += await this.procedure(member.id, p, visit.day, 'completed', visit.providerId, insured);
      const cents = this.code(p.code.code).cents;
      charged += cents;
      await this.ledger({
        guarantorId,
        patientId: member.id,
        txcaseId: p.txcaseId,
        day: visit.day,
        type: 'charge',
        cents,
        description: `${p.code.code} ${p.code.abbrev}`,
        claim,
      });
    }
    if (claim === 'sent' || claim === 'pending') {
      this.facts.in_flight_claims += 1;
      await this.ledger({
        guarantorId,
        patientId: member.id,
        txcaseId: visit.txcaseId,
        day: visit.day,
        type: 'insurance_estimate',
        cents: -estimated,
        description: 'Estimated insurance portion',
        claim,
      });
    } else if (claim === 'paid') {
      const paidDay = Math.min(this.today, visit.day + r.int(14, 40));
      await this.ledger({
        guarantorId,
        patientId: member.id,
        txcaseId: visit.txcaseId,
        day: paidDay,
        type: 'insurance_payment',
        cents: -estimated,
        description: `${r.pick(PAYERS).name} EFT`,
        claim: 'paid',
      });
      if (r.chance(0.3)) {
        await this.ledger({
          guarantorId,
          patientId: member.id,
          txcaseId: visit.txcaseId,
          day: paidDay,
          type: 'write_off',
          cents: -Math.round(charged * 0.08),
          description: 'PPO contractual write-off',
          claim: 'paid',
        });
      }
    }
    const patientPortion = claim === 'none' || claim === 'denied' ? charged : charged - estimated;
    if (patientPortion > 0 && r.chance(0.85)) {
      await this.ledger({
        guarantorId,
        patientId: member.id,
        txcaseId: visit.txcaseId,
        day: visit.day,
        type: 'patient_payment',
        cents: -patientPortion,
        description: r.pick(['Visa', 'Mastercard', 'Check', 'Cash', 'CareCredit']),
        claim: 'none',
      });
    } else if (patientPortion > 0 && r.chance(0.1)) {
      await this.ledger({
        guarantorId,
        patientId: member.id,
        txcaseId: visit.txcaseId,
        day: visit.day,
        type: 'adjustment',
        cents: -Math.round(patientPortion * 0.1),
        description: 'Courtesy discount',
        claim: 'none',
      });
    }
    if (r.chance(0.3)) await this.clinicalNote(member.id, visit);
  }

  protected async clinicalNote(patientId: number, visit: Visit): Promise<void> {
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

  protected async recalls(
    member: Member,
    visits: Visit[],
    lastCompleted: number | null,
    lastImaging: number | null,
    bookedAppointment: number | null,
  ): Promise<void> {
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
        this.inject('orphan_recall_patient', {
          table: 'recall',
          key: String(recallId),
          column: 'patient_id',
          references: 'patient',
          missing_key: String(patientId),
        });
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

  protected async medicalAlerts(member: Member, visits: Visit[]): Promise<void> {
    const r = this.random;
    if (!r.chance(0.28)) return;
    for (let i = r.int(1, 3); i > 0; i--) {
      const type = r.weighted([
        ['allergy', 40],
        ['condition', 30],
        ['medication', 22],
        ['premedication', 8],
      ] as const);
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

  protected async documents(member: Member, visits: Visit[], insured: boolean): Promise<void> {
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

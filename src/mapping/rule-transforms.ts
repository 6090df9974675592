/**
 * The named transforms a field rule can use, each with a zod schema for its parameters (checked when a map is
 * parsed) and a pure `apply`. Reference transforms also list, before building, the Pipedrive ids they need.
 * Reasons and warnings name columns and source keys, never values.
 */
import { z } from 'zod';
import { REF_TARGETS, type RefTarget } from '../object-types/registry';
import type { ClinicalNoteRow, LedgerRow, MedicalAlertRow } from '../dentrix/types';
import type { SourceBundle } from './bundles';
import { rowOf } from './bundles';
import type { BuildContext } from './context';
import type { AppointmentStatus } from './derived';
import type { FieldMap, MapOptions } from './field-map';
import { fileNameWithKey, sourceKeys } from './source-keys';
import {
  InvalidDateTimeError,
  bookingName,
  cleanText,
  formatDuration,
  fullName,
  isValidLocalDate,
  localDateToUtcIso,
  monetary,
  normaliseEmails,
  normaliseName,
  normalisePhone,
  normalisePhones,
  planStageOf,
  roundMoney,
  singleLine,
  sumMoney,
  toUtcDue,
  toUtcIso,
  toUtcTimestamp,
  lookupValue,
  type RecallDue,
} from './transforms';
import type { FieldValue, RefKey, RefObjectType, WarningCode } from './types';
import type { TransformName } from './transform-names';

export { TRANSFORM_NAMES, type TransformName } from './transform-names';

export interface RuleEnv {
  ctx: BuildContext;
  options: MapOptions;
  sourceKey: string;
  bundle: SourceBundle;
}

export interface RuleWarning {
  column: string | null;
  code: WarningCode;
  reason: string;
}

export interface RuleResult {
  value: FieldValue;
  warnings?: RuleWarning[];
  /** The record cannot be built: quarantined with this column and reason. */
  reject?: { column: string | null; reason: string };
  /** The record is skipped by rule with this reason. */
  skip?: string;
  refs?: RefKey[];
}

export interface RuleInput<P> {
  /** The rule's column values in order, or the derived source's value as the only element, or [] for constants. */
  values: unknown[];
  columns: readonly string[];
  params: P;
  env: RuleEnv;
}

export interface RefListInput<P> {
  values: unknown[];
  params: P;
  options: MapOptions;
  map: FieldMap;
}

interface TransformDef<S extends z.ZodType> {
  params: S;
  description: string;
  apply(input: RuleInput<z.output<S>>): RuleResult;
  refs?(input: RefListInput<z.output<S>>): RefKey[];
}

function define<S extends z.ZodType>(def: TransformDef<S>): TransformDef<S> {
  return def;
}

const NO_PARAMS = z.object({}).strict();
const none = (value: FieldValue = null): RuleResult => ({ value });

function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

function number(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function firstColumn(input: { columns: readonly string[] }): string | null {
  return input.columns[0] ?? null;
}

// --- references ---------------------------------------------------------------------------------------------

const REF_PREFIXES = ['provider', 'household', 'employer', 'referral', 'carrier', 'patient', 'txcase', 'proccode'] as const;
type RefPrefix = (typeof REF_PREFIXES)[number];

const RefParams = z
  .object({
    objectType: z.enum(REF_TARGETS as [RefTarget, ...RefTarget[]]),
    prefix: z.enum(REF_PREFIXES),
    /** Required: the record is rejected without it. Optional: the link is left empty with a warning. */
    required: z.boolean().default(false),
    /** `fallback_owner`: an unmatched or missing provider falls back to the configured owner. */
    fallback: z.enum(['none', 'fallback_owner']).default('none'),
  })
  .strict();

function refKeyFor(prefix: RefPrefix, value: unknown): string | null {
  const id = text(value)?.trim();
  if (!id) return null;
  if (prefix === 'provider') return sourceKeys.provider(id);
  return /^\d+$/u.test(id) ? `${prefix}:${Number(id)}` : null;
}

interface ResolveOptions {
  required: boolean;
  fallbackOwner: boolean;
  column: string | null;
}

function resolveRef(env: RuleEnv, ref: RefKey | null, options: ResolveOptions): RuleResult {
  const { required, fallbackOwner, column } = options;
  if (ref === null) {
    if (fallbackOwner) {
      return { value: env.ctx.fallbackOwnerId, warnings: [{ column, code: 'fallback_owner', reason: `${column ?? 'provider'} is empty: fallback owner` }] };
    }
    return required ? { value: null, reject: { column, reason: `${column ?? 'reference'} is empty` } } : none();
  }
  const id = env.ctx.resolveRef(ref.objectType, ref.sourceKey);
  if (id !== undefined) return { value: id, refs: [ref] };
  if (fallbackOwner) {
    return {
      value: env.ctx.fallbackOwnerId,
      warnings: [{ column, code: 'fallback_owner', reason: `${ref.sourceKey} has no matching Pipedrive user: fallback owner` }],
    };
  }
  const reason = `${ref.objectType} ${ref.sourceKey} has no Pipedrive id (missing from the source or rejected)`;
  return required
    ? { value: null, reject: { column, reason } }
    : { value: null, warnings: [{ column, code: 'unresolved_optional_reference', reason: `${reason}: link left empty` }] };
}

function pipelineDef(map: FieldMap, name: string) {
  const pipeline = map.objects.pipelines.find((p) => p.name === name);
  if (!pipeline) throw new Error(`pipeline ${name} is not defined in the field map`);
  return pipeline;
}

const PipelineParams = z.object({ pipeline: z.string().min(1) }).strict();
const UNMAPPED_PLAN_STATUS = 'treatment-plan status has no entry in the pipeline status map';

function planMapping(map: FieldMap, pipeline: string, status: unknown) {
  return planStageOf(text(status), pipelineDef(map, pipeline).statusMap);
}

// --- dates and times ----------------------------------------------------------------------------------------

function dstWarnings(column: string | null, conversion: { dstGap: boolean; dstOverlap: boolean }): RuleWarning[] {
  const warnings: RuleWarning[] = [];
  if (conversion.dstGap) {
    warnings.push({ column, code: 'dst_gap_shifted', reason: 'local time falls in the daylight-saving gap: shifted forward' });
  }
  if (conversion.dstOverlap) {
    warnings.push({ column, code: 'dst_overlap_earlier_offset', reason: 'local time occurs twice (daylight-saving overlap): earlier offset used' });
  }
  return warnings;
}

const DateTimeParams = z
  .object({
    format: z.enum(['v1_timestamp', 'rfc3339', 'due_date', 'due_time']),
    required: z.boolean().default(false),
    /** The column named in rejects and warnings (for derived sources). */
    column: z.string().optional(),
    /** Report daylight-saving adjustments (off for the second of two rules converting the same time). */
    reportDst: z.boolean().default(true),
  })
  .strict();

// --- the registry ---------------------------------------------------------------------------------------------

export const TRANSFORMS: Record<TransformName, TransformDef<z.ZodType>> = {
  not_migrated: define({ params: NO_PARAMS, description: 'nothing moves', apply: () => none() }),

  text: define({
    params: z.object({ multiline: z.boolean().default(false) }).strict(),
    description: 'trimmed text (one line unless multiline)',
    apply: ({ values, params }) => none(params.multiline ? cleanText(text(values[0])) : singleLine(text(values[0]))),
  }),

  constant: define({
    params: z.object({ value: z.union([z.string(), z.number(), z.boolean()]) }).strict(),
    description: 'a fixed value',
    apply: ({ params }) => none(params.value),
  }),

  source_key: define({
    params: NO_PARAMS,
    description: 'the record source key',
    apply: ({ env }) => none(env.sourceKey),
  }),

  person_name: define({
    params: NO_PARAMS,
    description: 'First Last, normalised; rejects a patient with no name',
    apply: ({ values }) => {
      const name = fullName(text(values[0]), text(values[1]));
      return name === null
        ? { value: null, reject: { column: 'first_name', reason: 'patient has neither a first nor a last name' } }
        : none(name);
    },
  }),

  name: define({
    params: NO_PARAMS,
    description: 'a name, normalised (title case only when typed all-caps or all-lower)',
    apply: ({ values }) => none(normaliseName(text(values[0]))),
  }),

  booking_name: define({
    params: NO_PARAMS,
    description: 'the booking name (Last, First → First Last); rejects a booking without a name',
    apply: (input) => {
      const name = bookingName(text(input.values[0]));
      return name === null ? { value: null, reject: { column: firstColumn(input), reason: 'booking has no patient name' } } : none(name);
    },
  }),

  household_name: define({
    params: z.object({ suffix: z.string().min(1) }).strict(),
    description: 'the guarantor name followed by the suffix',
    apply: ({ values, params, env }) => {
      const name = fullName(text(values[0]), text(values[1]));
      return none(name === null ? `${params.suffix} ${env.sourceKey.split(':')[1] ?? ''}`.trim() : `${name} ${params.suffix}`);
    },
  }),

  org_name: define({
    params: NO_PARAMS,
    description: 'an organization name; rejects a row without one',
    apply: (input) => {
      const name = singleLine(text(input.values[0]));
      return name === null ? { value: null, reject: { column: firstColumn(input), reason: 'no name' } } : none(name);
    },
  }),

  carrier_name: define({
    params: NO_PARAMS,
    description: 'carrier name, with the group number when present (carriers are per plan group in Dentrix)',
    apply: (input) => {
      const name = singleLine(text(input.values[0]));
      const group = singleLine(text(input.values[1]));
      if (name === null) return { value: null, reject: { column: firstColumn(input), reason: 'no carrier name' } };
      return none(group === null ? name : `${name} (group ${group})`);
    },
  }),

  product_name: define({
    params: NO_PARAMS,
    description: 'CDT code and description (D2750 Crown - porcelain fused to high noble metal)',
    apply: (input) => {
      const [code, description, abbreviation] = input.values.map((v) => singleLine(text(v)));
      const label = description ?? abbreviation ?? null;
      const name = [code?.toUpperCase(), label].filter((p): p is string => !!p).join(' ');
      return name === '' ? { value: null, reject: { column: firstColumn(input), reason: 'procedure code has no code and no description' } } : none(name);
    },
  }),

  plan_title: define({
    params: z.object({ prefix: z.string().min(1) }).strict(),
    description: 'Treatment plan <id>: <description>',
    apply: ({ values, params }) => {
      const description = singleLine(text(values[1]));
      const head = `${params.prefix} ${text(values[0]) ?? ''}`.trim();
      return none(description === null ? head : `${head}: ${description}`);
    },
  }),

  emails: define({
    params: z.object({ label: z.enum(['work', 'home', 'other']) }).strict(),
    description: 'emails trimmed, lower-cased and validated; invalid ones dropped and counted',
    apply: (input) => {
      const { emails, invalid } = normaliseEmails(text(input.values[0]));
      const warnings: RuleWarning[] = Array.from({ length: invalid }, () => ({
        column: firstColumn(input),
        code: 'invalid_email_dropped' as const,
        reason: 'not a valid email address: dropped',
      }));
      const value = emails.length === 0 ? null : emails.map((email, i) => ({ value: email, label: input.params.label, primary: i === 0 }));
      return { value, warnings };
    },
  }),

  email: define({
    params: NO_PARAMS,
    description: 'one email address, validated',
    apply: (input) => {
      const { emails, invalid } = normaliseEmails(text(input.values[0]));
      const warnings: RuleWarning[] =
        emails.length === 0 && invalid > 0
          ? [{ column: firstColumn(input), code: 'invalid_email_dropped', reason: 'not a valid email address: dropped' }]
          : [];
      return { value: emails[0] ?? null, warnings };
    },
  }),

  missing_email_flag: define({
    params: z.object({ label: z.string().min(1) }).strict(),
    description: 'the label when there is no valid email, so staff can complete contact details',
    apply: ({ values, params }) => none(normaliseEmails(text(values[0])).emails.length === 0 ? params.label : null),
  }),

  phones: define({
    params: z.object({ labels: z.array(z.enum(['work', 'home', 'mobile', 'other'])).min(1) }).strict(),
    description: 'phones to E.164 with label and extension; invalid ones dropped and counted',
    apply: ({ values, columns, params, env }) => {
      const entries = params.labels.map((label, i) => ({ raw: text(values[i]), label }));
      const { phones, invalidLabels } = normalisePhones(entries, env.options.phoneRegion);
      const warnings: RuleWarning[] = invalidLabels.map((label) => ({
        column: columns[params.labels.indexOf(label as never)] ?? null,
        code: 'invalid_phone_dropped' as const,
        reason: `${label} phone is not a valid number: dropped`,
      }));
      return { value: phones.length === 0 ? null : phones, warnings };
    },
  }),

  phone: define({
    params: NO_PARAMS,
    description: 'one phone to E.164 (extension kept)',
    apply: (input) => {
      const parsed = normalisePhone(text(input.values[0]), input.env.options.phoneRegion);
      if (parsed.ok) return none(parsed.value);
      return parsed.reason === 'invalid'
        ? { value: null, warnings: [{ column: firstColumn(input), code: 'invalid_phone_dropped', reason: 'not a valid phone number: dropped' }] }
        : none();
    },
  }),

  invalid_phones: define({
    params: z.object({ labels: z.array(z.enum(['work', 'home', 'mobile', 'other'])).min(1) }).strict(),
    description: 'the phones that did not validate, as typed, for staff to review',
    apply: ({ values, params, env }) => {
      const entries = params.labels.map((label, i) => ({ raw: text(values[i]), label }));
      const { invalidRaw } = normalisePhones(entries, env.options.phoneRegion);
      return none(invalidRaw.length === 0 ? null : invalidRaw.map((p) => `${p.label}: ${p.raw}`).join('; '));
    },
  }),

  address: define({
    params: NO_PARAMS,
    description: 'line 1, line 2, city, state zip on one line',
    apply: ({ values }) => {
      const [line1, line2, city, state, zip] = values.map((v) => singleLine(text(v)));
      const stateZip = [state, zip].filter((p): p is string => !!p).join(' ');
      const parts = [line1, line2, city, stateZip].filter((p): p is string => !!p);
      return none(parts.length === 0 ? null : parts.join(', '));
    },
  }),

  ref: define({
    params: RefParams,
    description: 'the Pipedrive id of a referenced record',
    apply: (input) => {
      const key = refKeyFor(input.params.prefix, input.values[0]);
      const ref = key === null ? null : { objectType: input.params.objectType, sourceKey: key };
      return resolveRef(input.env, ref, {
        required: input.params.required,
        fallbackOwner: input.params.fallback === 'fallback_owner',
        column: firstColumn(input),
      });
    },
    refs: ({ values, params }) => {
      const key = refKeyFor(params.prefix, values[0]);
      return key === null ? [] : [{ objectType: params.objectType, sourceKey: key }];
    },
  }),

  appointment_person: define({
    params: NO_PARAMS,
    description: 'the patient person, or the new-patient person of a booking without a patient record',
    apply: (input) => {
      const ref = appointmentPersonRef(input.values, input.env.options);
      if (ref === null) {
        return { value: null, skip: 'new-patient booking without a patient record (option newPatientBooking = skip)' };
      }
      return resolveRef(input.env, ref, { required: true, fallbackOwner: false, column: firstColumn(input) });
    },
    refs: ({ values, options }) => {
      const ref = appointmentPersonRef(values, options);
      return ref === null ? [] : [ref];
    },
  }),

  pipeline: define({
    params: PipelineParams,
    description: 'the id of the pipeline the SCHEMA phase created',
    apply: ({ params, env }) =>
      resolveRef(env, { objectType: 'pipeline', sourceKey: sourceKeys.pipeline(params.pipeline) }, { required: true, fallbackOwner: false, column: null }),
    refs: ({ params }) => [{ objectType: 'pipeline', sourceKey: sourceKeys.pipeline(params.pipeline) }],
  }),

  plan_stage: define({
    params: PipelineParams,
    description: 'treatment-plan status → the stage id, by the pipeline status map',
    apply: (input) => {
      const mapping = planMapping(input.env.ctx.map, input.params.pipeline, input.values[0]);
      if (!mapping) return { value: null, reject: { column: firstColumn(input), reason: UNMAPPED_PLAN_STATUS } };
      const ref = { objectType: 'stage' as const, sourceKey: sourceKeys.stage(input.params.pipeline, mapping.stage) };
      return resolveRef(input.env, ref, { required: true, fallbackOwner: false, column: null });
    },
    refs: ({ values, params, map }) => {
      const mapping = planMapping(map, params.pipeline, values[0]);
      return mapping ? [{ objectType: 'stage', sourceKey: sourceKeys.stage(params.pipeline, mapping.stage) }] : [];
    },
  }),

  plan_status: define({
    params: PipelineParams,
    description: 'treatment-plan status → deal status (open, won, lost), by the pipeline status map',
    apply: (input) => {
      const mapping = planMapping(input.env.ctx.map, input.params.pipeline, input.values[0]);
      return mapping ? none(mapping.status) : { value: null, reject: { column: firstColumn(input), reason: UNMAPPED_PLAN_STATUS } };
    },
  }),

  plan_lost_reason: define({
    params: PipelineParams,
    description: 'the lost reason of a status that maps to lost',
    apply: ({ values, params, env }) => {
      const mapping = planMapping(env.ctx.map, params.pipeline, values[0]);
      return none(mapping?.status === 'lost' ? (mapping.lostReason ?? null) : null);
    },
  }),

  value_map: define({
    params: z
      .object({
        map: z.record(z.string(), z.string().min(1)),
        /** What a value missing from the map does: empty field, empty field with a warning, or reject. */
        onUnmapped: z.enum(['null', 'warn', 'reject']).default('warn'),
      })
      .strict(),
    description: 'a code or label → a target label',
    apply: (input) => {
      const raw = input.values[0];
      if (raw === null || raw === undefined || text(raw)?.trim() === '') return none();
      const label = lookupValue(raw, input.params.map);
      if (label !== undefined) return none(label);
      const column = firstColumn(input);
      switch (input.params.onUnmapped) {
        case 'null':
          return none();
        case 'warn':
          return { value: null, warnings: [{ column, code: 'unmapped_value', reason: 'value not in the value map: left empty' }] };
        case 'reject':
          return { value: null, reject: { column, reason: 'value not in the value map' } };
      }
    },
  }),

  bit_flags: define({
    params: z.object({ flags: z.record(z.string().regex(/^\d+$/u), z.string().min(1)) }).strict(),
    description: 'a bitmask → the labels of the bits set',
    apply: ({ values, params }) => {
      const mask = number(values[0]);
      if (mask === null) return none();
      const labels = Object.entries(params.flags)
        .filter(([bit]) => (mask & Number(bit)) !== 0)
        .map(([, label]) => label);
      return none(labels.length === 0 ? null : labels);
    },
  }),

  date: define({
    params: NO_PARAMS,
    description: 'a calendar date (YYYY-MM-DD)',
    apply: (input) => {
      const value = text(input.values[0]);
      if (value === null) return none();
      return isValidLocalDate(value)
        ? none(value)
        : { value: null, warnings: [{ column: firstColumn(input), code: 'invalid_value_dropped', reason: 'not a calendar date: dropped' }] };
    },
  }),

  local_date_to_utc: define({
    params: NO_PARAMS,
    description: 'a local date as the UTC instant of its start of day (RFC 3339), for v2 add_time',
    apply: (input) => {
      const value = text(input.values[0]);
      if (value === null) return none();
      try {
        return none(localDateToUtcIso(value, input.env.ctx.timezone));
      } catch (error) {
        if (!(error instanceof InvalidDateTimeError)) throw error;
        return { value: null, warnings: [{ column: firstColumn(input), code: 'invalid_value_dropped', reason: `${error.reason}: dropped` }] };
      }
    },
  }),

  local_datetime_to_utc: define({
    params: DateTimeParams,
    description: 'a local date-time in the practice zone → UTC (due_date, due_time, v1 timestamp or RFC 3339)',
    apply: (input) => {
      const column = input.params.column ?? firstColumn(input);
      const value = text(input.values[0]);
      if (value === null) {
        return input.params.required ? { value: null, reject: { column, reason: 'date or time missing or out of range' } } : none();
      }
      try {
        const zone = input.env.ctx.timezone;
        const { format } = input.params;
        const converted =
          format === 'due_date' || format === 'due_time'
            ? (() => {
                const due = toUtcDue(value, zone);
                return { ...due, value: format === 'due_date' ? due.due_date : due.due_time };
              })()
            : format === 'v1_timestamp'
              ? (() => {
                  const ts = toUtcTimestamp(value, zone);
                  return { ...ts, value: ts.timestamp };
                })()
              : (() => {
                  const iso = toUtcIso(value, zone);
                  return { ...iso, value: iso.iso };
                })();
        return { value: converted.value, warnings: input.params.reportDst ? dstWarnings(column, converted) : [] };
      } catch (error) {
        if (!(error instanceof InvalidDateTimeError)) throw error;
        return input.params.required
          ? { value: null, reject: { column, reason: error.reason } }
          : { value: null, warnings: [{ column, code: 'invalid_value_dropped', reason: `${error.reason}: dropped` }] };
      }
    },
  }),

  duration: define({
    params: NO_PARAMS,
    description: 'minutes → HH:MM',
    apply: ({ values }) => none(formatDuration(number(values[0]))),
  }),

  money: define({
    params: NO_PARAMS,
    description: 'an amount rounded to cents',
    apply: ({ values }) => {
      const amount = number(values[0]);
      return none(amount === null ? null : roundMoney(amount));
    },
  }),

  monetary: define({
    params: NO_PARAMS,
    description: 'an amount in the practice currency ({value, currency})',
    apply: ({ values, env }) => {
      const amount = number(values[0]);
      return none(amount === null ? null : monetary(amount, env.ctx.currency));
    },
  }),

  currency: define({
    params: NO_PARAMS,
    description: 'the practice currency',
    apply: ({ env }) => none(env.ctx.currency.toUpperCase()),
  }),

  prices: define({
    params: NO_PARAMS,
    description: 'a fee as the product price in the practice currency',
    apply: ({ values, env }) => {
      const fee = number(values[0]);
      return none(fee === null ? null : [{ currency: env.ctx.currency.toUpperCase(), price: roundMoney(fee) }]);
    },
  }),

  procedure_price: define({
    params: NO_PARAMS,
    description: 'the procedure fee as the deal-product item price (else the code default fee, else 0)',
    apply: ({ values }) => {
      const { fee, defaulted } = (values[0] ?? { fee: null, defaulted: true }) as { fee: number | null; defaulted: boolean };
      if (fee === null) {
        return { value: 0, warnings: [{ column: 'fee', code: 'fee_defaulted', reason: 'procedure has no fee and its code no default fee: price 0' }] };
      }
      const warnings: RuleWarning[] = defaulted
        ? [{ column: 'fee', code: 'fee_defaulted', reason: 'procedure has no fee: the procedure code default fee is used' }]
        : [];
      return { value: roundMoney(fee), warnings };
    },
  }),

  ledger_sum: define({
    params: z.object({ entryTypes: z.array(z.string().min(1)).min(1) }).strict(),
    description: 'the sum of the ledger amounts of the given entry types, in the practice currency',
    apply: ({ values, params, env }) => {
      const rows = (values[0] ?? []) as LedgerRow[];
      const types = new Set(params.entryTypes);
      const total = sumMoney(rows.filter((r) => r.entry_type !== null && types.has(r.entry_type)).map((r) => r.amount));
      return none(total === null ? null : monetary(total, env.ctx.currency));
    },
  }),

  labels: define({
    params: NO_PARAMS,
    description: 'a list of option labels (multi-select)',
    apply: ({ values }) => {
      const labels = ((values[0] ?? []) as unknown[]).map((v) => singleLine(text(v))).filter((v): v is string => !!v);
      return none(labels.length === 0 ? null : [...new Set(labels)]);
    },
  }),

  join: define({
    params: z.object({ separator: z.string() }).strict(),
    description: 'a list joined into one text',
    apply: ({ values, params }) => {
      const items = ((values[0] ?? []) as unknown[]).map((v) => singleLine(text(v))).filter((v): v is string => !!v);
      return none(items.length === 0 ? null : items.join(params.separator));
    },
  }),

  alert_list: define({
    params: z.object({ types: z.array(z.enum(['allergy', 'condition', 'medication', 'premedication'])).min(1) }).strict(),
    description: 'the medical alerts of the given types, critical ones marked',
    apply: ({ values, params }) => {
      const types: readonly string[] = params.types;
      const alerts = ((values[0] ?? []) as MedicalAlertRow[])
        .filter((a) => a.alert_type !== null && types.includes(a.alert_type.trim().toLowerCase()))
        .sort((a, b) => a.alert_id - b.alert_id)
        .map((a) => {
          const description = singleLine(a.description);
          if (description === null) return null;
          const prefix = a.alert_type?.trim().toLowerCase() === 'premedication' ? 'Premedication: ' : '';
          return `${prefix}${description}${a.critical ? ' (critical)' : ''}`;
        })
        .filter((a): a is string => a !== null);
      return none(alerts.length === 0 ? null : alerts.join('; '));
    },
  }),

  clinical_narrative: define({
    params: NO_PARAMS,
    description: 'the clinical notes as one reference text, oldest first, each headed by date and type',
    apply: ({ values }) => {
      const notes = ((values[0] ?? []) as ClinicalNoteRow[])
        .map((n) => {
          const body = cleanText(n.note_text);
          if (body === null) return null;
          const head = [n.note_date?.replace('T', ' ').slice(0, 16), singleLine(n.note_type)].filter((p): p is string => !!p).join(' ');
          return head === '' ? body : `${head}\n${body}`;
        })
        .filter((n): n is string => n !== null);
      return none(notes.length === 0 ? null : notes.join('\n\n'));
    },
  }),

  image_archive_link: define({
    params: NO_PARAMS,
    description: 'the per-person URL in the image archive (base URL + patient id) when the patient has imaging',
    apply: ({ values, env }) => {
      const count = number(values[0]) ?? 0;
      const patientId = text(rowOf(env.bundle, 'patient')?.patient_id);
      if (count === 0 || patientId === null) return none();
      const base = env.options.imageArchiveBaseUrl;
      if (!base) {
        return { value: null, warnings: [{ column: null, code: 'image_archive_url_missing', reason: 'patient has imaging but no image archive base URL is configured' }] };
      }
      return none(`${base.replace(/\/+$/u, '')}/${encodeURIComponent(patientId)}`);
    },
  }),

  appointment_done: define({
    params: NO_PARAMS,
    description: 'done for completed appointments; broken and cancelled by the brokenCancelledAppointments option',
    apply: ({ values, env }) => {
      const { statusClass } = values[0] as AppointmentStatus;
      if (statusClass === 'completed') return none(true);
      if (statusClass === 'broken' || statusClass === 'cancelled') {
        switch (env.options.brokenCancelledAppointments) {
          case 'skip':
            return { value: null, skip: `${statusClass} appointment (option brokenCancelledAppointments = skip)` };
          case 'done_with_marker':
            return none(true);
          case 'open_with_marker':
            return none(false);
        }
      }
      return none(false);
    },
  }),

  appointment_busy: define({
    params: NO_PARAMS,
    description: 'broken and cancelled appointments do not block the provider calendar',
    apply: ({ values }) => {
      const { statusClass } = values[0] as AppointmentStatus;
      return none(statusClass !== 'broken' && statusClass !== 'cancelled');
    },
  }),

  appointment_status_line: define({
    params: z.object({ label: z.string().min(1) }).strict(),
    description: 'a line naming the Dentrix status (Dentrix status: Broken)',
    apply: ({ values, params }) => {
      const { description } = values[0] as AppointmentStatus;
      return none(description ? `${params.label}: ${description}` : null);
    },
  }),

  activity_type: define({
    params: z.object({ type: z.string().min(1) }).strict(),
    description: 'the key_string of an activity type defined in the map',
    apply: ({ params, env }) => {
      const type = env.ctx.map.objects.activityTypes.find((t) => t.name === params.type);
      if (!type) throw new Error(`activity type ${params.type} is not defined in the field map`);
      return none(type.key_string);
    },
  }),

  subject: define({
    params: z.object({ prefix: z.string().optional(), fallback: z.string().min(1) }).strict(),
    description: 'an activity subject from a type name (never a patient name)',
    apply: ({ values, params }) => {
      const value = singleLine(text(values[0]));
      if (value === null) return none(params.fallback);
      return none(params.prefix ? `${params.prefix}: ${value}` : value);
    },
  }),

  labelled_lines: define({
    params: z.object({ labels: z.array(z.string().min(1)).min(1) }).strict(),
    description: 'each non-empty value as "Label: value" on its own line',
    apply: ({ values, params }) => {
      const lines = params.labels
        .map((label, i) => {
          const value = cleanText(text(values[i]));
          return value === null ? null : `${label}: ${value}`;
        })
        .filter((l): l is string => l !== null);
      return none(lines.length === 0 ? null : lines.join('\n'));
    },
  }),

  clinical_note_text: define({
    params: z.object({ heading: z.string().min(1) }).strict(),
    description: 'a clinical note: a heading with its type, then the text; an empty note is skipped',
    apply: ({ values, params }) => {
      const body = cleanText(text(values[1]));
      if (body === null) return { value: null, skip: 'clinical note has no text' };
      const type = singleLine(text(values[0]));
      return none(`${params.heading}${type ? ` (${type})` : ''}\n${body}`);
    },
  }),

  tooth_surfaces: define({
    params: NO_PARAMS,
    description: 'Tooth 14, surfaces MOD',
    apply: ({ values }) => {
      const tooth = singleLine(text(values[0]));
      const surfaces = singleLine(text(values[1]));
      const parts = [tooth && `Tooth ${tooth}`, surfaces && `surfaces ${surfaces}`].filter((p): p is string => !!p);
      return none(parts.length === 0 ? null : parts.join(', '));
    },
  }),

  file_path: define({
    params: NO_PARAMS,
    description: 'the document path relative to the extract folder; rejects a document without one',
    apply: (input) => {
      const path = singleLine(text(input.values[0]))?.replace(/\\/gu, '/');
      return path ? none(path) : { value: null, reject: { column: firstColumn(input), reason: 'document has no file path' } };
    },
  }),

  document_file_name: define({
    params: NO_PARAMS,
    description: 'the file name prefixed with the source key (dentrix-document-12__consent.pdf)',
    apply: ({ values, env }) => {
      const path = singleLine(text(values[0]))?.replace(/\\/gu, '/');
      const base = path?.split('/').pop() || 'document';
      return none(fileNameWithKey(env.sourceKey, base));
    },
  }),

  cdt_code: define({
    params: NO_PARAMS,
    description: 'a CDT code, upper-cased',
    apply: ({ values }) => none(singleLine(text(values[0]))?.toUpperCase() ?? null),
  }),

  recall_due_date: define({
    params: NO_PARAMS,
    description: 'the recall due date; rejects a recall whose due date cannot be known',
    apply: ({ values }) => {
      const due = values[0] as RecallDue;
      return due.ok ? none(due.date) : { value: null, reject: { column: due.column === 'interval' ? 'recall_type_id' : due.column, reason: due.reason } };
    },
  }),
};

function appointmentPersonRef(values: unknown[], options: MapOptions): RefKey | null {
  const patientKey = refKeyFor('patient', values[0]);
  if (patientKey !== null) return { objectType: 'person', sourceKey: patientKey };
  const appointmentId = number(values[1]);
  if (options.newPatientBooking === 'skip' || appointmentId === null) return null;
  return { objectType: 'person', sourceKey: sourceKeys.newpatient(appointmentId) };
}

/** The transform's parameter schema, for map validation. */
export function transformParams(name: TransformName): z.ZodType {
  return TRANSFORMS[name].params;
}

const parsedParams = new WeakMap<object, Map<object, unknown>>();

/** Apply a named transform; parameters are parsed once per rule object. */
export function applyTransform(
  name: TransformName,
  rawParams: Record<string, unknown>,
  input: Omit<RuleInput<unknown>, 'params'>,
): RuleResult {
  const def = TRANSFORMS[name];
  return def.apply({ ...input, params: paramsOf(def, rawParams) });
}

export function transformRefs(
  name: TransformName,
  rawParams: Record<string, unknown>,
  input: Omit<RefListInput<unknown>, 'params'>,
): RefKey[] {
  const def = TRANSFORMS[name];
  return def.refs ? def.refs({ ...input, params: paramsOf(def, rawParams) }) : [];
}

function paramsOf(def: TransformDef<z.ZodType>, rawParams: Record<string, unknown>): unknown {
  let byTransform = parsedParams.get(rawParams);
  if (!byTransform) {
    byTransform = new Map();
    parsedParams.set(rawParams, byTransform);
  }
  if (byTransform.has(def)) return byTransform.get(def);
  const parsed = def.params.parse(rawParams);
  byTransform.set(def, parsed);
  return parsed;
}

export type { RefObjectType };

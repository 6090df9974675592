/** Links to other records: a source reference resolved to the Pipedrive id the load recorded, required or optional, with the fallback owner for providers. */
import { z } from 'zod';
import { REF_TARGETS, type RefTarget } from '../../object-types/registry';
import type { MapOptions } from '../field-map';
import { sourceKeys } from '../source-keys';
import type { RefKey } from '../types';
import type { TransformName } from '../transform-names';
import { define, NO_PARAMS, none, text, number, firstColumn, type RuleEnv, type RuleResult, type TransformDef } from './rule';

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

/** A reference resolved to the Pipedrive id the load recorded for it; rejected, left empty or the fallback owner when there is none. */
export function resolveRef(env: RuleEnv, ref: RefKey | null, options: ResolveOptions): RuleResult {
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

function appointmentPersonRef(values: unknown[], options: MapOptions): RefKey | null {
  const patientKey = refKeyFor('patient', values[0]);
  if (patientKey !== null) return { objectType: 'person', sourceKey: patientKey };
  const appointmentId = number(values[1]);
  if (options.newPatientBooking === 'skip' || appointmentId === null) return null;
  return { objectType: 'person', sourceKey: sourceKeys.newpatient(appointmentId) };
}

export const REFERENCE_TRANSFORMS = {
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
} satisfies Partial<Record<TransformName, TransformDef<z.ZodType>>>;

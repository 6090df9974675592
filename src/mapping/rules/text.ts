/** Text, names and constants: one line or several, people's and organizations' names, fixed values, the source key. */
import { z } from 'zod';
import { bookingName, cleanText, fullName, normaliseName, singleLine } from '../transforms';
import type { TransformName } from '../transform-names';
import { define, NO_PARAMS, none, text, firstColumn, type TransformDef } from './rule';

export const TEXT_TRANSFORMS = {
  not_migrated: define({ params: NO_PARAMS, description: 'nothing moves', apply: () => none() }),

  kept_for_review: define({
    params: NO_PARAMS,
    description: "the record's values that other rules refused or cut to Pipedrive's limit, one per line (filled in by the builder)",
    apply: () => none(),
  }),

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
      return name === null ? { value: null, reject: { column: 'first_name', reason: 'patient has neither a first nor a last name' } } : none(name);
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
} satisfies Partial<Record<TransformName, TransformDef<z.ZodType>>>;

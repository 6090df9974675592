/** Value lists: the map's value maps, bit flags, labels and joins. */
import { z } from 'zod';
import { singleLine, lookupValue } from '../transforms';
import type { TransformName } from '../transform-names';
import { define, NO_PARAMS, none, text, number, firstColumn, type TransformDef } from './rule';

export const VALUE_TRANSFORMS = {
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
          return {
            value: null,
            warnings: [{ column, code: 'unmapped_value', reason: 'value not in the value map: kept for review' }],
            refused: [text(raw) ?? ''],
          };
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
} satisfies Partial<Record<TransformName, TransformDef<z.ZodType>>>;

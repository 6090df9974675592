/** Clinical text: medical alerts, narratives and notes, tooth surfaces, CDT codes. */
import { z } from 'zod';
import type { ClinicalNoteRow, MedicalAlertRow } from '../../dentrix/types';
import { cleanText, singleLine } from '../transforms';
import type { TransformName } from '../transform-names';
import { define, NO_PARAMS, none, text, type TransformDef } from './rule';

export const CLINICAL_TRANSFORMS = {
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

  cdt_code: define({
    params: NO_PARAMS,
    description: 'a CDT code, upper-cased',
    apply: ({ values }) => none(singleLine(text(values[0]))?.toUpperCase() ?? null),
  }),
} satisfies Partial<Record<TransformName, TransformDef<z.ZodType>>>;

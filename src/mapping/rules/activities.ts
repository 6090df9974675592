/** Appointments as activities: done and busy flags, the status line, the activity type, subject and note lines. */
import { z } from 'zod';
import type { AppointmentStatus } from '../derived';
import { cleanText, singleLine } from '../transforms';
import type { TransformName } from '../transform-names';
import { define, NO_PARAMS, none, text, type TransformDef } from './rule';

export const ACTIVITY_TRANSFORMS = {
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
} satisfies Partial<Record<TransformName, TransformDef<z.ZodType>>>;

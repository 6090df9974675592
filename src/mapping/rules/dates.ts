/** Dates, times and durations: local practice times to UTC across daylight-saving changes, reported; recall due dates. */
import { z } from 'zod';
import { InvalidDateTimeError, formatDuration, isValidLocalDate, localDateToUtcIso, toUtcDue, toUtcIso, toUtcTimestamp, type RecallDue } from '../transforms';
import type { TransformName } from '../transform-names';
import { define, NO_PARAMS, none, text, number, firstColumn, type RuleWarning, type TransformDef } from './rule';

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

export const DATE_TRANSFORMS = {
  date: define({
    params: NO_PARAMS,
    description: 'a calendar date (YYYY-MM-DD)',
    apply: (input) => {
      const value = text(input.values[0]);
      if (value === null) return none();
      return isValidLocalDate(value)
        ? none(value)
        : {
            value: null,
            warnings: [{ column: firstColumn(input), code: 'invalid_value_dropped', reason: 'not a calendar date: kept for review' }],
            refused: [value],
          };
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
        return {
          value: null,
          warnings: [{ column: firstColumn(input), code: 'invalid_value_dropped', reason: `${error.reason}: kept for review` }],
          refused: [value],
        };
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
          : { value: null, warnings: [{ column, code: 'invalid_value_dropped', reason: `${error.reason}: kept for review` }], refused: [value] };
      }
    },
  }),

  duration: define({
    params: NO_PARAMS,
    description: 'minutes → HH:MM',
    apply: ({ values }) => none(formatDuration(number(values[0]))),
  }),

  recall_due_date: define({
    params: NO_PARAMS,
    description: 'the recall due date; rejects a recall whose due date cannot be known',
    apply: ({ values }) => {
      const due = values[0] as RecallDue;
      return due.ok ? none(due.date) : { value: null, reject: { column: due.column === 'interval' ? 'recall_type_id' : due.column, reason: due.reason } };
    },
  }),
} satisfies Partial<Record<TransformName, TransformDef<z.ZodType>>>;

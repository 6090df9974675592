/** E-mail addresses, phone numbers and postal addresses, normalised; what cannot be kept is reported. */
import { z } from 'zod';
import { normaliseEmails, normalisePhone, normalisePhones, singleLine } from '../transforms';
import type { TransformName } from '../transform-names';
import { define, NO_PARAMS, none, text, firstColumn, type RuleWarning, type TransformDef } from './rule';

export const CONTACT_TRANSFORMS = {
  emails: define({
    params: z.object({ label: z.enum(['work', 'home', 'other']) }).strict(),
    description: 'emails trimmed, lower-cased and validated; invalid ones kept for review and counted',
    apply: (input) => {
      const { emails, invalid, refused } = normaliseEmails(text(input.values[0]));
      const warnings: RuleWarning[] = Array.from({ length: invalid }, () => ({
        column: firstColumn(input),
        code: 'invalid_email_dropped' as const,
        reason: 'not a valid email address: kept for review',
      }));
      const value = emails.length === 0 ? null : emails.map((email, i) => ({ value: email, label: input.params.label, primary: i === 0 }));
      return { value, warnings, refused };
    },
  }),

  email: define({
    params: NO_PARAMS,
    description: 'one email address, validated',
    apply: (input) => {
      const { emails, invalid, refused } = normaliseEmails(text(input.values[0]));
      const warnings: RuleWarning[] =
        invalid > 0 ? [{ column: firstColumn(input), code: 'invalid_email_dropped', reason: 'not a valid email address: kept for review' }] : [];
      // One address moves: the others typed with it are kept for review too.
      return { value: emails[0] ?? null, warnings, refused: [...refused, ...emails.slice(1)] };
    },
  }),

  missing_email_flag: define({
    params: z.object({ label: z.string().min(1) }).strict(),
    description: 'the label when there is no valid email, so staff can complete contact details',
    apply: ({ values, params }) => none(normaliseEmails(text(values[0])).emails.length === 0 ? params.label : null),
  }),

  phones: define({
    params: z.object({ labels: z.array(z.enum(['work', 'home', 'mobile', 'other'])).min(1) }).strict(),
    description: 'phones to E.164 with label and extension; invalid ones kept for review and counted',
    apply: ({ values, columns, params, env }) => {
      const entries = params.labels.map((label, i) => ({ raw: text(values[i]), label }));
      const { phones, invalidLabels, invalidRaw } = normalisePhones(entries, env.options.phoneRegion);
      const warnings: RuleWarning[] = invalidLabels.map((label) => ({
        column: columns[params.labels.indexOf(label as never)] ?? null,
        code: 'invalid_phone_dropped' as const,
        reason: `${label} phone is not a valid number: kept for review`,
      }));
      return { value: phones.length === 0 ? null : phones, warnings, refused: invalidRaw.map((p) => p.raw) };
    },
  }),

  phone: define({
    params: NO_PARAMS,
    description: 'one phone to E.164 (extension kept)',
    apply: (input) => {
      const raw = text(input.values[0]);
      const parsed = normalisePhone(raw, input.env.options.phoneRegion);
      if (parsed.ok) return none(parsed.value);
      return parsed.reason === 'invalid' && raw !== null
        ? {
            value: null,
            warnings: [{ column: firstColumn(input), code: 'invalid_phone_dropped', reason: 'not a valid phone number: kept for review' }],
            refused: [raw.trim()],
          }
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
} satisfies Partial<Record<TransformName, TransformDef<z.ZodType>>>;

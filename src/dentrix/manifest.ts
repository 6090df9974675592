import { IANAZone } from 'luxon';
import { z } from 'zod';
import { ExtractFormatError } from './errors';
import { DENTRIX_TABLES, type DentrixTable, type ExtractManifest } from './types';

const tableCounts = z.record(z.string(), z.object({ rows: z.number().int().nonnegative() }).loose());

export const ExtractManifestSchema = z.object({
  format: z.literal('dentrix-extract/1'),
  practice: z
    .object({
      name: z.string().min(1),
      timezone: z.string().refine((zone) => IANAZone.isValidZone(zone), 'not an IANA time zone'),
      currency: z.string().length(3).default('USD'),
    })
    .loose(),
  source: z.object({ product: z.string(), extracted_at: z.string(), method: z.string() }).partial().loose().optional(),
  date_format: z.enum(['iso', 'us']).default('iso'),
  tables: tableCounts.default({}),
});

/** Validates a manifest (from manifest.json or the SQL mirror's manifest table); the message names the bad field. */
export function parseManifest(input: unknown, where: string): ExtractManifest {
  const parsed = ExtractManifestSchema.safeParse(input);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const field = first?.path.join('.') || '(root)';
    throw new ExtractFormatError(`${where}: field "${field}" ${first?.message ?? 'is invalid'}`, null);
  }
  const tables: ExtractManifest['tables'] = {};
  for (const [name, counts] of Object.entries(parsed.data.tables)) {
    const table = name.toLowerCase();
    // Counts for tables outside the contract are the extractor's business; they cannot be checked here.
    if ((DENTRIX_TABLES as readonly string[]).includes(table)) tables[table as DentrixTable] = { rows: counts.rows };
  }
  const { name, timezone, currency } = parsed.data.practice;
  return {
    format: parsed.data.format,
    practice: { name, timezone, currency },
    ...(parsed.data.source ? { source: parsed.data.source } : {}),
    date_format: parsed.data.date_format,
    tables,
  };
}

import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level: the same row always gives the same text, whatever built it. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  const record = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const item = record[key];
    if (item === undefined) continue;
    parts.push(`${JSON.stringify(key)}:${canonicalJson(item)}`);
  }
  return `{${parts.join(',')}}`;
}

/** sha256 (hex) of a row's canonical JSON: staged_rows.content_hash. */
export function contentHash(canonical: string): string {
  return createHash('sha256').update(canonical).digest('hex');
}

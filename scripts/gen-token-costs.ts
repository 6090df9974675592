/**
 * Regenerates src/pipedrive/token-costs.generated.json from Pipedrive's specs' `x-token-cost`, as extracted in
 * ../shared/reference/pipedrive-token-costs.tsv. The JSON is committed so the product needs no ../shared at runtime.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';

const tsvPath = process.argv[2] ?? path.resolve(__dirname, '..', '..', 'shared', 'reference', 'pipedrive-token-costs.tsv');
const outPath = path.resolve(__dirname, '..', 'src', 'pipedrive', 'token-costs.generated.json');

export interface TokenCostRow {
  api: 'v1' | 'v2';
  method: string;
  path: string;
  tokens: number;
  operation: string;
  deprecated: boolean;
}

export function readTokenCostsTsv(file: string): TokenCostRow[] {
  const rows = parse<Record<string, string>>(fs.readFileSync(file, 'utf8'), { delimiter: '\t', columns: true, relax_quotes: true });
  return rows.map((r) => ({
    api: r.api as 'v1' | 'v2',
    method: String(r.method).toUpperCase(),
    path: String(r.path),
    tokens: Number(r.tokens),
    operation: String(r.operation),
    deprecated: /DEPRECATED/i.test(r.note ?? ''),
  }));
}

if (require.main === module) {
  const rows = readTokenCostsTsv(tsvPath);
  fs.writeFileSync(outPath, JSON.stringify(rows, null, 1) + '\n');
  console.log(`wrote ${rows.length} operations to ${path.relative(process.cwd(), outPath)}`);
}

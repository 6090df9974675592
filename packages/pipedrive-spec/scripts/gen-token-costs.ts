/**
 * Regenerates token-costs.json from the pinned Pipedrive OpenAPI specs in specs/:
 * every operation's `x-token-cost`. The JSON is committed so the worker needs no YAML parsing at run time; a unit test
 * checks that regenerating yields the committed file.
 */
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';

export const SPEC_DIR = path.resolve(__dirname, '..', 'specs');
const outPath = path.resolve(__dirname, '..', 'token-costs.json');
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

export interface TokenCostRow {
  api: 'v1' | 'v2';
  method: string;
  path: string;
  tokens: number;
  operation: string;
  deprecated: boolean;
}

interface SpecDocument {
  paths: Record<string, Partial<Record<(typeof METHODS)[number], { operationId?: string; deprecated?: boolean; 'x-token-cost'?: number }>>>;
}

/** One row per operation that declares its cost, in the spec's own order, v1 first. */
export function tokenCostsFromSpecs(specDir = SPEC_DIR): TokenCostRow[] {
  const rows: TokenCostRow[] = [];
  for (const api of ['v1', 'v2'] as const) {
    const doc = yaml.load(fs.readFileSync(path.join(specDir, `pipedrive-openapi-${api}.yaml`), 'utf8')) as SpecDocument;
    for (const [p, item] of Object.entries(doc.paths)) {
      for (const method of METHODS) {
        const op = item[method];
        if (!op || typeof op['x-token-cost'] !== 'number') continue;
        rows.push({
          api,
          method: method.toUpperCase(),
          path: p,
          tokens: op['x-token-cost'],
          operation: String(op.operationId),
          deprecated: op.deprecated === true,
        });
      }
    }
  }
  return rows;
}

if (require.main === module) {
  const rows = tokenCostsFromSpecs(process.argv[2] ?? SPEC_DIR);
  fs.writeFileSync(outPath, JSON.stringify(rows, null, 1) + '\n');
  console.log(`wrote ${rows.length} operations to ${path.relative(process.cwd(), outPath)}`);
}

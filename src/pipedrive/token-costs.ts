import costs from './token-costs.generated.json';

export type ApiVersion = 'v1' | 'v2';

interface CostEntry {
  api: ApiVersion;
  method: string;
  path: string;
  tokens: number;
  operation: string;
  deprecated: boolean;
}

interface CompiledCost extends CostEntry {
  pattern: RegExp;
  /** Literal path segments: a route with more of them wins over a templated one (`/persons/search` over `/persons/{id}`). */
  literalSegments: number;
}

const compiled: CompiledCost[] = (costs as CostEntry[]).map((entry) => {
  const segments = entry.path.split('/').filter(Boolean);
  const pattern = new RegExp('^/' + segments.map((s) => (s.startsWith('{') ? '[^/]+' : escapeRegExp(s))).join('/') + '/?$');
  return { ...entry, pattern, literalSegments: segments.filter((s) => !s.startsWith('{')).length };
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The token cost Pipedrive's spec declares (`x-token-cost`) for one request, or undefined for an operation the specs
 * do not list. `path` is relative to the version root, e.g. `/persons/12`, without query string.
 */
export function tokenCost(api: ApiVersion, method: string, path: string): number | undefined {
  const upper = method.toUpperCase();
  let best: CompiledCost | undefined;
  for (const entry of compiled) {
    if (entry.api !== api || entry.method !== upper || !entry.pattern.test(path)) continue;
    if (!best || entry.literalSegments > best.literalSegments) best = entry;
  }
  return best?.tokens;
}

export function tokenCostEntries(): readonly CostEntry[] {
  return costs as CostEntry[];
}

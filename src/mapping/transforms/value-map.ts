/**
 * Value maps: a source code or label to a target label (patient status 1 → Active, treatment-plan status →
 * stage). Keys match case- and space-insensitively, because Dentrix lookups are typed per practice
 * ("In Progress", "in progress", "IN PROGRESS").
 */

export function valueKey(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return null;
  const text = String(value).trim().replace(/\s+/gu, ' ').toLowerCase();
  return text === '' ? null : text;
}

/** Each map's keys normalised once (a map is looked up for every record): the first key of each normal form wins. */
const normalisedMaps = new WeakMap<object, Map<string, unknown>>();

export function lookupValue<T>(value: unknown, map: Readonly<Record<string, T>>): T | undefined {
  const key = valueKey(value);
  if (key === null) return undefined;
  let normalised = normalisedMaps.get(map);
  if (!normalised) {
    normalised = new Map();
    for (const [candidate, target] of Object.entries(map)) {
      const candidateKey = valueKey(candidate);
      if (candidateKey !== null && !normalised.has(candidateKey)) normalised.set(candidateKey, target);
    }
    // Maps come from a parsed, approved field map and are never changed afterwards; a frozen copy would be too.
    normalisedMaps.set(map, normalised);
  }
  return normalised.get(key) as T | undefined;
}

export type DealStatus = 'open' | 'won' | 'lost';

export interface StageMapping {
  /** The stage's name in the pipeline. */
  stage: string;
  status: DealStatus;
  /** Only for `lost`: Pipedrive's lost_reason. */
  lostReason?: string;
}

/** Treatment-plan status → stage, deal status and lost reason; undefined when the status is not in the map. */
export function planStageOf(status: string | null, statusMap: Readonly<Record<string, StageMapping>>): StageMapping | undefined {
  return lookupValue(status, statusMap);
}

/**
 * What a builder needs besides the source rows. Pure data and one lookup: the engine resolves references from its
 * id map before calling, so building never does I/O and never reads the clock.
 */
import type { FieldMap, MapOptions } from './field-map';
import type { MergePlan } from './merges';
import type { PhiDecisions } from './phi';
import type { RefObjectType } from './types';

export interface BuildContext {
  /** IANA zone of the practice (manifest `practice.timezone`): every Dentrix date-time is wall-clock time in it. */
  timezone: string;
  /** ISO 4217 code of the practice (manifest `practice.currency`). */
  currency: string;
  /** The Pipedrive id of an already created (or reused) record or schema element, by source key. */
  resolveRef: (objectType: RefObjectType, sourceKey: string) => number | undefined;
  /** Owner for records whose provider has no matching Pipedrive user. */
  fallbackOwnerId: number;
  /** The approved PHI decisions: which PHI rules move, with which de-identification. */
  phi: PhiDecisions;
  /** Per-run overrides of the map's options (e.g. the image archive's base URL from the migration spec). */
  options?: Partial<MapOptions>;
  map: FieldMap;
  /** Duplicate patients merged at MAPPING_REVIEW: a duplicate builds no person, its survivor carries its id. */
  merges?: MergePlan;
}

export function effectiveOptions(ctx: Pick<BuildContext, 'map' | 'options'>): MapOptions {
  const overrides = Object.fromEntries(Object.entries(ctx.options ?? {}).filter(([, value]) => value !== undefined));
  return { ...ctx.map.options, ...overrides };
}

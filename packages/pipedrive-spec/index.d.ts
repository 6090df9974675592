/** Pipedrive's pinned OpenAPI specs, what is generated from them, and the token cost of each operation. */
export type ApiVersion = 'v1' | 'v2';

/** One operation of the pinned specs that declares its cost (`x-token-cost`), as token-costs.json lists it. */
export interface TokenCostEntry {
  api: ApiVersion;
  method: string;
  path: string;
  tokens: number;
  operation: string;
  deprecated: boolean;
}

/** The folder holding the pinned specs, pipedrive-openapi-v1.yaml and pipedrive-openapi-v2.yaml (see specs/README.md). */
export declare const SPECS_DIR: string;

/**
 * The token cost Pipedrive's spec declares (`x-token-cost`) for one request, or undefined for an operation the specs
 * do not list. `path` is relative to the version root, e.g. `/persons/12`, without query string.
 */
export declare function tokenCost(api: ApiVersion, method: string, path: string): number | undefined;

export declare function tokenCostEntries(): readonly TokenCostEntry[];

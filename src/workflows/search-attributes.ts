import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes: what ops filter and read in the Web UI's workflow list. Never PHI. */
export const SEARCH_ATTRIBUTES = {
  phase: defineSearchAttributeKey('MigrationPhase', SearchAttributeType.KEYWORD),
  practice: defineSearchAttributeKey('PracticeName', SearchAttributeType.KEYWORD),
  recordsLoaded: defineSearchAttributeKey('RecordsLoaded', SearchAttributeType.INT),
  recordsFailed: defineSearchAttributeKey('RecordsFailed', SearchAttributeType.INT),
} as const;

export const ALL_SEARCH_ATTRIBUTES = Object.values(SEARCH_ATTRIBUTES);

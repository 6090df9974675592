import { type Pool } from 'pg';
import type { Logger } from 'pino';
import { type PipedriveClient } from '../pipedrive/client';
import { type ExtractReader, type ExtractSourceSpec } from '../dentrix';
import { type Fingerprinter } from '../engine/ports';
import { type MappingLlmConfig } from '../review/llm';

/** What activities need from the outside world; the worker wires the real ones, tests may wire others. */
export interface ActivityDeps {
  pool: Pool;
  /** One client per Pipedrive account (base URL); the API token comes from the worker's environment. */
  pipedriveFor(baseUrl: string): PipedriveClient;
  openSource(spec: ExtractSourceSpec): Promise<ExtractReader>;
  /** The account fingerprint before the first write and after a rollback: the worker wires the product's one. */
  fingerprinter: Fingerprinter;
  settings: ActivitySettings;
  logger: Logger;
  /** For reports' timestamps; injectable so tests are stable. */
  now?: () => Date;
}

export interface ActivitySettings {
  /** This worker's local cache of reports, workbooks, manifests (`<dataDir>/migrations/<migrationId>/`); the store keeps them. */
  dataDir: string;
  imageArchiveBaseUrl: string;
  /** Owner for records whose provider has no Pipedrive user; default: the API token's own user. */
  fallbackOwnerId?: number;
  budgetResetTimeZone: string;
  /** The longest a daily-budget pause lasts before a look again (PIPEDRIVE_BUDGET_RECHECK_SECONDS); default none. */
  budgetRecheckMs?: number;
  /** The mapping proposer's LLM, parsed and checked when the worker starts; null: rules alone. */
  mappingLlm: MappingLlmConfig | null;
  /** Activities this worker runs at once (its activity slots): what a derived concurrency stays within. */
  activitySlots?: number;
}

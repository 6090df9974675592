import type { Env } from '../config';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

const LOCAL_ADDRESS = /^(127\.0\.0\.1|localhost):7233$/u;
/** The saved view the list link creates in the Web UI. */
export const SAVED_VIEW = 'Dentrix migrations';
/** The search attributes ops add as the list's columns (the Web UI's settings button), in this order. */
export const PRODUCT_COLUMNS = [SEARCH_ATTRIBUTES.phase.name, SEARCH_ATTRIBUTES.practice.name, SEARCH_ATTRIBUTES.recordsLoaded.name];

export interface WebUiLinks {
  /** Every migration (the product's workflow type only), as a saved view; the columns are PRODUCT_COLUMNS, added once per browser. */
  migrations: string;
  /** This migration's User Metadata tab: its Current Details (phase, progress, what it waits for and how to give it). */
  migration?: string;
}

/**
 * Links into the Temporal Web UI for ops: the list of migrations and one migration's details. Undefined when the UI's
 * address is unknown (a remote Temporal without TEMPORAL_UI_URL). Pure.
 */
export function webUiLinks(
  env: Pick<Env, 'TEMPORAL_UI_URL' | 'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE'>,
  workflow?: { workflowId: string; runId: string },
): WebUiLinks | undefined {
  const base = env.TEMPORAL_UI_URL ?? (LOCAL_ADDRESS.test(env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233') ? 'http://127.0.0.1:8233' : undefined);
  if (!base) return undefined;
  const namespace = `${base.replace(/\/+$/u, '')}/namespaces/${encodeURIComponent(env.TEMPORAL_NAMESPACE ?? 'default')}`;
  return {
    // `savedQuery` makes the Web UI offer the filter as a saved view of that name (its Custom Views).
    migrations: `${namespace}/workflows?query=${encodeURIComponent('WorkflowType="migrationWorkflow"')}&savedQuery=${encodeURIComponent(SAVED_VIEW)}`,
    ...(workflow ? { migration: `${namespace}/workflows/${encodeURIComponent(workflow.workflowId)}/${encodeURIComponent(workflow.runId)}/user-metadata` } : {}),
  };
}

/** The lines `start` and `status` print. */
export function describeWebUiLinks(links: WebUiLinks | undefined): string[] {
  if (!links) return [];
  return [
    ...(links.migration ? [`  Web UI (phase, progress, what it waits for): ${links.migration}`] : []),
    `  Web UI, every migration: ${links.migrations}`,
    // The Web UI keeps its list's columns in the browser (localStorage): no link can set them.
    `    once per browser, the table's settings button (bottom right, a gear): add ${PRODUCT_COLUMNS.join(', ')}; removing Run ID brings them into view`,
  ];
}

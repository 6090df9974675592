import type { SourceSpec } from '../store/runs';

/** The same Pipedrive account URL however it is typed (trailing slash, case of the host, default port). */
export function normalizeBaseUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/u, '')}`;
}

/** Two source specs that read the same extract. Connection strings compare whole, never printed (they may hold a password). */
function sameSource(a: SourceSpec, b: SourceSpec): boolean {
  if (a.kind === 'folder' && b.kind === 'folder') return a.path === b.path;
  if (a.kind === 'sql' && b.kind === 'sql') {
    return a.connectionString === b.connectionString && (a.schema ?? 'admin') === (b.schema ?? 'admin') && (a.documentsDir ?? '') === (b.documentsDir ?? '');
  }
  return false;
}

function describeSource(s: SourceSpec): string {
  return s.kind === 'folder' ? `extract folder ${s.path}` : `a SQL mirror (schema ${s.schema ?? 'admin'})`;
}

/**
 * What a second `start` would change about a registered migration: its source or its Pipedrive account. Both are fixed
 * for the migration's whole life once it has written, and while it runs; the caller refuses then.
 */
export function startConflicts(
  registered: { source: SourceSpec; pipedriveBaseUrl: string },
  requested: { source: SourceSpec; pipedriveBaseUrl: string },
): string[] {
  const conflicts: string[] = [];
  if (!sameSource(registered.source, requested.source)) {
    conflicts.push(`it reads ${describeSource(registered.source)}, not ${describeSource(requested.source)}`);
  }
  if (normalizeBaseUrl(registered.pipedriveBaseUrl) !== normalizeBaseUrl(requested.pipedriveBaseUrl)) {
    conflicts.push(`it writes to ${normalizeBaseUrl(registered.pipedriveBaseUrl)}, not ${normalizeBaseUrl(requested.pipedriveBaseUrl)}`);
  }
  return conflicts;
}

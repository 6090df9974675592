import { type Pool } from 'pg';
import { defaultFieldMap, parseFieldMap, type FieldMap } from '../mapping';
import { type User } from '../pipedrive/types';
import {
  matchOwners,
  ownerAssignmentsOf,
  ownerRuleSources,
  ownersSummary,
  type OwnerAssignment,
  type OwnerProvider,
  type OwnersReport,
  type OwnerUser,
} from '../review/owners';
import { latestFieldMap } from '../store/field-maps';
import { countRowsByColumn } from '../store/owner-counts';
import { stagedData } from '../store/staged-rows';
import { getRun } from '../store/runs';
import type { MigrationRef } from './contracts';
import { type ActivityDeps } from './deps';
import type { OwnersSummary } from '../workflows/messages';
import { publishReport } from './publish-report';
import { rethrowAsFailure } from '../failures';
import { writeJsonReport } from './report-files';

/** The account's users a provider can be matched or assigned to: active, not deleted. */
export function activeUsers(users: readonly User[]): OwnerUser[] {
  return users.filter((u) => u.active_flag !== false && !u.is_deleted).map((u) => ({ id: u.id, name: u.name, email: u.email }));
}

/** The staged providers, each provider's records under the map's owner rules, and the matches against `users`. */
export async function collectOwners(
  pool: Pool,
  migrationId: string,
  q: { map: FieldMap; users: OwnerUser[]; assignments: readonly OwnerAssignment[]; fallbackOwnerId: number },
): Promise<OwnersReport> {
  const rows = await stagedData<{
    provider_id: string;
    email: string | null;
    first_name: string | null;
    last_name: string | null;
    title: string | null;
    inactive: boolean | null;
  }>(pool, migrationId, 'provider');
  const providers: OwnerProvider[] = rows.map((p) => ({
    providerId: String(p.provider_id).trim(),
    name: [p.first_name, p.last_name, p.title].filter(Boolean).join(' '),
    email: p.email,
    inactive: Boolean(p.inactive),
  }));
  const known = new Set(providers.map((p) => p.providerId));
  const records = new Map<string, number>();
  let recordsWithoutProvider = 0;
  for (const source of ownerRuleSources(q.map)) {
    const counts = await countRowsByColumn(pool, { migrationId, plan: source.plan, column: source.column });
    for (const { value, n } of counts) {
      if (value !== null && known.has(value)) records.set(value, (records.get(value) ?? 0) + n);
      else recordsWithoutProvider += n;
    }
  }
  return {
    migrationId,
    fallbackOwnerId: q.fallbackOwnerId,
    users: q.users,
    providers: matchOwners(providers, q.users, q.assignments, records),
    recordsWithoutProvider,
  };
}

/** The map a stored version holds, else the default map (for its owner rules only). */
export function mapOrDefault(document: { map: unknown } | undefined): FieldMap {
  try {
    return document ? parseFieldMap(document.map) : defaultFieldMap();
  } catch {
    return defaultFieldMap(); // a stored version that no longer validates: the owner rules of the default map
  }
}

/**
 * The owners and providers reports' warnings: providers without a Pipedrive user (their records go to the fallback
 * owner) are a warning in `report` and the stored summary, never a plain success. Provider ids and counts only.
 */
export function ownerWarnings(o: OwnersSummary): string[] {
  const warnings: string[] = [];
  if (o.unmatchedCount > 0) {
    const ids = o.unmatched.map((u) => u.providerId).join(', ');
    const more = o.unmatchedCount > o.unmatched.length ? ` and ${o.unmatchedCount - o.unmatched.length} more` : '';
    warnings.push(
      `${o.unmatchedCount} of ${o.providers} provider(s) have no Pipedrive user (${ids}${more}): their records go to the fallback owner (user ${o.fallbackOwnerId}); ` +
        "assign users in the mapping workbook's Owners sheet (map export, map import), or accept the fallback owner",
    );
  }
  if (o.recordsOnFallback > 0)
    warnings.push(
      `${o.recordsOnFallback} record(s) would be owned by the fallback owner (user ${o.fallbackOwnerId}): their provider has no Pipedrive user, or the source names none`,
    );
  return warnings;
}

const warningsOf = (o: OwnersSummary) => {
  const warnings = ownerWarnings(o);
  return warnings.length ? { warnings } : {};
};

/** Before MAPPING_REVIEW's decision: which providers have no Pipedrive user, and how many records each would own. */
export function createOwnerActivities(deps: ActivityDeps) {
  const { pool, settings } = deps;
  return {
    /**
     * Reads the account's users (no write), matches the staged providers (the latest map version's assignments
     * included) and keeps the owners report in the store for the workbook's Owners sheet and `map import`.
     */
    async matchOwners({ migrationId }: MigrationRef): Promise<OwnersSummary> {
      const run = await getRun(pool, migrationId);
      const client = deps.pipedriveFor(run.pipedriveBaseUrl);
      try {
        const users = activeUsers(await client.listUsers());
        const fallbackOwnerId = settings.fallbackOwnerId ?? (await client.me()).id;
        const latest = await latestFieldMap(pool, migrationId);
        const report = await collectOwners(pool, migrationId, {
          map: mapOrDefault(latest?.document),
          users,
          assignments: ownerAssignmentsOf(latest?.document),
          fallbackOwnerId,
        });
        const summary = ownersSummary(report.providers, fallbackOwnerId, report.recordsWithoutProvider);
        const reportPath = await writeJsonReport(settings, migrationId, 'owners.json', report);
        await publishReport(pool, migrationId, 'owners', [reportPath], {
          providers: summary.providers,
          matched: summary.matched,
          assigned: summary.assigned,
          unmatched: summary.unmatchedCount,
          recordsOnFallback: summary.recordsOnFallback,
          ...warningsOf(summary),
        });
        return summary;
      } catch (err) {
        rethrowAsFailure(err, settings.budgetResetTimeZone);
      }
    },
  };
}

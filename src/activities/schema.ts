import { Context } from '@temporalio/activity';
import { type Pool } from 'pg';
import { schemaRequirements, sourceKeys, type CustomFieldRequirement } from '../mapping';
import { type PipedriveClient } from '../pipedrive/client';
import { PipedriveError } from '../pipedrive/errors';
import { type Field, type FieldOption } from '../pipedrive/types';
import { appendAudit } from '../store/audit';
import { saveFieldKey } from '../store/field-keys';
import { Ledger, type LedgerEntry } from '../store/ledger';
import { latestFieldMap } from '../store/field-maps';
import { publishReport } from './publish-report';
import { getRun, pipedriveAccountId, recordFingerprint, setRunAccount } from '../store/runs';
import type { FingerprintResult, MigrationRef, ProviderResolution, SchemaResult } from './contracts';
import { type ActivityDeps } from './deps';
import { createAccountGuard } from './account';
import { accountMismatch, permanent } from '../failures';
import { approvedMapLoader } from './mapping';
import { activeUsers, collectOwners, mapOrDefault, ownerWarnings } from './owners';
import { ownerAssignmentsOf, ownersSummary } from '../review/owners';
import { composeFieldId, composeFieldOptionId, fieldEndpointsOf, OBJECT_TYPES, type CustomFieldEntity, type Endpoint } from '../object-types/registry';
import { rethrowAsFailure } from '../failures';
import { writeJsonReport } from './report-files';
import { heartbeat } from './heartbeat';

export const FALLBACK_OWNER_KEY = 'fallback';

interface SchemaContext {
  pool: Pool;
  client: PipedriveClient;
  ledger: Ledger;
  migrationId: string;
  audit: (e: {
    action: 'create' | 'update';
    objectType: string;
    sourceKey: string;
    pipedriveId: string;
    endpoint: string;
    method?: string;
    tokens: number;
  }) => Promise<void>;
  counts: SchemaResult;
}

/**
 * Creates a schema element exactly once: an element found by name is ours if the ledger says we tried to create it
 * (a lost response), and someone else's (reused, never deleted) otherwise. A transient failure of the create is
 * settled here, once, by looking again with `findFresh` (a fresh listing: `find` may read one taken before the create),
 * then creating if it is not there, rather than by retrying the whole schema with a backoff that grows per element.
 */
async function ensureElement<T>(
  ctx: SchemaContext,
  e: {
    objectType: string;
    sourceKey: string;
    find: () => Promise<T | undefined>;
    findFresh: () => Promise<T | undefined>;
    create: () => Promise<T>;
    idOf: (x: T) => string;
    /** The request that creates it, and the listing that finds it (the audit log books their spec costs). */
    request: Endpoint;
    listing: Endpoint;
  },
  settleRetries = 1,
): Promise<T> {
  let entry = await ctx.ledger.get(ctx.migrationId, e.objectType, e.sourceKey);
  const found = await e.find();
  if (!found && entry) entry = await markGoneIfHeld(ctx, entry);
  if (found) {
    const ours = entry?.state === 'pending' || entry?.state === 'created';
    await ctx.ledger.markCreated(ctx.migrationId, {
      objectType: e.objectType,
      sourceKey: e.sourceKey,
      pipedriveId: e.idOf(found),
      runKind: 'schema',
      state: ours ? 'created' : 'reused',
    });
    if (ours && entry?.state === 'pending') {
      // Recovered by the listing that found it (the create's response was lost): that read is what it cost.
      await ctx.audit({
        action: 'create',
        objectType: e.objectType,
        sourceKey: e.sourceKey,
        pipedriveId: e.idOf(found),
        endpoint: e.request.label,
        method: 'RECOVER',
        tokens: e.listing.tokens,
      });
    }
    if (ours && entry?.state === 'pending') countCreated(ctx, entry);
    else if (!ours) ctx.counts.reused++;
    return found;
  }
  await ctx.ledger.markPending(ctx.migrationId, [{ objectType: e.objectType, sourceKey: e.sourceKey, runKind: 'schema' }]);
  let created: T;
  try {
    created = await e.create();
  } catch (err) {
    if (settleRetries > 0 && err instanceof PipedriveError && err.failureType === 'transient') {
      return ensureElement(ctx, { ...e, find: e.findFresh }, settleRetries - 1);
    }
    throw err;
  }
  await ctx.ledger.markCreated(ctx.migrationId, { objectType: e.objectType, sourceKey: e.sourceKey, pipedriveId: e.idOf(created), runKind: 'schema' });
  await ctx.audit({
    action: 'create',
    objectType: e.objectType,
    sourceKey: e.sourceKey,
    pipedriveId: e.idOf(created),
    endpoint: e.request.label,
    tokens: e.request.tokens,
  });
  countCreated(ctx, entry);
  return created;
}

/**
 * An element the id map holds (created or reused) that the account no longer has (deleted by hand, or the account
 * reset): its row goes back to `pending` keeping the id found gone, as for a gone record (Ledger.markGone), so the
 * create that follows happens once and the ledger, status and reports count it as recreated. Returns the row as it is now.
 */
async function markGoneIfHeld(ctx: SchemaContext, entry: LedgerEntry): Promise<LedgerEntry> {
  if ((entry.state !== 'created' && entry.state !== 'reused') || entry.pipedriveId === null) return entry;
  await ctx.ledger.markGone(ctx.migrationId, { objectType: entry.objectType, sourceKey: entry.sourceKey, goneId: entry.pipedriveId, runKind: 'schema' });
  return { ...entry, state: 'pending', pipedriveId: null, replacedPipedriveId: entry.pipedriveId };
}

/** One element this run created: recreated too when its row kept the id of one found gone. */
function countCreated(ctx: SchemaContext, entry: LedgerEntry | undefined): void {
  ctx.counts.created++;
  if (entry?.replacedPipedriveId) ctx.counts.recreated++;
}

/**
 * Options the map needs on a field that already has some (a same-name field the account had, or ours from an
 * earlier approval): added in one request, each under its own ledger row so a rollback removes exactly the options
 * this migration added. §5.1 as for any create: pending before the request; on a retry, an option found by label
 * whose row is pending was ours (the response was lost), one with no row was the account's.
 */
async function ensureFieldOptions(ctx: SchemaContext, entity: CustomFieldEntity, req: CustomFieldRequirement, field: Field): Promise<FieldOption[]> {
  const endpoints = fieldEndpointsOf(entity);
  const endpoint = endpoints.addOptions.label;
  const listingTokens = endpoints.list.tokens;
  const keyOf = (label: string) => `option:${entity}:${req.name}:${label.toLowerCase()}`;
  const options = [...(field.options ?? [])];
  const missing: string[] = [];
  for (const label of req.options ?? []) {
    const found = options.find((o) => o.label.toLowerCase() === label.toLowerCase());
    const entry = await ctx.ledger.get(ctx.migrationId, 'field_option', keyOf(label));
    if (!found) {
      if (entry) await markGoneIfHeld(ctx, entry);
      missing.push(label);
    } else if (entry?.state === 'pending') {
      const pipedriveId = composeFieldOptionId(entity, field.field_code, Number(found.id));
      await ctx.ledger.markCreated(ctx.migrationId, { objectType: 'field_option', sourceKey: keyOf(label), pipedriveId, runKind: 'schema' });
      await ctx.audit({
        action: 'create',
        objectType: 'field_option',
        sourceKey: keyOf(label),
        pipedriveId,
        endpoint,
        method: 'RECOVER',
        tokens: listingTokens,
      });
      countCreated(ctx, entry);
    }
  }
  if (missing.length === 0) return options;
  await ctx.ledger.markPending(
    ctx.migrationId,
    missing.map((label) => ({ objectType: 'field_option', sourceKey: keyOf(label), runKind: 'schema' })),
  );
  const added = await ctx.client.addFieldOptions(entity, field.field_code, missing);
  let requestTokens = endpoints.addOptions.tokens; // one request added them all: booked once, on the first option
  const claimed = new Map<string, LedgerEntry | undefined>();
  for (const label of missing) claimed.set(label.toLowerCase(), await ctx.ledger.get(ctx.migrationId, 'field_option', keyOf(label)));
  for (const option of added) {
    const pipedriveId = composeFieldOptionId(entity, field.field_code, Number(option.id));
    await ctx.ledger.markCreated(ctx.migrationId, { objectType: 'field_option', sourceKey: keyOf(option.label), pipedriveId, runKind: 'schema' });
    await ctx.audit({ action: 'create', objectType: 'field_option', sourceKey: keyOf(option.label), pipedriveId, endpoint, tokens: requestTokens });
    requestTokens = 0;
    countCreated(ctx, claimed.get(option.label.toLowerCase()));
  }
  return [...options, ...added];
}

/** SCHEMA phase: fingerprint, provider → user resolution, custom fields, pipelines and stages, activity types. */
export function createSchemaActivities(deps: ActivityDeps) {
  const { pool, settings } = deps;
  const loadApproved = approvedMapLoader(pool);
  const accounts = createAccountGuard(deps);

  return {
    async takeFingerprint({ migrationId, label }: MigrationRef & { label: 'before_first_write' | 'after_rollback' | 'at_end' }): Promise<FingerprintResult> {
      const run = await getRun(pool, migrationId);
      if (label === 'before_first_write' && run.fingerprintBefore) return { fingerprint: run.fingerprintBefore, method: 'sandbox' };
      try {
        const result = await deps.fingerprinter.take(deps.pipedriveFor(run.pipedriveBaseUrl), run.pipedriveBaseUrl);
        const kept = await recordFingerprint(pool, migrationId, label, result.fingerprint);
        return { ...result, fingerprint: kept };
      } catch (err) {
        rethrowAsFailure(err, settings.budgetResetTimeZone);
      }
    },

    /** Providers → Pipedrive users: as the approved map's Owners sheet assigns, else by e-mail (case-insensitive); the rest are listed. */
    async resolveProviders({ migrationId }: MigrationRef): Promise<ProviderResolution> {
      const run = await getRun(pool, migrationId);
      const client = deps.pipedriveFor(run.pipedriveBaseUrl);
      const ledger = new Ledger(pool);
      try {
        const users = activeUsers(await client.listUsers());
        const me = await client.me();
        // Recorded before any record is written: recovery asks which migrations share this account, and every later
        // write checks the token still answers for it. A re-run whose token answers for another company stops here.
        if (typeof me.company_id !== 'number') throw permanent('GET /users/me did not say which company the token belongs to');
        const actual = pipedriveAccountId(run.pipedriveBaseUrl, me.company_id);
        const recorded = await setRunAccount(pool, migrationId, actual);
        if (recorded !== actual) throw accountMismatch(migrationId, recorded, actual, 'resolve providers');
        const fallbackOwnerId = settings.fallbackOwnerId ?? me.id;
        if (!users.some((u) => u.id === fallbackOwnerId)) {
          throw permanent(`PIPEDRIVE_FALLBACK_OWNER_ID=${fallbackOwnerId} is not an active user of this Pipedrive account`);
        }
        // The approved version's owner assignments (the workbook's Owners sheet) win over the e-mail match.
        const approved = (await latestFieldMap(pool, migrationId, 'approved'))?.document;
        const owners = await collectOwners(pool, migrationId, {
          map: mapOrDefault(approved),
          users,
          assignments: ownerAssignmentsOf(approved),
          fallbackOwnerId,
        });
        const unmatched = owners.providers.filter((p) => p.userId === null);
        for (const p of owners.providers) {
          const sourceKey = sourceKeys.provider(p.providerId);
          // An unmatched provider resolved by an earlier approval (an assignment since removed, after a rejected
          // sample) must not keep that user: its row now names the fallback owner, as its records will.
          const userId = p.userId ?? ((await ledger.get(migrationId, 'user', sourceKey)) ? fallbackOwnerId : null);
          if (userId === null) continue;
          await ledger.markCreated(migrationId, { objectType: 'user', sourceKey, pipedriveId: userId, runKind: 'schema', state: 'reused' });
        }
        const matched = owners.providers.length - unmatched.length;
        await ledger.markCreated(migrationId, {
          objectType: 'user',
          sourceKey: FALLBACK_OWNER_KEY,
          pipedriveId: fallbackOwnerId,
          runKind: 'schema',
          state: 'reused',
        });
        const reportPath = await writeJsonReport(settings, migrationId, 'providers.json', {
          migrationId,
          matched,
          assigned: owners.providers.filter((p) => p.matchedBy === 'assignment').length,
          fallbackOwnerId,
          recordsWithoutProvider: owners.recordsWithoutProvider,
          rule:
            "providers resolve to the Pipedrive user the workbook's Owners sheet assigns, else to the user with their e-mail; " +
            'records of unmatched providers are owned by the fallback owner',
          providers: owners.providers.map((p) => ({ providerId: p.providerId, userId: p.userId, matchedBy: p.matchedBy, records: p.records })),
          unmatched: unmatched.map((u) => ({
            providerId: u.providerId,
            name: u.name,
            email: u.email,
            inactive: u.inactive,
            records: u.records,
            action: "assign a Pipedrive user in the workbook's Owners sheet (or create one with this e-mail) and re-run, or accept the fallback owner",
          })),
        });
        const summary = ownersSummary(owners.providers, fallbackOwnerId, owners.recordsWithoutProvider);
        const warnings = ownerWarnings(summary);
        await publishReport(pool, migrationId, 'providers', [reportPath], { matched, unmatched: unmatched.length, ...(warnings.length ? { warnings } : {}) });
        return {
          matched,
          unmatched: unmatched.length,
          fallbackOwnerId,
          unmatchedProviderIds: unmatched.map((u) => u.providerId),
          owners: summary,
        };
      } catch (err) {
        rethrowAsFailure(err, settings.budgetResetTimeZone);
      }
    },

    /** Creates or reuses (by name) everything the approved map needs, recording what it created for rollback. */
    async createSchema({ migrationId }: MigrationRef): Promise<SchemaResult> {
      const run = await getRun(pool, migrationId);
      const client = await accounts.clientFor(run, 'create the schema');
      const { map, phi } = await loadApproved(migrationId);
      const requirements = schemaRequirements(map, phi);
      const info = Context.current().info;
      const ctx: SchemaContext = {
        pool,
        client,
        ledger: new Ledger(pool),
        migrationId,
        counts: { created: 0, reused: 0, recreated: 0 },
        audit: (e) =>
          appendAudit(pool, {
            migrationId,
            action: e.action,
            objectType: e.objectType,
            sourceKey: e.sourceKey,
            pipedriveId: e.pipedriveId,
            method: e.method ?? 'POST',
            endpoint: e.endpoint,
            tokens: e.tokens,
            workflowId: info.workflowExecution?.workflowId,
            runId: info.workflowExecution?.runId,
            activityId: info.activityId,
            attempt: info.attempt,
          }),
      };
      const conflicts: string[] = [];
      try {
        for (const [entity, fields] of Object.entries(requirements.customFields) as [CustomFieldEntity, CustomFieldRequirement[]][]) {
          let existing = await client.listFields(entity);
          for (const req of fields) {
            heartbeat({ entity, field: req.name });
            const sameName = (f: Field) => f.is_custom_field && f.field_name.trim().toLowerCase() === req.name.trim().toLowerCase();
            const field = await ensureElement(ctx, {
              objectType: 'custom_field',
              sourceKey: `field:${entity}:${req.name}`,
              request: fieldEndpointsOf(entity).create,
              listing: fieldEndpointsOf(entity).list,
              find: async () => existing.find(sameName),
              findFresh: async () => (await client.listFields(entity)).find(sameName),
              create: () =>
                client.createField(entity, {
                  field_name: req.name,
                  field_type: req.field_type,
                  ...(req.options ? { options: req.options.map((label) => ({ label })) } : {}),
                }),
              idOf: (f) => composeFieldId(entity, f.field_code),
            });
            if (field.field_type !== req.field_type) {
              conflicts.push(`${entity} field "${req.name}" exists as ${field.field_type}; the map needs ${req.field_type}`);
              continue;
            }
            const options = await ensureFieldOptions(ctx, entity, req, field);
            if (options.length !== (field.options ?? []).length) existing = await client.listFields(entity);
            await saveFieldKey(pool, migrationId, {
              entity,
              fieldName: req.name,
              fieldCode: field.field_code,
              fieldType: field.field_type,
              options: options.map((o) => ({ id: o.id, label: o.label })),
              createdByUs: (await ctx.ledger.get(migrationId, 'custom_field', `field:${entity}:${req.name}`))?.state === 'created',
            });
          }
        }
        if (conflicts.length > 0) {
          throw permanent(`The Pipedrive account already has fields that conflict with the map: ${conflicts.join('; ')}`);
        }

        const pipelines = OBJECT_TYPES.pipeline;
        const stageType = OBJECT_TYPES.stage;
        for (const pipeline of requirements.pipelines) {
          const created = await ensureElement(ctx, {
            objectType: 'pipeline',
            sourceKey: `pipeline:${pipeline.name}`,
            request: pipelines.endpoints.create,
            listing: pipelines.endpoints.list,
            find: async () => (await client.listAll<{ id: number; name: string }>(pipelines.collection)).find((p) => p.name === pipeline.name),
            findFresh: async () => (await client.listAll<{ id: number; name: string }>(pipelines.collection)).find((p) => p.name === pipeline.name),
            create: () => client.create<{ id: number; name: string }>(pipelines.collection, { name: pipeline.name }),
            idOf: (p) => String(p.id),
          });
          const stages = await client.listAll<{ id: number; name: string }>(stageType.collection, { pipeline_id: created.id });
          for (const stage of pipeline.stages) {
            await ensureElement(ctx, {
              objectType: 'stage',
              sourceKey: `stage:${pipeline.name}:${stage}`,
              request: stageType.endpoints.create,
              listing: stageType.endpoints.list,
              find: async () => stages.find((s) => s.name === stage),
              findFresh: async () =>
                (await client.listAll<{ id: number; name: string }>(stageType.collection, { pipeline_id: created.id })).find((s) => s.name === stage),
              create: () => client.create<{ id: number; name: string }>(stageType.collection, { name: stage, pipeline_id: created.id }),
              idOf: (s) => String(s.id),
            });
          }
        }

        const types = await client.listActivityTypes();
        for (const type of requirements.activityTypes) {
          await ensureElement(ctx, {
            objectType: 'activity_type',
            sourceKey: `activity_type:${type.key_string}`,
            request: OBJECT_TYPES.activity_type.endpoints.create,
            listing: OBJECT_TYPES.activity_type.endpoints.list,
            find: async () => types.find((t) => t.active_flag !== false && (t.key_string === type.key_string || t.name === type.name)),
            findFresh: async () =>
              (await client.listActivityTypes()).find((t) => t.active_flag !== false && (t.key_string === type.key_string || t.name === type.name)),
            create: () => client.createActivityType({ name: type.name, icon_key: type.icon_key }),
            idOf: (t) => String(t.id),
          });
        }
      } catch (err) {
        rethrowAsFailure(err, settings.budgetResetTimeZone);
      }
      const reportPath = await writeJsonReport(settings, migrationId, 'schema.json', { migrationId, ...ctx.counts, requirements });
      await publishReport(pool, migrationId, 'schema', [reportPath], ctx.counts);
      return ctx.counts;
    },
  };
}

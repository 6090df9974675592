import { convertToPipedriveBody, fromPipedriveRecord, STANDARD_FIELDS, type FieldKeys, type LogicalRecord, type TargetEntity } from '../mapping';
import { writeOperation } from '../object-types/registry';
import type { AccountOperations, ApiRecord, AuditLog, Ledger, LedgerEntry, StagedRecord } from './ports';

/**
 * The link fields a record may hold to another record of the migration, and the object type each points to: records,
 * and the schema's pipelines and stages (a deal on a stage staff deleted by hand is moved to the stage SCHEMA created
 * again; Pipedrive keeps the deal on the deleted one).
 */
const LINK_FIELDS = { person_id: 'person', org_id: 'organization', deal_id: 'deal', pipeline_id: 'pipeline', stage_id: 'stage' } as const;
type LinkField = keyof typeof LINK_FIELDS;

/** A record of ours whose links in Pipedrive still point to records that were recreated (deleted by hand, created again). */
interface StaleLinks {
  pipedriveId: string;
  /** Its link fields that differ from what the id map now says. */
  fields: LinkField[];
  /** The record as read now: its before-image. */
  current: ApiRecord;
}

/**
 * Records of this batch the migration created (and still holds) that link to a person, organization, deal, pipeline
 * or stage the migration has since recreated: staff deleted that one by hand and a later run created it again, so Pipedrive still
 * links these to the deleted one. Only records whose built links name a recreated record are read (one read each), and
 * only those whose link in Pipedrive differs are returned: a record relinked by an earlier run or attempt is not
 * touched again (exactly once, whatever crashes).
 */
export async function staleLinks(
  deps: { ledger: Ledger; account: AccountOperations; fieldKeys: FieldKeys },
  entity: TargetEntity,
  built: Map<string, StagedRecord>,
  entries: Map<string, LedgerEntry>,
): Promise<Map<string, StaleLinks>> {
  const linkFields = (Object.keys(LINK_FIELDS) as LinkField[]).filter((f) => STANDARD_FIELDS[entity][f] !== undefined);
  // A deal product's deal is in its path: a recreated deal has none of the old deal's products (they are recreated).
  if (linkFields.length === 0 || entity === 'deal_product') return new Map();
  const held = [...built].filter(([key, { outcome }]) => outcome.kind === 'record' && entries.get(key)?.state === 'created' && entries.get(key)?.pipedriveId);
  const refKeys = new Map<string, Set<string>>();
  for (const [, { outcome }] of held) {
    if (outcome.kind !== 'record') continue;
    for (const ref of outcome.refs) {
      if (!linkFields.some((f) => LINK_FIELDS[f] === ref.objectType)) continue;
      (refKeys.get(ref.objectType) ?? refKeys.set(ref.objectType, new Set()).get(ref.objectType)!).add(ref.sourceKey);
    }
  }
  /** `<object type>/<pipedrive id>` of the recreated records these link to. */
  const recreated = new Set<string>();
  for (const [objectType, keys] of refKeys) {
    for (const e of (await deps.ledger.getMany(objectType, [...keys])).values()) {
      if (e.state === 'created' && e.pipedriveId && e.replacedPipedriveId) recreated.add(`${objectType}/${e.pipedriveId}`);
    }
  }
  const stale = new Map<string, StaleLinks>();
  if (recreated.size === 0) return stale;
  for (const [sourceKey, { outcome }] of held) {
    if (outcome.kind !== 'record') continue;
    const record = outcome.record;
    const candidates = linkFields.filter((f) => typeof record.fields[f] === 'number' && recreated.has(`${LINK_FIELDS[f]}/${String(record.fields[f])}`));
    if (candidates.length === 0) continue;
    const pipedriveId = entries.get(sourceKey)!.pipedriveId!;
    const current = await deps.account.read(entity, pipedriveId);
    if (current === undefined) continue; // gone itself: the next run's presence check recreates it
    const now = fromPipedriveRecord(entity, current, deps.fieldKeys);
    const fields = candidates.filter((f) => now.fields[f] !== record.fields[f]);
    if (fields.length > 0) stale.set(sourceKey, { pipedriveId, fields, current });
  }
  return stale;
}

/** The update that points a record's stale links at the recreated records: those fields only, nothing else of it. */
function relinkBody(entity: TargetEntity, record: LogicalRecord, fields: readonly LinkField[], fieldKeys: FieldKeys): object {
  const links: LogicalRecord = { entity, fields: Object.fromEntries(fields.map((f) => [f, record.fields[f] ?? null])), custom: {}, truncated: [] };
  return convertToPipedriveBody(entity, links, fieldKeys, { mode: 'update' }).body;
}

/** The audit note of a relink: field names and ids only. */
function relinkNote(fields: readonly LinkField[], current: ApiRecord, fieldKeys: FieldKeys, entity: TargetEntity): string {
  const was = fromPipedriveRecord(entity, current, fieldKeys);
  const id = (f: LinkField) => {
    const v = was.fields[f];
    return typeof v === 'number' ? String(v) : 'none';
  };
  return `relinked: ${fields.map((f) => `${f} ${id(f)} is a record recreated since`).join('; ')}`;
}

/**
 * Points a record's stale links at the recreated records (its before-image saved first, as for any update). A file
 * cannot be relinked (Pipedrive updates only a file's name and description): the old file is deleted and the row marked
 * gone, so the batch uploads it again, once, on the recreated person. Returns what it did.
 */
export async function relink(
  deps: { ledger: Ledger; audit: AuditLog; account: AccountOperations; fieldKeys: FieldKeys },
  entity: TargetEntity,
  runKind: string,
  entry: LedgerEntry,
  record: LogicalRecord,
  stale: StaleLinks,
  restorable: (current: ApiRecord) => Record<string, unknown>,
): Promise<'relinked' | 'replaced'> {
  const { ledger, audit, account, fieldKeys } = deps;
  const note = relinkNote(stale.fields, stale.current, fieldKeys, entity);
  if (!account.canUpdate(entity)) {
    // Deleted before the row is marked gone: a crash in between leaves a row whose record is gone, which the next
    // presence check finds and recreates (never two files).
    const outcome = await account.delete(entity, stale.pipedriveId);
    await audit.append({
      action: 'delete',
      objectType: entity,
      sourceKey: entry.sourceKey,
      pipedriveId: stale.pipedriveId,
      ...writeOperation(entity, 'delete', { pipedriveId: stale.pipedriveId, sourceKey: entry.sourceKey }),
      status: outcome === 'deleted' ? 200 : 404,
      note: `${note}; cannot be relinked in place: uploaded again`,
    });
    await ledger.markGone({ objectType: entity, sourceKey: entry.sourceKey, goneId: stale.pipedriveId, runKind });
    return 'replaced';
  }
  await ledger.saveBeforeImage({ objectType: entity, pipedriveId: stale.pipedriveId, body: restorable(stale.current) });
  await account.update(entity, stale.pipedriveId, relinkBody(entity, record, stale.fields, fieldKeys));
  await audit.append({
    action: 'update',
    objectType: entity,
    sourceKey: entry.sourceKey,
    pipedriveId: stale.pipedriveId,
    ...writeOperation(entity, 'update'),
    note,
  });
  return 'relinked';
}

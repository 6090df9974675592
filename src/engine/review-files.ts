import { createHash } from 'node:crypto';
import { reviewFileKey, reviewFileName, sourceKeyOf } from '../mapping/source-keys';
import { isDataObjectType, reviewFileLink, writeOperation } from '../object-types/registry';
import { isRecordRejection } from '../failures';
import { PipedriveError } from '../pipedrive/errors';
import type { TargetEntity } from '../mapping';
import { recoverIntoLedger } from './recovery';
import type { StagedRecord } from './ports';
import type { LoadEngineDeps } from './load';

/**
 * Review files (DESIGN §5.1, issue 13): the values needing review that no field of a record holds whole (its review
 * field holds 65k characters, a note 100 KB) go, each whole, into a text file attached to the record once the record
 * exists. Each file is a `file` ledger row of its own (`review:<record's key>`), written exactly once like any record:
 * claimed before the upload, its id recorded with the audit row, a pending one recovered by its name's key. So the
 * rollback deletes it (files before everything they are attached to), reconciliation counts it, and the verification
 * checks it is there whole. Idempotent: a batch's retry finds what an earlier attempt settled.
 */
export async function settleReviewFiles(
  deps: LoadEngineDeps,
  req: {
    entity: TargetEntity;
    runKind: string;
    built: Map<string, StagedRecord>;
    /** Records created again in this batch (their earlier record was gone): their review files are uploaded again. */
    recreated: ReadonlySet<string>;
  },
): Promise<void> {
  const { ledger, audit, account, fieldKeys } = deps;
  const { entity, runKind, built, recreated } = req;
  const wanted = [...built].flatMap(([key, { outcome }]) =>
    outcome.kind === 'record' && outcome.reviewFile !== undefined ? [{ key, text: outcome.reviewFile, fields: outcome.record.fields }] : [],
  );
  if (wanted.length === 0 || !isDataObjectType(entity)) return;
  const records = await ledger.getMany(
    entity,
    wanted.map((w) => w.key),
  );
  const files = await ledger.getMany(
    'file',
    wanted.map((w) => reviewFileKey(w.key)),
  );
  // Files the ledger holds, checked still there (staff may have deleted one, or the account was reset): one cheap
  // read for the batch, as the records' own id-map entries are checked (load.ts, takeGone).
  const heldIds = [...files.values()].flatMap((f) => (f.state === 'created' && f.pipedriveId ? [f.pipedriveId] : []));
  const live = heldIds.length === 0 ? { records: new Map<string, Record<string, unknown>>(), tokens: 0 } : await account.liveRecords('file', heldIds);
  let goneFiles = 0;
  for (const { key, text, fields } of wanted) {
    const record = records.get(key);
    // Only a record of ours that exists gets its file: a rejected or skipped one has none, a pending one is settled by
    // a retry, a reused one is the account's own (nothing of ours is written to it).
    if (!record?.pipedriveId || record.state !== 'created') continue;
    const link = reviewFileLink(entity, record.pipedriveId, fields);
    if (link === undefined) continue; // nothing to attach it to: the verification reports its values as missing
    const fileKey = reviewFileKey(key);
    const content = Buffer.from(text, 'utf8');
    const hash = createHash('sha256').update(content).digest('hex');
    const file = files.get(fileKey);
    // Pending: an earlier attempt claimed it and its upload's outcome is unknown.
    const sentSince = file?.state === 'pending' ? file.updatedAt : undefined;

    if (file?.state === 'created' && file.pipedriveId) {
      const liveFile = live.records.get(file.pipedriveId);
      const there = liveFile !== undefined && sourceKeyOf('file', liveFile, fieldKeys) === fileKey;
      if (there && file.contentHash === hash && !recreated.has(key)) continue;
      // The record's values needing review changed (a delta), or the record was created again: the old file goes
      // (files cannot be edited), the new one is uploaded in its place, the ledger row keeping the id it replaces.
      // A file gone from Pipedrive is uploaded again the same way.
      const goneId = file.pipedriveId;
      if (there) {
        await account.delete('file', goneId);
        await audit.append({
          action: 'delete',
          objectType: 'file',
          sourceKey: fileKey,
          pipedriveId: goneId,
          ...writeOperation('file', 'delete'),
          note: recreated.has(key) ? `review file of a ${entity} created again` : `review file of a changed ${entity}: replaced`,
        });
      } else goneFiles++;
      if (!(await ledger.markGone({ objectType: 'file', sourceKey: fileKey, goneId, runKind }))) continue;
    }
    // An earlier attempt claimed it and may have uploaded it: found by its name's key, it is recorded, not sent again.
    const found =
      sentSince !== undefined &&
      (await recoverIntoLedger(deps, {
        entity: 'file',
        sourceKey: fileKey,
        runKind,
        contentHash: hash,
        since: sentSince,
        personId: 'person_id' in link ? link.person_id : undefined,
        note: 'review file uploaded by an earlier attempt whose response was lost',
      }));
    if (found) continue;
    await ledger.claim({ objectType: 'file', sourceKey: fileKey, runKind, contentHash: hash });
    let pipedriveId: string;
    try {
      pipedriveId = await account.create('file', { body: { ...link, file: { name: reviewFileName(key), content } }, fields: {} });
    } catch (err) {
      if (!isRecordRejection(err)) throw err;
      const reason = err instanceof PipedriveError ? `Pipedrive refused the review file: ${err.status ?? ''} ${err.code ?? err.reason}`.trim() : 'refused';
      await ledger.recordOutcome({ objectType: 'file', sourceKey: fileKey, state: 'rejected', reason, runKind });
      continue;
    }
    await ledger.recordCreated(
      { objectType: 'file', sourceKey: fileKey, pipedriveId, runKind, contentHash: hash },
      {
        action: 'create',
        objectType: 'file',
        sourceKey: fileKey,
        pipedriveId,
        ...writeOperation('file', 'create'),
        note: `review file: values needing review that no field of the ${entity} holds whole`,
      },
    );
  }
  if (goneFiles > 0) {
    // The check's reads, booked once with what they found.
    await audit.append({
      action: 'recover',
      objectType: 'file',
      method: 'GET',
      endpoint: 'check review files of the id map still exist',
      tokens: live.tokens,
      note: `${goneFiles} of ${heldIds.length} gone from Pipedrive: uploaded again`,
    });
  }
}

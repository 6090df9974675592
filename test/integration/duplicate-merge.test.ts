import fs from 'node:fs';
import { loadAccountFieldKeys } from '../../src/activities/field-keys';
import { MERGED_IDS_FIELD, REVIEW_FIELD, parseFieldMap, storedMerges } from '../../src/mapping';
import { LOAD_ORDER } from '../../src/object-types/registry';
import { reportedDuplicatePairs } from '../../src/review';
import { latestFieldMap, saveProposedMap } from '../../src/store/field-maps';
import { Ledger } from '../../src/store/ledger';
import { registerRun } from '../../src/store/runs';
import { loadAllBatches, verifyAllBatches } from '../support/activities';
import { dentrixTimestamp, editExtract, readCsvTable } from '../support/extract-edit';
import { COMPACT_PATIENTS, useActivityWorld } from '../support/practice';

jest.setTimeout(5 * 60 * 1000);

/**
 * A duplicate pair merged at MAPPING_REVIEW (issue 13 point 4), activity by activity on real PostgreSQL and the
 * sandbox: the generated practice's duplicates are second charts with a new-patient booking of their own. Merged, the
 * pair is one Person, the survivor, holding its own history and the duplicate's booking and Dentrix id; verification
 * and reconciliation account for the duplicate without a Person of its own; a rollback removes the survivor once and
 * the account is back to its fingerprint.
 */
describe('a merged duplicate pair', () => {
  let survivor: number;
  let duplicate: number;
  let before: string;
  const world = useActivityWorld({
    migrationId: 'merge-duplicates',
    patients: COMPACT_PATIENTS,
    prepare: async ({ db, acts, migrationId, extract, sandbox, run }) => {
      await registerRun(db.pool, { migrationId, source: { kind: 'folder', path: extract }, pipedriveBaseUrl: sandbox.url });
      await run(acts.extractSource, { migrationId });
      await run(acts.auditSource, { migrationId });
      await run(acts.proposeMap, { migrationId });
      // Ops merge the first probable pair, the earlier chart surviving (as the Duplicates sheet's default).
      const pair = (await reportedDuplicatePairs(db.pool, migrationId))![0]!;
      [survivor, duplicate] = [pair.duplicateOfPatientId, pair.patientId];
      const proposed = (await latestFieldMap(db.pool, migrationId))!;
      const version = await saveProposedMap(db.pool, migrationId, {
        map: parseFieldMap(proposed.document.map),
        duplicates: { merge: [{ survivor, duplicate }] },
      });
      expect((await run(acts.approveMap, { migrationId, version, by: 'test', includeAllPhi: true })).errors).toEqual([]);
      before = (await run(acts.takeFingerprint, { migrationId, label: 'before_first_write' })).fingerprint!;
      await run(acts.resolveProviders, { migrationId });
      await run(acts.createSchema, { migrationId });
    },
  });
  const { migrationId, run } = world;

  const verifyAll = (objectType: string) => verifyAllBatches(world.acts, migrationId, objectType);
  const api = async <T>(route: string): Promise<T> => {
    const response = await fetch(`${world.sandbox.url}/api/${route}${route.includes('?') ? '&' : '?'}api_token=sandbox-token`);
    expect(response.status).toBe(200);
    return ((await response.json()) as { data: T }).data;
  };
  /** The staged keys of a table's rows that belong to a patient. */
  const stagedKeysOf = async (table: string, keyColumn: string, patientId: number): Promise<string[]> =>
    (
      await world.db.pool.query<{ key: string }>(
        `SELECT data->>'${keyColumn}' AS key FROM staged_rows WHERE migration_id = $1 AND source_table = $2 AND (data->>'patient_id')::bigint = $3`,
        [migrationId, table, patientId],
      )
    ).rows.map((r) => r.key);

  beforeAll(async () => {
    for (const objectType of LOAD_ORDER) await loadAllBatches(world.acts, migrationId, objectType);
  });

  it('loads as one Person with both histories and the duplicate’s Dentrix id; verification and reconciliation add up', async () => {
    const ledger = new Ledger(world.db.pool);
    const persons = await ledger.getMany(migrationId, 'person', [`patient:${survivor}`, `patient:${duplicate}`]);
    expect(persons.get(`patient:${duplicate}`)).toMatchObject({
      state: 'skipped',
      reason: `merged into patient:${survivor} (duplicate decision at MAPPING_REVIEW)`,
    });
    expect(persons.get(`patient:${duplicate}`)?.pipedriveId ?? null).toBeNull();
    const survivorEntry = persons.get(`patient:${survivor}`)!;
    expect(survivorEntry.state).toBe('created');
    const personId = Number(survivorEntry.pipedriveId);

    const keys = await loadAccountFieldKeys(world.db.pool, migrationId);
    const person = await api<{ custom_fields: Record<string, unknown>; phones: { value: string; primary: boolean }[] }>(`v2/persons/${personId}`);
    expect(person.custom_fields[keys.person![MERGED_IDS_FIELD]!.key]).toBe(String(duplicate));
    // The duplicate chart's own mobile number is on the survivor too, not as its primary.
    const duplicateRow = (await readCsvTable(world.extract, 'patient')).rows.find((r) => r.patient_id === String(duplicate))!;
    const duplicateMobile = duplicateRow.mobile_phone!;
    expect(person.phones.find((p) => p.value.replace(/\D/gu, '').endsWith(duplicateMobile.replace(/\D/gu, '').slice(-10)))).toMatchObject({ primary: false });
    // The duplicate chart's other values the survivor does not hold (its chart number, at least) are kept for review on
    // the survivor, named by field and chart, not dropped.
    const review = person.custom_fields[keys.person![REVIEW_FIELD]!.key];
    const reviewText = typeof review === 'string' ? review : '';
    expect(duplicateRow.chart_num).toBeTruthy();
    expect(reviewText).toContain(`Chart Number (merged from patient:${duplicate}): ${duplicateRow.chart_num}`);

    // The duplicate's appointments (its new-patient booking) and the survivor's own are activities of the one Person.
    const duplicateAppts = await stagedKeysOf('appt', 'appointment_id', duplicate);
    const survivorAppts = await stagedKeysOf('appt', 'appointment_id', survivor);
    expect(duplicateAppts.length).toBeGreaterThan(0);
    expect(survivorAppts.length).toBeGreaterThan(0);
    const activities = await ledger.getMany(
      migrationId,
      'activity',
      [...duplicateAppts, ...survivorAppts].map((id) => `appt:${id}`),
    );
    for (const [key, entry] of activities) {
      if (entry.state !== 'created') continue;
      expect([key, (await api<{ person_id: number | null }>(`v2/activities/${entry.pipedriveId}`)).person_id]).toEqual([key, personId]);
    }
    expect(duplicateAppts.some((id) => activities.get(`appt:${id}`)?.state === 'created')).toBe(true);

    for (const objectType of LOAD_ORDER) expect([objectType, (await verifyAll(objectType)).discrepancies]).toEqual([objectType, 0]);
    const reconciled = await run(world.acts.reconcile, { migrationId });
    expect(reconciled.balanced).toBe(true);
    const report = JSON.parse(fs.readFileSync(reconciled.reportPath, 'utf8')) as { objects: { person: { merged: number; skipped: number } } };
    expect(report.objects.person.merged).toBe(1);
    expect(report.objects.person.skipped).toBeGreaterThanOrEqual(1);
  });

  it('a delta change to the duplicate updates the survivor, and creates no Person for the duplicate', async () => {
    const newMobile = '(312) 555-0199';
    await editExtract(world.extract, {
      patient: (t) => {
        const row = t.rows.find((r) => r.patient_id === String(duplicate))!;
        row.mobile_phone = newMobile;
        if ('automodifiedtimestamp' in row) row.automodifiedtimestamp = dentrixTimestamp();
      },
    });
    const poll = await run(world.acts.deltaPoll, { migrationId, pollNumber: 1 });
    expect(poll.workItems.person).toBeGreaterThanOrEqual(2);
    let afterSeq = 0;
    for (;;) {
      const ranges = await run(world.acts.nextBatches, { migrationId, objectType: 'person', runKind: 'delta', afterSeq, batchSize: 200, maxBatches: 50 });
      if (ranges.length === 0) break;
      for (const range of ranges) {
        await run(world.acts.loadBatch, { migrationId, objectType: 'person', runKind: 'delta', ...range, batchNumber: 1 });
        afterSeq = range.toSeq;
      }
    }
    const entries = await new Ledger(world.db.pool).getMany(migrationId, 'person', [`patient:${survivor}`, `patient:${duplicate}`]);
    expect(entries.get(`patient:${duplicate}`)?.state).toBe('skipped');
    const person = await api<{ phones: { value: string }[] }>(`v2/persons/${entries.get(`patient:${survivor}`)!.pipedriveId}`);
    expect(person.phones.map((p) => p.value)).toContain('+13125550199');
  });

  it('a fresh proposal (as after a rejected sample) keeps the merge, and tells the gate the pairs and merges', async () => {
    const proposal = await run(world.acts.proposeMap, { migrationId });
    expect(proposal.duplicates).toEqual({ pairs: (await reportedDuplicatePairs(world.db.pool, migrationId))!.length, merged: 1 });
    const latest = (await latestFieldMap(world.db.pool, migrationId))!;
    expect({ version: latest.version, status: latest.status }).toEqual({ version: proposal.version, status: 'proposed' });
    expect(storedMerges(latest.document).merge).toEqual([{ survivor, duplicate }]);
  });

  it('rolls back cleanly: the survivor is deleted once and the account is back to its fingerprint', async () => {
    await run(world.acts.beginRollback, { migrationId, scope: 'all', by: 'test', reason: 'test' });
    for (
      let next = await run(world.acts.nextRollbackTarget, { migrationId, scope: 'all' });
      next;
      next = await run(world.acts.nextRollbackTarget, { migrationId, scope: 'all' })
    ) {
      await run(world.acts.rollbackBatch, { migrationId, objectType: next.objectType, scope: 'all', limit: 200 });
    }
    expect(await run(world.acts.proveRollback, { migrationId, scope: 'all' })).toMatchObject({ proven: true, remaining: 0 });
    const { rows } = await world.db.pool.query<{ source_key: string }>(
      `SELECT source_key FROM audit_log WHERE migration_id = $1 AND action = 'delete' AND object_type = 'person' AND source_key IN ($2, $3)`,
      [migrationId, `patient:${survivor}`, `patient:${duplicate}`],
    );
    expect(rows).toEqual([{ source_key: `patient:${survivor}` }]);
    expect(world.sandbox.fingerprint()).toBe(before);
  });
});

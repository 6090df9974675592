import fs from 'node:fs';
import type { KeptForReview } from '../../src/activities/kept-for-review';
import { storeDb } from '../../src/store/db';
import { DEFAULT_API_TOKEN } from '@dentrix-pipedrive/pipedrive-sandbox';
import { loadAllBatches, verifyAllBatches } from '../support/activities';
import { readCsvTable, writeCsvTable } from '../support/extract-edit';
import { useActivityWorld } from '../support/practice';

jest.setTimeout(5 * 60 * 1000);

/**
 * Nothing dropped silently (issue 13 point 1), activity by activity on real PostgreSQL and the sandbox: an extract with
 * an internationalized email next to a refused one, a malformed phone, a 300-character preferred name and a 70,000-
 * character clinical note and a birth date the reader cannot read is loaded and verified. Every value is somewhere on its record in Pipedrive (the address
 * moves; the refused one, the cut-off rest of the name and of the patient's narrative are in Values Needing Review; the
 * phone is in Phones Needing Review; the note is whole), the source-side check finds each, and the reports count them.
 */
describe('values a transform refuses or shortens', () => {
  const longName = Array.from({ length: 50 }, (_, i) => `Name${i}`).join(' ');
  const longNote = Array.from({ length: 7_000 }, (_, i) => `line ${i}.`).join(' ');
  // Longer than any field holds: 255 characters in its field, 65,000 in the review field, the whole rest in a file.
  const hugeName = Array.from({ length: 20_000 }, (_, i) => `Huge${i}`).join(' ');
  const ids: Record<'email' | 'phone' | 'name' | 'note' | 'date' | 'huge', string> = { email: '', phone: '', name: '', note: '', date: '', huge: '' };
  const world = useActivityWorld({
    migrationId: 'values-kept',
    editExtract: async (extract) => {
      const patients = await readCsvTable(extract, 'patient');
      const notes = await readCsvTable(extract, 'clinical_note');
      const [a, b, c, d, e] = patients.rows.filter((p) => p.email !== '' && p.mobile_phone !== '');
      ids.email = a!.patient_id!;
      a!.email = 'zoë.ng@example.com; zoe.ng@';
      ids.phone = b!.patient_id!;
      b!.mobile_phone = '555-01';
      ids.name = c!.patient_id!;
      c!.preferred_name = longName;
      // A birth date the reader cannot read: staged as null, the text as typed kept with the row.
      ids.date = d!.patient_id!;
      d!.birth_date = '31.02.1985';
      ids.huge = e!.patient_id!;
      e!.preferred_name = hugeName;
      const note = notes.rows[0]!;
      ids.note = note.patient_id!;
      note.note_text = longNote;
      await writeCsvTable(extract, 'patient', patients);
      await writeCsvTable(extract, 'clinical_note', notes);
    },
  });
  const { migrationId, run } = world;

  const verifyAll = (objectType: string) => verifyAllBatches(world.acts, migrationId, objectType);
  const person = async (patientId: string): Promise<Record<string, unknown>> => {
    const row = await storeDb(world.db.pool)
      .selectFrom('id_map')
      .select('pipedrive_id')
      .where('migration_id', '=', migrationId)
      .where('object_type', '=', 'person')
      .where('source_key', '=', `patient:${patientId}`)
      .executeTakeFirstOrThrow();
    const res = await fetch(`${world.sandbox.url}/api/v2/persons/${row.pipedrive_id}?api_token=${DEFAULT_API_TOKEN}`);
    return ((await res.json()) as { data: Record<string, unknown> }).data;
  };

  /** The source-side and field rows of the last verification that did not match, for one record. */
  const unmatched = (sourceKey: string) =>
    storeDb(world.db.pool)
      .selectFrom('field_diffs')
      .select(['field', 'category'])
      .where('migration_id', '=', migrationId)
      .where('run_kind', '=', 'full')
      .where('source_key', '=', sourceKey)
      .where('matched', '=', false)
      .execute();

  beforeAll(async () => {
    for (const objectType of ['organization', 'product', 'person', 'note']) await loadAllBatches(world.acts, migrationId, objectType);
  });

  it('keeps every value on its record in Pipedrive, and the Data Quality Report counted them beforehand', async () => {
    const withEmail = await person(ids.email);
    expect(withEmail.emails).toEqual([expect.objectContaining({ value: 'zoë.ng@example.com' })]);
    const custom = (p: Record<string, unknown>) => JSON.stringify(p.custom_fields ?? {});
    expect(custom(withEmail)).toContain('emails (refused): zoe.ng@');
    expect(custom(await person(ids.phone))).toContain('mobile: 555-01');
    const named = custom(await person(ids.name));
    expect(named).toContain('Preferred Name (shortened, the rest): ');
    expect(custom(await person(ids.note))).toContain('Clinical Narrative (shortened, the rest): ');
    expect(custom(await person(ids.date))).toContain('Birth Date (refused): 31.02.1985');

    const audit = await run(world.acts.auditSource, { migrationId });
    expect(audit.counts.valuesForReview).toBeGreaterThanOrEqual(3);
  });

  it('puts what no field holds whole into one file attached to its record, exactly once, counted by reconciliation', async () => {
    const huge = await person(ids.huge);
    expect(JSON.stringify(huge.custom_fields)).toContain('Preferred Name (shortened, the rest): ');
    const list = await fetch(`${world.sandbox.url}/api/v1/persons/${String(huge.id)}/files?api_token=${DEFAULT_API_TOKEN}`);
    const files = ((await list.json()) as { data: { id: number; name: string; file_size: number }[] | null }).data ?? [];
    expect(files.map((f) => f.name)).toEqual([`dentrix-review-patient-${ids.huge}__values-needing-review.txt`]);
    const download = await fetch(`${world.sandbox.url}/api/v1/files/${files[0]!.id}/download?api_token=${DEFAULT_API_TOKEN}`);
    const text = await download.text();
    // The whole rest of the name, whole: its field holds the first 255 characters, the file everything after them.
    expect(text.startsWith('Preferred Name (shortened, the rest): ')).toBe(true);
    expect(text.length).toBeGreaterThan(hugeName.length - 300);
    expect(text.endsWith(hugeName.slice(-5_000))).toBe(true);
    // Its ledger row, and no file for a record whose values all fit.
    const ledger = await storeDb(world.db.pool)
      .selectFrom('id_map')
      .select(['source_key', 'state', 'pipedrive_id'])
      .where('migration_id', '=', migrationId)
      .where('object_type', '=', 'file')
      .execute();
    expect(ledger).toEqual([{ source_key: `review:patient:${ids.huge}`, state: 'created', pipedrive_id: String(files[0]!.id) }]);
    // Loading the persons again uploads nothing more.
    await loadAllBatches(world.acts, migrationId, 'person');
    const again = await fetch(`${world.sandbox.url}/api/v1/files?api_token=${DEFAULT_API_TOKEN}`);
    expect(((await again.json()) as { data: unknown[] | null }).data).toHaveLength(1);
    // Reconciliation counts it apart from the documents (it is no source record).
    const reconciled = await run(world.acts.reconcile, { migrationId });
    const report = JSON.parse(fs.readFileSync(reconciled.reportPath, 'utf8')) as { reviewFiles: Record<string, number> };
    expect(report.reviewFiles).toEqual({ uploaded: 1, pending: 0, refused: 0, rolledBack: 0 });
    expect(reconciled.objects.file?.migrated ?? 0).toBe(0);
  });

  it('verification finds each kept value on its record and the report counts them by field and kind', async () => {
    for (const objectType of ['person', 'note']) expect([objectType, (await verifyAll(objectType)).discrepancies]).toEqual([objectType, 0]);
    const accuracy = await run(world.acts.writeAccuracyReport, { migrationId, runKind: 'full' });
    expect(accuracy.accuracy).toBe(100);
    const report = JSON.parse(fs.readFileSync(accuracy.reportPath!, 'utf8')) as { keptForReview: KeptForReview };
    const counted = (field: string, kind: string) => report.keptForReview.byField.find((r) => r.object === 'person' && r.field === field && r.kind === kind);
    expect(counted('emails', 'refused')!.values).toBeGreaterThanOrEqual(1);
    expect(counted('phones', 'refused')!.values).toBeGreaterThanOrEqual(1);
    expect(counted('custom:Clinical Narrative', 'shortened')!.values).toBeGreaterThanOrEqual(1);
    expect(counted('custom:Birth Date', 'refused')).toMatchObject({ inPipedrive: counted('custom:Birth Date', 'refused')!.values });
    // Two names cut: the one whose rest is in its review field, the one whose rest is in its review file.
    expect(counted('custom:Preferred Name', 'shortened')).toMatchObject({ values: 2, inPipedrive: 2 });
    expect(report.keptForReview.inPipedrive).toBe(report.keptForReview.values);
  });

  it('reports a kept value missing from Pipedrive as a discrepancy of the source side', async () => {
    const target = await person(ids.name);
    // Staff (or an automation) empties the review field of one person: its cut-off rest is now nowhere in Pipedrive.
    const reviewKey = Object.entries(target.custom_fields as Record<string, unknown>).find(
      ([, v]) => typeof v === 'string' && v.includes('(shortened, the rest)'),
    )![0];
    await fetch(`${world.sandbox.url}/api/v2/persons/${String(target.id)}?api_token=${DEFAULT_API_TOKEN}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ custom_fields: { [reviewKey]: null } }),
    });
    const result = await verifyAll('person');
    expect(result.discrepancies).toBeGreaterThanOrEqual(2);
    const missing = await unmatched(`patient:${ids.name}`);
    expect(missing).toEqual(
      expect.arrayContaining([
        { field: 'custom:Values Needing Review', category: expect.any(String) },
        { field: 'review:shortened:custom:Preferred Name', category: 'source_value_missing' },
      ]),
    );
  });

  it('reports the values of a review file staff deleted as missing, uploads it again on the next load, and the rollback deletes it', async () => {
    const file = await storeDb(world.db.pool)
      .selectFrom('id_map')
      .select('pipedrive_id')
      .where('migration_id', '=', migrationId)
      .where('source_key', '=', `review:patient:${ids.huge}`)
      .executeTakeFirstOrThrow();
    await fetch(`${world.sandbox.url}/api/v1/files/${file.pipedrive_id}?api_token=${DEFAULT_API_TOKEN}`, { method: 'DELETE' });
    await verifyAll('person');
    const missing = await unmatched(`patient:${ids.huge}`);
    expect(missing).toEqual([{ field: 'review:shortened:custom:Preferred Name', category: 'source_value_missing' }]);

    // The next load finds it gone and uploads it again; the verification finds it whole.
    await loadAllBatches(world.acts, migrationId, 'person');
    const again = await storeDb(world.db.pool)
      .selectFrom('id_map')
      .select(['state', 'pipedrive_id', 'replaced_pipedrive_id'])
      .where('migration_id', '=', migrationId)
      .where('source_key', '=', `review:patient:${ids.huge}`)
      .executeTakeFirstOrThrow();
    expect(again).toMatchObject({ state: 'created', replaced_pipedrive_id: file.pipedrive_id });
    await verifyAll('person');
    expect(await unmatched(`patient:${ids.huge}`)).toEqual([]);

    // Rolled back: every file of the migration (this one first) and every record it created are gone.
    const order: string[] = [];
    for (
      let next = await run(world.acts.nextRollbackTarget, { migrationId, scope: 'all' });
      next;
      next = await run(world.acts.nextRollbackTarget, { migrationId, scope: 'all' })
    ) {
      order.push(next.objectType);
      await run(world.acts.rollbackBatch, { migrationId, objectType: next.objectType, scope: 'all', limit: 100 });
    }
    expect(order[0]).toBe('file');
    expect(order.indexOf('file')).toBeLessThan(order.indexOf('person'));
    const live = await fetch(`${world.sandbox.url}/api/v1/files?api_token=${DEFAULT_API_TOKEN}`);
    expect(((await live.json()) as { data: unknown[] | null }).data ?? []).toEqual([]);
    expect(
      await storeDb(world.db.pool)
        .selectFrom('id_map')
        .select('source_key')
        .where('migration_id', '=', migrationId)
        .where('state', 'in', ['created', 'pending'])
        .execute(),
    ).toEqual([]);
  });
});

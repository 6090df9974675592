import fs from 'node:fs';
import { DEFAULT_API_TOKEN } from '@dentrix-pipedrive/pipedrive-sandbox';
import { LOAD_ORDER } from '../../src/object-types/registry';
import { storeDb } from '../../src/store/db';
import { Ledger } from '../../src/store/ledger';
import { storeProgress } from '../../src/cli/commands';
import { loadAllBatches, verifyAllBatches } from '../support/activities';
import { COMPACT_PATIENTS, useActivityWorld } from '../support/practice';

jest.setTimeout(5 * 60 * 1000);

/**
 * An id map that no longer matches the account (issue 13 point 7), activity by activity on real PostgreSQL and the
 * sandbox: a practice is loaded, then the sandbox account is reset (as after a rehearsal). Verification reports what
 * is gone as missing records (the files of a person that no longer exists answer 404) instead of failing; the next
 * load finds every record of its id map gone and creates each again, once, and verification is back at 100%.
 */
describe('records of the id map gone from Pipedrive', () => {
  const world = useActivityWorld({ migrationId: 'gone-records', patients: COMPACT_PATIENTS });
  const { migrationId, run } = world;

  const verifyAll = (objectType: string) => verifyAllBatches(world.acts, migrationId, objectType);
  /** The sandbox's public API, as staff's own edits reach it (the records' `data`). */
  const api = async <T>(pathname: string, init?: RequestInit): Promise<T> => {
    const res = await fetch(`${world.sandbox.url}${pathname}${pathname.includes('?') ? '&' : '?'}api_token=${DEFAULT_API_TOKEN}`, init);
    return ((await res.json()) as { data: T }).data;
  };
  const missingRecords = async (objectType: string) =>
    (
      await storeDb(world.db.pool)
        .selectFrom('field_diffs')
        .select('source_key')
        .distinct()
        .where('migration_id', '=', migrationId)
        .where('run_kind', '=', 'full')
        .where('object_type', '=', objectType)
        .where('category', '=', 'missing_record')
        .execute()
    ).length;

  beforeAll(async () => {
    for (const objectType of LOAD_ORDER) await loadAllBatches(world.acts, migrationId, objectType);
  });

  it('verification reports them missing instead of failing; the next load recreates each once and verifies at 100%', async () => {
    const ledger = new Ledger(world.db.pool);
    const held = await ledger.countsByState(migrationId);
    for (const objectType of ['person', 'note', 'file']) expect(held[objectType]?.created).toBeGreaterThan(0);

    // The account is reset, as after a rehearsal: every record the id map holds is gone (persons no longer exist, so
    // their file listings answer 404 "Person not found").
    await fetch(`${world.sandbox.url}/_sandbox/reset`, { method: 'POST' });
    for (const objectType of ['person', 'note', 'file']) {
      const result = await verifyAll(objectType);
      expect(result.discrepancies).toBeGreaterThan(0);
      expect(await missingRecords(objectType)).toBe(held[objectType]!.created);
    }

    // The same migration again: its schema (the fields went with the reset), then every type in order.
    await run(world.acts.resolveProviders, { migrationId });
    await run(world.acts.createSchema, { migrationId });
    const creates = () => Object.entries(world.sandbox.usage().byRoute).reduce((n, [route, r]) => n + (route.startsWith('POST ') ? r.requests : 0), 0);
    const createsBefore = creates();
    let migrated = 0;
    for (const objectType of LOAD_ORDER) {
      for (const counts of await loadAllBatches(world.acts, migrationId, objectType)) migrated += counts.migrated;
    }
    const recreated = await ledger.recreatedByType(migrationId);
    const after = await ledger.countsByState(migrationId);
    // Every record the migration had created is created again, exactly once; the account's own products it reused
    // came back with the reset (the sandbox's seed) and are reused again, not recreated.
    for (const objectType of LOAD_ORDER) {
      expect([objectType, recreated[objectType] ?? 0]).toEqual([objectType, held[objectType]?.created ?? 0]);
      expect([objectType, after[objectType]]).toEqual([objectType, held[objectType]]);
    }
    // Records only: the schema's recreations (counted too, below) are no load's.
    const total = LOAD_ORDER.reduce((n, t) => n + (recreated[t] ?? 0), 0);
    expect(migrated).toBe(total);
    // Deal products attached in bulk send one request for many: at most one create request per record.
    expect(creates() - createsBefore).toBeLessThanOrEqual(total);
    expect(creates() - createsBefore).toBeGreaterThan(0);

    for (const objectType of LOAD_ORDER) {
      const result = await verifyAll(objectType);
      expect([objectType, result.discrepancies]).toEqual([objectType, 0]);
    }
    const accuracy = await run(world.acts.writeAccuracyReport, { migrationId, runKind: 'full' });
    expect(accuracy.accuracy).toBe(100);
    const report = JSON.parse(fs.readFileSync(accuracy.reportPath!, 'utf8')) as { recreated: Record<string, number> };
    expect(report.recreated).toEqual(recreated);

    // Status and the reconciliation say how many were recreated, per object type.
    const progress = await storeProgress(world.db.pool, migrationId, 'UTC');
    const dataTypes = LOAD_ORDER.filter((t) => recreated[t] !== undefined);
    for (const objectType of dataTypes) expect(progress.objects[objectType]!.recreated).toBe(recreated[objectType]);
    const reconciled = await run(world.acts.reconcile, { migrationId });
    const reconciliation = JSON.parse(fs.readFileSync(reconciled.reportPath, 'utf8')) as { objects: Record<string, { recreated: number }> };
    for (const objectType of dataTypes) expect(reconciliation.objects[objectType]!.recreated).toBe(recreated[objectType]);
    // The schema the reset took with it was recreated too, and counted the same way.
    expect(recreated.custom_field).toBeGreaterThan(0);
  });

  it('relinks the records of a person staff deleted by hand to the recreated person, once, and verifies at 100%', async () => {
    type Linked = { id: number; person_id: number | null };
    // A patient with documents: staff delete the Person alone; their deals, appointments, notes and files stay.
    const files = await api<Linked[]>('/api/v1/files?limit=100');
    const goneId = files[0]!.person_id!;
    const linked = async (personId: number) => ({
      deal: (await api<Linked[]>(`/api/v2/deals?person_id=${personId}`)).map((r) => r.id).sort(),
      activity: (await api<Linked[]>(`/api/v2/activities?person_id=${personId}`)).map((r) => r.id).sort(),
      note: (await api<Linked[]>(`/api/v1/notes?person_id=${personId}`)).map((r) => r.id).sort(),
      file: (await api<Linked[]>('/api/v1/files?limit=100')).filter((f) => f.person_id === personId).length,
    });
    const before = await linked(goneId);
    expect(before.file).toBeGreaterThan(0);
    expect(before.deal.length + before.activity.length + before.note.length).toBeGreaterThan(0);
    await api(`/api/v2/persons/${goneId}`, { method: 'DELETE' });

    const ledger = new Ledger(world.db.pool);
    const recreatedBefore = await ledger.recreatedByType(migrationId);
    let updated = 0;
    for (const objectType of LOAD_ORDER) for (const counts of await loadAllBatches(world.acts, migrationId, objectType)) updated += counts.updated;
    const person = await storeDb(world.db.pool)
      .selectFrom('id_map')
      .select(['pipedrive_id', 'replaced_pipedrive_id'])
      .where('migration_id', '=', migrationId)
      .where('object_type', '=', 'person')
      .where('replaced_pipedrive_id', '=', String(goneId))
      .executeTakeFirstOrThrow();
    const newId = Number(person.pipedrive_id);
    // The same deals, appointments and notes (not recreated), now on the recreated person; the files uploaded again
    // on it (Pipedrive cannot move a file), the old ones deleted.
    const after = await linked(newId);
    expect({ ...after, file: undefined }).toEqual({ ...before, file: undefined });
    expect(after.file).toBe(before.file);
    expect(await linked(goneId)).toEqual({ deal: [], activity: [], note: [], file: 0 });
    expect(updated).toBe(before.deal.length + before.activity.length + before.note.length);
    const recreated = await ledger.recreatedByType(migrationId);
    expect(recreated.person).toBe(recreatedBefore.person);
    expect(recreated.file).toBe(recreatedBefore.file);

    for (const objectType of LOAD_ORDER) expect([objectType, (await verifyAll(objectType)).discrepancies]).toEqual([objectType, 0]);

    // Exactly once: a run after it writes nothing.
    const writes = () =>
      Object.entries(world.sandbox.usage().byRoute).reduce((n, [route, r]) => n + (/^(POST|PUT|PATCH|DELETE) /u.test(route) ? r.requests : 0), 0);
    const writesBefore = writes();
    for (const objectType of LOAD_ORDER) await loadAllBatches(world.acts, migrationId, objectType);
    expect(writes()).toBe(writesBefore);
  });

  it('moves the deals of a stage staff deleted by hand to the stage SCHEMA creates again, once, and verifies at 100%', async () => {
    type Deal = { id: number; stage_id: number };
    const dealsOn = async (stageId: number) => (await api<Deal[]>(`/api/v2/deals?stage_id=${stageId}&limit=500`)).map((d) => d.id).sort();
    const goneStage = (await api<Deal[]>('/api/v2/deals?limit=1'))[0]!.stage_id;
    const onIt = await dealsOn(goneStage);
    expect(onIt.length).toBeGreaterThan(0);
    // Staff delete the stage; Pipedrive keeps its deals, on the deleted stage.
    await api(`/api/v2/stages/${goneStage}`, { method: 'DELETE' });

    await run(world.acts.createSchema, { migrationId });
    const stage = await storeDb(world.db.pool)
      .selectFrom('id_map')
      .select('pipedrive_id')
      .where('migration_id', '=', migrationId)
      .where('object_type', '=', 'stage')
      .where('replaced_pipedrive_id', '=', String(goneStage))
      .executeTakeFirstOrThrow();
    let updated = 0;
    for (const objectType of LOAD_ORDER) for (const counts of await loadAllBatches(world.acts, migrationId, objectType)) updated += counts.updated;
    // The same deals (not recreated), now on the recreated stage; none left on the deleted one.
    expect(await dealsOn(Number(stage.pipedrive_id))).toEqual(onIt);
    expect(await dealsOn(goneStage)).toEqual([]);
    expect(updated).toBe(onIt.length);
    for (const objectType of LOAD_ORDER) expect([objectType, (await verifyAll(objectType)).discrepancies]).toEqual([objectType, 0]);
  });
});

import { usePracticeWorld } from '../support/practice';
import { parseMigrationOptions } from '../../src/config';
import { startMigration } from '../../src/cli/commands';
import { driveMigration } from '../../src/cli/drive';
import { loadAccountFieldKeys } from '../../src/activities/field-keys';
import { SOURCE_KEY_FIELD } from '../../src/mapping/source-keys';
import { DEFAULT_API_TOKEN, type RunningSandbox } from '@dentrix-pipedrive/pipedrive-sandbox';
import { Ledger } from '../../src/store/ledger';
import { storeProgress } from '../../src/cli/commands';
import { readAudit } from '../../src/store/audit';

jest.setTimeout(12 * 60 * 1000);

/**
 * The demo's own options (src/cli/demo.ts), with a short delta window closed by cutover after one poll, as it does, on
 * half the compact practice with a sample to match (the invariant holds on any size; the run goes through every phase
 * three times, and the suite has a time budget).
 */
const PATIENTS = 25;
const OPTIONS = parseMigrationOptions({
  sampleSize: 100,
  allowSmallSample: true,
  batchSize: 50,
  concurrency: 2,
  deltaWindowSeconds: 60,
  deltaPollSeconds: 2,
});

describe('running the demo migration twice (same migration id, extract and sandbox) duplicates nothing', () => {
  const world = usePracticeWorld({ patients: PATIENTS });

  /** What `npm run demo` does each time: start (a finished migration's id starts a new run), then drive the gates. */
  const runDemo = async (migrationId: string) => {
    const started = await startMigration(world.h.env, world.h.db.pool, world.h.client, {
      migrationId,
      source: { kind: 'folder', path: world.extract },
      pipedriveBaseUrl: world.sandbox.url,
      options: OPTIONS,
    });
    const result = await driveMigration(world.h.client, migrationId, {
      by: 'demo (automatic)',
      includeAllPhi: true,
      minSampleAccuracy: 99,
      cutoverAfterPolls: 1,
      audit: world.h.db.pool, // as the demo does: its scripted cutover is audited too
    });
    return { started, status: result.status };
  };

  /** Live Pipedrive persons per Dentrix Source Key, read from the sandbox's own state. */
  const personsByDentrixKey = async (migrationId: string): Promise<Map<string, number>> => {
    const key = (await loadAccountFieldKeys(world.h.db.pool, migrationId)).person![SOURCE_KEY_FIELD]!.key;
    const snapshot = (await (await fetch(`${world.sandbox.url}/_sandbox/snapshot`)).json()) as {
      tables: { persons: { is_deleted: boolean; custom_fields: Record<string, unknown> }[] };
    };
    const counts = new Map<string, number>();
    for (const p of snapshot.tables.persons) {
      if (p.is_deleted) continue;
      const dentrixKey = p.custom_fields[key];
      if (typeof dentrixKey === 'string') counts.set(dentrixKey, (counts.get(dentrixKey) ?? 0) + 1);
    }
    return counts;
  };

  it('a second run ends DONE with the same account fingerprint, the same ledger and one person per patient', async () => {
    const migrationId = 'demo-twice';
    const first = await runDemo(migrationId);
    expect(first.started.alreadyRunning).toBe(false);
    expect(first.status.phase).toBe('DONE');
    // The demo's audit log holds every decision with what it decided: the map version and PHI, the sample run, the
    // scripted cutover (forced when claims were in flight) with its reason.
    const decisions: string[] = [];
    for await (const page of readAudit(world.h.db.pool, migrationId)) for (const row of page) if (row.object_type === 'gate') decisions.push(row.note ?? '');
    expect(decisions).toEqual([
      expect.stringMatching(/^approve by demo \(automatic\) \(map (v\d+|latest proposed); PHI: every rule included unchanged \(SSN never moves\)\)$/u),
      'approve by demo (automatic) (sample run 1)',
      expect.stringMatching(
        /^(forced_cutover|cutover) by demo \(automatic\)( with \d+ insurance claim\(s\) in flight)?: scripted cutover after 1 delta poll\(s\)$/u,
      ),
    ]);
    const afterFirst = world.sandbox.fingerprint();
    const ledgerAfterFirst = await new Ledger(world.h.db.pool).countsByState(migrationId);
    const usageAfterFirst = world.sandbox.usage();
    const personsAfterFirst = await personsByDentrixKey(migrationId);
    expect(personsAfterFirst.size).toBeGreaterThan(PATIENTS / 2);
    expect(first.status.objects.person!.migrated).toBe(personsAfterFirst.size);

    const second = await runDemo(migrationId);
    expect(second.started.alreadyRunning).toBe(false);
    expect(second.started.runId).not.toBe(first.started.runId);
    expect(second.status.phase).toBe('DONE');
    expect(second.status.verification!.accuracy).toBe(100);

    // Nothing new in the account, nothing new in the ledger, and the same counts reported.
    expect(world.sandbox.fingerprint()).toBe(afterFirst);
    expect(second.status.fingerprints.atEnd).toBe(first.status.fingerprints.atEnd);
    expect(await new Ledger(world.h.db.pool).countsByState(migrationId)).toEqual(ledgerAfterFirst);
    expect(second.status.objects).toEqual(first.status.objects);
    const persons = await personsByDentrixKey(migrationId);
    expect([...persons.values()].filter((n) => n > 1)).toEqual([]);
    expect(persons).toEqual(personsAfterFirst);
    // No create request reached the sandbox in the second run.
    const creates = (u: ReturnType<RunningSandbox['usage']>) =>
      Object.entries(u.byRoute)
        .filter(([route]) => route.startsWith('POST '))
        .reduce((n, [, r]) => n + r.requests, 0);
    expect(creates(world.sandbox.usage())).toBe(creates(usageAfterFirst));
  });

  it('a third run after staff deleted records by hand recreates exactly those, once, and verifies at 100%', async () => {
    const migrationId = 'demo-twice';
    type Row = { id: number; person_id?: number | null; deal_id?: number; is_deleted?: boolean; active_flag?: boolean };
    const snapshot = (await (await fetch(`${world.sandbox.url}/_sandbox/snapshot`)).json()) as { tables: Record<string, Row[]> };
    const live = (table: string) => snapshot.tables[table]!.filter((r) => r.is_deleted !== true && r.active_flag !== false);
    // A patient with their whole history, as staff would delete one in Pipedrive (the sandbox does not cascade), and
    // one appointment and one note of other patients.
    const notes = live('notes');
    const patient = live('persons').find(
      (p) => live('deals').some((d) => d.person_id === p.id) && notes.some((n) => n.person_id === p.id) && live('activities').some((a) => a.person_id === p.id),
    )!;
    const deals = live('deals').filter((d) => d.person_id === patient.id);
    const gone: Record<string, string[]> = {
      person: [String(patient.id)],
      deal: deals.map((d) => String(d.id)),
      deal_product: live('dealProducts')
        .filter((dp) => deals.some((d) => d.id === dp.deal_id))
        .map((dp) => `${dp.deal_id}/${dp.id}`),
      activity: [...live('activities').filter((a) => a.person_id === patient.id), live('activities').find((a) => a.person_id !== patient.id)!].map((a) =>
        String(a.id),
      ),
      note: [...notes.filter((n) => n.person_id === patient.id), notes.find((n) => n.person_id !== patient.id)!].map((n) => String(n.id)),
      file: live('files')
        .filter((f) => f.person_id === patient.id)
        .map((f) => String(f.id)),
    };
    const remove = async (path: string) => {
      const res = await fetch(`${world.sandbox.url}${path}`, { method: 'DELETE', headers: { 'x-api-token': DEFAULT_API_TOKEN } });
      expect([path, res.status]).toEqual([path, 200]);
    };
    for (const id of gone.file!) await remove(`/api/v1/files/${id}`);
    for (const id of gone.note!) await remove(`/api/v1/notes/${id}`);
    for (const id of gone.activity!) await remove(`/api/v2/activities/${id}`);
    for (const id of gone.deal!) await remove(`/api/v2/deals/${id}`); // their products go with them
    await remove(`/api/v2/persons/${patient.id}`);
    const expected = Object.fromEntries(
      Object.entries(gone)
        .filter(([, ids]) => ids.length > 0)
        .map(([type, ids]) => [type, ids.length]),
    );
    expect(expected.person).toBe(1);
    expect(expected.deal_product).toBeGreaterThan(0);

    const ledger = new Ledger(world.h.db.pool);
    const before = await ledger.countsByState(migrationId);
    const usageBefore = world.sandbox.usage();
    const third = await runDemo(migrationId);
    expect(third.status.phase).toBe('DONE');
    expect(third.status.verification!.accuracy).toBe(100);

    // Exactly the records deleted are created again, once each (deal products may share a bulk request); the ledger
    // tells them apart, and its counts are the same as before.
    expect(await ledger.recreatedByType(migrationId)).toEqual(expected);
    expect(await ledger.countsByState(migrationId)).toEqual(before);
    const creates = Object.entries(world.sandbox.usage().byRoute)
      .filter(([route]) => route.startsWith('POST '))
      .reduce((n, [route, r]) => n + r.requests - (usageBefore.byRoute[route]?.requests ?? 0), 0);
    const recreatedTotal = Object.values(expected).reduce((n, c) => n + c, 0);
    expect(creates).toBeGreaterThanOrEqual(recreatedTotal - expected.deal_product! + 1);
    expect(creates).toBeLessThanOrEqual(recreatedTotal);
    const persons = await personsByDentrixKey(migrationId);
    expect([...persons.values()].filter((n) => n > 1)).toEqual([]);
    // The ids found gone are kept on the rows that replaced them.
    const replaced = await world.h.db.pool.query<{ object_type: string; replaced_pipedrive_id: string }>(
      'SELECT object_type, replaced_pipedrive_id FROM id_map WHERE migration_id = $1 AND replaced_pipedrive_id IS NOT NULL',
      [migrationId],
    );
    const replacedByType: Record<string, string[]> = {};
    for (const r of replaced.rows) (replacedByType[r.object_type] ??= []).push(r.replaced_pipedrive_id);
    for (const [type, ids] of Object.entries(gone)) expect([type, (replacedByType[type] ?? []).sort()]).toEqual([type, [...ids].sort()]);
    // Status says how many were recreated, per object type.
    const progress = await storeProgress(world.h.db.pool, migrationId, 'UTC');
    for (const [type, n] of Object.entries(expected)) expect([type, progress.objects[type]!.recreated]).toEqual([type, n]);
  });
});

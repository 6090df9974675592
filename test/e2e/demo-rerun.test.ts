import { usePracticeWorld } from '../support/practice';
import { parseMigrationOptions } from '../../src/config';
import { startMigration } from '../../src/cli/commands';
import { driveMigration } from '../../src/cli/drive';
import { loadAccountFieldKeys } from '../../src/activities/field-keys';
import { SOURCE_KEY_FIELD } from '../../src/mapping/source-keys';
import { type RunningSandbox } from '@dentrix-pipedrive/pipedrive-sandbox';
import { Ledger } from '../../src/store/ledger';

jest.setTimeout(12 * 60 * 1000);

/** The demo's own options (src/cli/demo.ts), with a short delta window closed by cutover after one poll, as it does. */
const OPTIONS = parseMigrationOptions({ sampleSize: 250, batchSize: 50, concurrency: 2, deltaWindowSeconds: 60, deltaPollSeconds: 2 });

describe('running the demo migration twice (same migration id, extract and sandbox) duplicates nothing', () => {
  const world = usePracticeWorld();

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
    const afterFirst = world.sandbox.fingerprint();
    const ledgerAfterFirst = await new Ledger(world.h.db.pool).countsByState(migrationId);
    const usageAfterFirst = world.sandbox.usage();
    const personsAfterFirst = await personsByDentrixKey(migrationId);
    expect(personsAfterFirst.size).toBeGreaterThan(100);
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
});

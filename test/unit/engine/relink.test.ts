import { emptyCounts, loadBatch } from '../../../src/engine/load';
import { SOURCE_KEY_FIELD, type LogicalRecord } from '../../../src/mapping';
import { fieldKeys, person, world } from './fakes';

/**
 * Records linked to a person staff deleted by hand (issue 13): the next run recreates the person, and the records that
 * still link to the deleted one (their own records are still there, so they are not recreated) are relinked to it:
 * only the link field is updated, its before-image saved, exactly once.
 */
describe('the write engine, when a record links to a person that was recreated', () => {
  const dealKeys = { deal: { [SOURCE_KEY_FIELD]: { key: 'd1d2d3', type: 'varchar' } } };
  const setup = () => {
    const w = { ...world(), fieldKeys: { ...fieldKeys, ...dealKeys } };
    const persons = ['patient:1', 'patient:2'];
    persons.forEach((k, i) => w.staging.records.set(k, person(k, `Person ${i + 1}`)));
    const loadPersons = () => loadBatch(w, { entity: 'person', runKind: 'full', sourceKeys: persons });
    const personId = (k: string) => Number(w.ledger.entry('person', k)!.pipedriveId);
    /** The deals as the builder makes them: each links to its patient's Pipedrive id from the id map. */
    const stageDeals = () =>
      persons.forEach((p, i) => {
        const key = `txcase:${i + 1}`;
        const deal: LogicalRecord = {
          entity: 'deal',
          fields: { title: `Plan ${i + 1}`, person_id: personId(p) },
          custom: { [SOURCE_KEY_FIELD]: key },
          truncated: [],
        };
        w.staging.records.set(key, deal);
        w.staging.refs.set(key, [{ objectType: 'person', sourceKey: p }]);
      });
    const loadDeals = () => loadBatch(w, { entity: 'deal', runKind: 'full', sourceKeys: ['txcase:1', 'txcase:2'] });
    const dealOnAccount = (key: string) => w.account.table('deal').get(w.ledger.entry('deal', key)!.pipedriveId!)!;
    return { w, loadPersons, personId, stageDeals, loadDeals, dealOnAccount };
  };

  it('updates only the link of a record still linked to the deleted person, once, with its before-image', async () => {
    const { w, loadPersons, personId, stageDeals, loadDeals, dealOnAccount } = setup();
    await loadPersons();
    stageDeals();
    await loadDeals();
    const goneId = personId('patient:1');
    expect(dealOnAccount('txcase:1').person_id).toBe(goneId);

    // Staff delete patient 1 by hand; their deal stays, still linked to the deleted person.
    w.account.table('person').delete(String(goneId));
    expect(await loadPersons()).toEqual({ ...emptyCounts(), migrated: 1, alreadyDone: 1 });
    const newId = personId('patient:1');
    expect(newId).not.toBe(goneId);
    stageDeals();

    expect(await loadDeals()).toEqual({ ...emptyCounts(), updated: 1, alreadyDone: 1 });
    expect(dealOnAccount('txcase:1')).toMatchObject({ person_id: newId, title: 'Plan 1' });
    expect(dealOnAccount('txcase:2').person_id).toBe(personId('patient:2'));
    const dealId = w.ledger.entry('deal', 'txcase:1')!.pipedriveId!;
    expect(w.account.updates).toEqual([{ objectType: 'deal', id: dealId }]);
    expect(w.ledger.beforeImages.get(`deal/${dealId}`)?.body).toMatchObject({ person_id: goneId });
    expect(w.audit.rows.filter((r) => r.action === 'update')).toEqual([
      expect.objectContaining({
        objectType: 'deal',
        sourceKey: 'txcase:1',
        pipedriveId: dealId,
        note: `relinked: person_id ${goneId} is a record recreated since`,
      }),
    ]);
    // Not recreated: the deal keeps its id, and no deal was created again.
    expect(w.account.creates.filter((c) => c.entity === 'deal')).toHaveLength(2);

    // Exactly once: the next run reads the deal, finds it linked, and sends nothing.
    expect(await loadDeals()).toEqual({ ...emptyCounts(), alreadyDone: 2 });
    expect(w.account.updates).toHaveLength(1);
  });

  it('moves a deal on a stage deleted by hand to the stage SCHEMA created again, once', async () => {
    const { w, loadPersons, personId, loadDeals, dealOnAccount } = setup();
    await loadPersons();
    // The schema's stage as SCHEMA records it: created (id 701), then deleted by hand and created again (id 702).
    const stageKey = 'stage:treatment:Proposed';
    const stageEntry = (pipedriveId: string, replacedPipedriveId: string | null) =>
      w.ledger.rows.set(`stage|${stageKey}`, {
        objectType: 'stage',
        sourceKey: stageKey,
        pipedriveId,
        replacedPipedriveId,
        state: 'created',
        reason: null,
        runKind: 'schema',
        contentHash: null,
        updatedAt: new Date(),
      });
    stageEntry('701', null);
    const stageDeals = (stageId: number) =>
      ['patient:1', 'patient:2'].forEach((p, i) => {
        const key = `txcase:${i + 1}`;
        w.staging.records.set(key, {
          entity: 'deal',
          fields: { title: `Plan ${i + 1}`, person_id: personId(p), stage_id: stageId },
          custom: { [SOURCE_KEY_FIELD]: key },
          truncated: [],
        });
        w.staging.refs.set(key, [
          { objectType: 'person', sourceKey: p },
          { objectType: 'stage', sourceKey: stageKey },
        ]);
      });
    stageDeals(701);
    await loadDeals();
    expect(dealOnAccount('txcase:1').stage_id).toBe(701);

    stageEntry('702', '701');
    stageDeals(702);
    expect(await loadDeals()).toEqual({ ...emptyCounts(), updated: 2 });
    expect([dealOnAccount('txcase:1').stage_id, dealOnAccount('txcase:2').stage_id]).toEqual([702, 702]);
    expect(w.audit.rows.filter((r) => r.action === 'update').map((r) => r.note)).toEqual([
      'relinked: stage_id 701 is a record recreated since',
      'relinked: stage_id 701 is a record recreated since',
    ]);
    expect(await loadDeals()).toEqual({ ...emptyCounts(), alreadyDone: 2 });
  });

  it('reads nothing more when no record it links to was recreated', async () => {
    const { w, loadPersons, stageDeals, loadDeals } = setup();
    await loadPersons();
    stageDeals();
    await loadDeals();
    const reads = jest.spyOn(w.account, 'read');
    expect(await loadDeals()).toEqual({ ...emptyCounts(), alreadyDone: 2 });
    expect(reads).not.toHaveBeenCalled();
    expect(w.account.updates).toEqual([]);
  });
});

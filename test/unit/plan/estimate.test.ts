import {
  dealProductAttach,
  dealProductRemoval,
  EMPTY_COUNTS,
  estimatePlan,
  formatPlanJson,
  formatPlanText,
  type ObjectCounts,
  type PhaseEstimate,
  type PlanEstimate,
  PlanInputError,
  type SchemaSize,
} from '../../../src/plan';

/** A tiny practice whose every cost is worked out by hand below, from the published token costs. */
const COUNTS: ObjectCounts = {
  households: 2,
  employers: 1,
  referralSources: 1,
  carriers: 1,
  products: 3,
  persons: 10,
  newPatientPersons: 1,
  deals: 2,
  dealProducts: 7,
  dealProductsPerDeal: { '1': 1, '6': 1 },
  appointments: 20,
  recalls: 5,
  notes: 4,
  files: 2,
  imagingDocuments: 9,
  providers: 3,
};
const SCHEMA: SchemaSize = { customFields: { person: 2, organization: 1, deal: 1, product: 0 }, pipelines: 1, stages: 3, activityTypes: 2 };

const phaseOf = (estimate: PlanEstimate, name: PhaseEstimate['phase']): PhaseEstimate => estimate.phases.find((p) => p.phase === name)!;

describe('plan estimator', () => {
  const estimate = estimatePlan(COUNTS, { plan: 'growth', seats: 5, sampleSize: 0, schema: SCHEMA, deltaChangeRate: 0.1 });

  it('budgets 30,000 tokens × plan multiplier × seats per day, with the plan’s burst limit', () => {
    expect(estimate.dailyBudget).toBe(300_000);
    expect(estimate.burstPer2s).toBe(40);
    const budgets = (['lite', 'growth', 'premium', 'ultimate'] as const).map((plan) => {
      const e = estimatePlan(COUNTS, { plan, seats: 3, sampleSize: 0, schema: SCHEMA });
      return [e.dailyBudget, e.burstPer2s];
    });
    expect(budgets).toEqual([
      [90_000, 20],
      [180_000, 40],
      [450_000, 100],
      [630_000, 120],
    ]);
  });

  it('counts the records each target object gets', () => {
    expect(estimate.records).toEqual({ organizations: 5, products: 3, persons: 11, deals: 2, dealProducts: 7, activities: 25, notes: 4, files: 2, total: 59 });
    const lean = estimatePlan(COUNTS, {
      plan: 'lite',
      seats: 1,
      sampleSize: 0,
      schema: SCHEMA,
      newPatientBooking: 'skip',
      includeNotes: false,
      includeFiles: false,
    });
    expect(lean.records).toMatchObject({ persons: 10, notes: 0, files: 0, total: 52 });
  });

  it('prices the full run: one create per record, deal products the cheaper way per deal', () => {
    const full = phaseOf(estimate, 'full');
    // v2 creates 5 each: 5 orgs, 3 products, 11 persons, 2 deals, 25 activities; v1 notes and files 10 each;
    // deal products: the 1-product deal attaches singly (5), the 6-product deal in bulk (25 instead of 30).
    expect(full.tokens).toBe(25 + 15 + 55 + 10 + 125 + 40 + 20 + 5 + 25);
    expect(full.requests).toBe(5 + 3 + 11 + 2 + 25 + 4 + 2 + 1 + 1);
  });

  it('prices schema creation, read-back, delta and rollback from the specs’ costs', () => {
    // users twice (owner matching, provider resolution) 20 each, users/me with each and the account check 2 each,
    // fingerprint (5 v2 lists × 10 + 2 v1 lists × 20), fields (listed once 10 + create 5 each), pipeline (list 5 +
    // create 5), stages (list 5 + 3 × 5), activity types (list 20 + 2 × 10).
    expect(phaseOf(estimate, 'schema').tokens).toBe(40 + 6 + 90 + (10 + 10) + (10 + 5) + (10 + 5) + 10 + 20 + 40);
    // A rehearsal on the sandbox: its fingerprint costs nothing.
    const rehearsal = estimatePlan(COUNTS, { plan: 'growth', seats: 5, sampleSize: 0, schema: SCHEMA, deltaChangeRate: 0.1, fingerprint: 'sandbox' });
    expect(phaseOf(estimate, 'schema').tokens - phaseOf(rehearsal, 'schema').tokens).toBe(90);
    // Each type by its cheapest read for a batch: a v2 GET each (1) below ten records, else ids (10 per 100); notes a
    // GET each (2); files one page of their listing (20), since the pass is the 11 documents, imaging included, and a
    // GET each would cost 22 for it; deal products by their deals (10); then the end fingerprint, free on the sandbox.
    expect(phaseOf(rehearsal, 'verify')).toMatchObject({ requests: 5 + 3 + 1 + 2 + 1 + 4 + 1 + 1, tokens: 5 + 3 + 10 + 2 + 10 + 8 + 20 + 10 });
    expect(phaseOf(estimate, 'verify')).toMatchObject({ requests: 18 + 7, tokens: 68 + 90 });
    // 10% changed, rounded up: 1 org, 1 product, 2 persons, 1 deal, 3 activities at 5; 1 note, 1 file at 10; 1 deal product at 5.
    expect(phaseOf(estimate, 'delta').tokens).toBe(5 + 5 + 10 + 5 + 15 + 10 + 10 + 5);
    // Deletes: files and notes 6 (v1), activities 3; deal products 3 singly, 15 in bulk for the 6-product deal;
    // deals, persons, products, organizations 3; 4 custom fields, 3 stages, 1 pipeline 3; fingerprint 90.
    // The proof: the account check (2), each type read back by its cheapest read (v2 GETs 1 or ids 10, notes and
    // files one page of their listing or a GET each), deal products by their deals 10, fields of 3 entities,
    // pipelines and stages, activity types listed once.
    const proof = 2 + (5 + 3 + 10 + 2 + 10 + 8 + 4) + 10 + 30 + 5 + 5 + 20;
    expect(phaseOf(estimate, 'rollback').tokens).toBe(12 + 24 + 75 + 3 + 15 + 6 + 33 + 9 + 15 + 12 + 9 + 3 + 90 + proof);
  });

  it('prices the review files of records with values longer than their fields hold: uploaded, read back, deleted by a rollback', () => {
    const withFiles = estimatePlan({ ...COUNTS, reviewFiles: 3 }, { plan: 'growth', seats: 5, sampleSize: 0, schema: SCHEMA, deltaChangeRate: 0.1 });
    const added = (phase: PhaseEstimate['phase']) => ({
      requests: phaseOf(withFiles, phase).requests - phaseOf(estimate, phase).requests,
      tokens: phaseOf(withFiles, phase).tokens - phaseOf(estimate, phase).tokens,
    });
    // v1 files: an upload 10 tokens, a GET 2, a delete 6 (the specs' costs).
    expect(added('full')).toEqual({ requests: 3, tokens: 30 });
    expect(added('verify')).toEqual({ requests: 3, tokens: 6 });
    expect(added('rollback')).toEqual({ requests: 3, tokens: 18 });
    expect(added('sample')).toEqual({ requests: 0, tokens: 0 });
    expect(phaseOf(withFiles, 'full').operations.map((o) => o.what)).toContain('review files, uploaded');
  });

  it('counts days on what is left after the reserve, and on a configured budget when there is one', () => {
    const withReserve = estimatePlan(COUNTS, { plan: 'growth', seats: 5, sampleSize: 250, reserve: { percent: 10 } });
    expect(withReserve.dailyBudget).toBe(300_000);
    expect(withReserve.spendablePerDay).toBe(270_000);
    for (const phase of withReserve.phases) expect(phase.days).toBeCloseTo(phase.tokens / 270_000, 12);
    const topUp = estimatePlan(COUNTS, { plan: 'growth', seats: 5, sampleSize: 250, dailyTokenBudget: 400_000, reserve: { tokens: 40_000 } });
    expect(topUp.spendablePerDay).toBe(360_000);
    expect(() => estimatePlan(COUNTS, { plan: 'growth', seats: 1, sampleSize: 250, reserve: { tokens: 60_000 } })).toThrow(/reserve/u);
  });

  it("counts days on this migration's part of the budget when other migrations into the account run at the same time", () => {
    const alone = estimatePlan(COUNTS, { plan: 'growth', seats: 5, sampleSize: 250, reserve: { percent: 10 } });
    const threeAtOnce = estimatePlan(COUNTS, { plan: 'growth', seats: 5, sampleSize: 250, reserve: { percent: 10 }, migrationsOnAccount: 3 });
    expect(alone.migrationsOnAccount).toBe(1);
    expect(alone.ownPerDay).toBe(270_000);
    expect(threeAtOnce.spendablePerDay).toBe(270_000);
    expect(threeAtOnce.ownPerDay).toBe(90_000);
    // The same tokens, three times the days; the burst hours are the token's and do not change.
    expect(threeAtOnce.totals.tokens).toBe(alone.totals.tokens);
    expect(threeAtOnce.totals.days).toBeCloseTo(alone.totals.days * 3, 9);
    for (const phase of threeAtOnce.phases) expect(phase.days).toBeCloseTo(phase.tokens / 90_000, 12);
    expect(threeAtOnce.totals.burstHours).toBe(alone.totals.burstHours);
    expect(threeAtOnce.assumptions.join('\n')).toContain('split equally between 3 migrations into the account at once: days count 90,000 tokens a day');
    expect(formatPlanText(threeAtOnce)).toContain('split between 3 migrations into the account: 90,000 a day for this one');
    expect(formatPlanText(alone)).not.toContain('split between');
  });

  it('turns tokens into days at the budget and requests into hours at the burst limit', () => {
    for (const phase of estimate.phases) {
      expect(phase.days).toBeCloseTo(phase.tokens / 300_000, 12);
      expect(phase.burstHours).toBeCloseTo((phase.requests / 40) * (2 / 3600), 12);
      expect(phase.elapsedDays).toBe(Math.max(phase.days, phase.burstHours / 24));
    }
    // Rollback is the contingency: the totals are the migration without it.
    expect(estimate.totals.tokens).toBe(estimate.phases.filter((p) => p.phase !== 'rollback').reduce((sum, p) => sum + p.tokens, 0));
    expect(estimate.totals.requests).toBe(estimate.phases.reduce((sum, p) => sum + p.requests, 0) - phaseOf(estimate, 'rollback').requests);
    expect(estimate.phases.map((p) => p.phase)).toEqual(['schema', 'sample', 'full', 'verify', 'delta', 'rollback']);
  });

  it('takes the sample out of the full run, proportionally', () => {
    const big: ObjectCounts = { ...EMPTY_COUNTS, persons: 20_000, appointments: 60_000, recalls: 20_000, deals: 0, dealProductsPerDeal: {} };
    const e = estimatePlan(big, { plan: 'premium', seats: 2, sampleSize: 400, schema: SCHEMA });
    expect(e.sampleRecords).toMatchObject({ persons: 80, activities: 320, total: 400 });
    const creates = (phase: PhaseEstimate): number => phase.operations.filter((o) => o.method === 'POST').reduce((sum, o) => sum + o.requests, 0);
    expect(creates(phaseOf(e, 'sample')) + creates(phaseOf(e, 'full'))).toBe(100_000);
    // The sample's diff reads back what it created: persons by ids, one page of activities (and the account check).
    expect(
      phaseOf(e, 'sample')
        .operations.filter((o) => o.method === 'GET' && o.path !== '/users/me')
        .map((o) => o.requests),
    ).toEqual([1, 1]);
    // 100,000 creates at 5 tokens against 300,000 a day; the burst limit is not what binds.
    expect(phaseOf(e, 'full').days).toBeCloseTo(((100_000 - 400) * 5) / 300_000, 10);
  });

  it('chooses bulk or single deal-product requests by token cost, a tie by fewer requests', () => {
    expect(dealProductAttach(1)).toEqual({ mode: 'single', requests: 1, tokens: 5 });
    expect(dealProductAttach(4)).toEqual({ mode: 'single', requests: 4, tokens: 20 });
    expect(dealProductAttach(5)).toEqual({ mode: 'bulk', requests: 1, tokens: 25 });
    expect(dealProductAttach(100)).toEqual({ mode: 'bulk', requests: 1, tokens: 25 });
    expect(dealProductAttach(101)).toEqual({ mode: 'bulk', requests: 2, tokens: 50 });
    expect(dealProductRemoval(4)).toEqual({ mode: 'single', requests: 4, tokens: 12 });
    expect(dealProductRemoval(5)).toEqual({ mode: 'bulk', requests: 1, tokens: 15 });
  });

  it('refuses inputs it cannot price, naming them', () => {
    const ok = { plan: 'growth' as const, seats: 1, sampleSize: 0, schema: SCHEMA };
    expect(() => estimatePlan(COUNTS, { ...ok, plan: 'enterprise' as never })).toThrow(
      new PlanInputError('plan "enterprise" is not one of lite, growth, premium, ultimate'),
    );
    expect(() => estimatePlan(COUNTS, { ...ok, seats: 0 })).toThrow('seats must be a whole number of at least 1');
    expect(() => estimatePlan(COUNTS, { ...ok, sampleSize: -5 })).toThrow('sampleSize');
    expect(() => estimatePlan(COUNTS, { ...ok, deltaChangeRate: 2 })).toThrow('deltaChangeRate');
    expect(() => estimatePlan(COUNTS, { ...ok, migrationsOnAccount: 0 })).toThrow('migrationsOnAccount must be a whole number of at least 1');
    expect(() => estimatePlan(COUNTS, { ...ok, migrationsOnAccount: 1.5 })).toThrow('migrationsOnAccount');
    expect(() => estimatePlan({ ...COUNTS, persons: -1 }, ok)).toThrow('count persons');
    expect(() => estimatePlan({ ...COUNTS, dealProducts: 8 }, ok)).toThrow('dealProductsPerDeal describes 7 deal products but dealProducts is 8');
  });

  it('uses the default field map’s schema when none is given', () => {
    const e = estimatePlan(COUNTS, { plan: 'growth', seats: 1, sampleSize: 0 });
    const fieldCreates = phaseOf(e, 'schema').operations.filter((o) => o.method === 'POST' && o.path.endsWith('Fields'));
    expect(fieldCreates.reduce((sum, o) => sum + o.requests, 0)).toBeGreaterThan(10);
  });
});

describe('plan formatters', () => {
  const estimate = estimatePlan(COUNTS, { plan: 'growth', seats: 5, sampleSize: 10, schema: SCHEMA });

  it('prints a table per phase with totals and assumptions', () => {
    const text = formatPlanText(estimate);
    expect(text).toContain('Pipedrive growth, 5 seats: 300,000 tokens/day, 40 requests per 2 s');
    for (const phase of estimate.phases) {
      expect(text).toMatch(new RegExp(`^${phase.phase}\\s+${phase.requests.toLocaleString('en-US')}\\s+${phase.tokens.toLocaleString('en-US')}\\s`, 'm'));
    }
    expect(text).toMatch(
      new RegExp(`^total without rollback\\s+${estimate.totals.requests.toLocaleString('en-US')}\\s+${estimate.totals.tokens.toLocaleString('en-US')}\\s`, 'm'),
    );
    expect(text).toContain('Assumptions:');
    expect(text).not.toContain('v2 POST /persons');
    expect(formatPlanText(estimate, { detail: true })).toContain('v2 POST /persons');
  });

  it('writes JSON that reads back as the estimate', () => {
    expect(JSON.parse(formatPlanJson(estimate))).toEqual(estimate);
  });
});

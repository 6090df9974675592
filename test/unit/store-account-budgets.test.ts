import { createTestDatabase, type TestDatabase } from '../support/db';
import { accountBudget, recordAccountBudget } from '../../src/store/account-budgets';
import { describeDailyBudget, describeDaySpend } from '../../src/cli/status-view';

/** The company's daily token budget as the workers last saw it: what `status` shows on any machine. */
describe("an account's daily token budget in the store", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('keeps the newest report per account, whichever worker sends it last', async () => {
    const account = 'https://lakeside.pipedrive.com';
    expect(await accountBudget(db.pool, account)).toBeUndefined();
    await recordAccountBudget(db.pool, account, { remaining: 41_200, limit: 150_000, observedAt: '2026-12-05T14:02:11.000Z' });
    // A slower worker's older observation arrives after it: it does not overwrite the newer one.
    await recordAccountBudget(db.pool, `${account}/`, { remaining: 45_000, limit: 150_000, observedAt: '2026-12-05T14:01:00.000Z' });
    expect(await accountBudget(db.pool, `${account}/`)).toEqual({ remaining: 41_200, limit: 150_000, observedAt: '2026-12-05T14:02:11.000Z' });
    await recordAccountBudget(db.pool, account, { remaining: 40_000, observedAt: '2026-12-05T14:03:00.000Z' });
    expect(await accountBudget(db.pool, account)).toEqual({ remaining: 40_000, observedAt: '2026-12-05T14:03:00.000Z' });
    expect(await accountBudget(db.pool, 'https://other.pipedrive.com')).toBeUndefined();
  });

  it('reads in status as what is left of the shared budget and when Pipedrive said so', () => {
    expect(describeDailyBudget({ remaining: 41_200, limit: 150_000, observedAt: '2026-12-05T14:02:11.000Z' })).toBe(
      "daily token budget: 41,200 of 150,000 left (the account's, shared by every migration on it; Pipedrive at 14:02:11 UTC)",
    );
  });

  it("reads today's spend as this migration's and the other migrations' into the same account", () => {
    const day = { budgetDay: '2026-12-06', timeZone: 'UTC', tokens: 12_400 };
    expect(describeDaySpend({ ...day, others: { migrations: 1, tokens: 8_300 } })).toBe(
      'today (2026-12-06, UTC): this migration 12,400 tokens; 1 other migration into the account 8,300',
    );
    expect(describeDaySpend({ ...day, others: { migrations: 0, tokens: 0 } })).toBe(
      'today (2026-12-06, UTC): this migration 12,400 tokens; no other migration into the account',
    );
  });
});

import { Pool } from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { takeSendTimes } from '../../src/store/token-pacer';

/**
 * A token's send timeline in the store: whoever asks, from however many processes at once, every send time taken is
 * at least the spacing after the one before it, so the workers together never send faster than the token's pace.
 */
describe("a token's shared send timeline", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('gives the first request at once and each next one a spacing later, per token', async () => {
    expect(await takeSendTimes(db.pool, 'https://a.example#1', 1, 50)).toBe(0);
    const second = await takeSendTimes(db.pool, 'https://a.example#1', 1, 50);
    expect(second).toBeGreaterThan(30);
    expect(second).toBeLessThanOrEqual(50);
    // Another token has a timeline of its own.
    expect(await takeSendTimes(db.pool, 'https://b.example#2', 1, 50)).toBe(0);
    // Several at once (the requests a client sent on its own before it shared the token): the timeline moves past them all.
    await takeSendTimes(db.pool, 'https://c.example#3', 10, 20);
    const afterTen = await takeSendTimes(db.pool, 'https://c.example#3', 1, 20);
    expect(afterTen).toBeGreaterThan(150);
    expect(afterTen).toBeLessThanOrEqual(200);
  });

  it('spaces the times taken by three pools at once as one timeline', async () => {
    const pools = Array.from({ length: 3 }, () => new Pool({ connectionString: db.url, max: 4 }));
    try {
      const spacingMs = 10;
      const started = Date.now();
      const times = (
        await Promise.all(
          pools.map(async (pool) => {
            const mine: number[] = [];
            for (let i = 0; i < 20; i++)
              mine.push(...(await Promise.all([1, 2].map(async () => Date.now() + (await takeSendTimes(pool, 'https://d.example#4', 1, spacingMs))))));
            return mine;
          }),
        )
      ).flat();
      times.sort((a, b) => a - b);
      expect(times).toHaveLength(120);
      // 120 sends 10 ms apart span at least 1.19 s, whatever the interleaving; allow a few ms of clock reading.
      expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(119 * spacingMs - 20);
      for (let i = 10; i < times.length; i++) expect(times[i]! - times[i - 10]!).toBeGreaterThanOrEqual(10 * spacingMs - 20);
      expect(times[0]! - started).toBeLessThan(1_000);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });
});

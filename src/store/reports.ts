import { type Pool } from 'pg';

export async function saveReport(pool: Pool, migrationId: string, kind: string, path: string, summary: object = {}): Promise<void> {
  await pool.query(
    `INSERT INTO reports (migration_id, kind, path, summary) VALUES ($1, $2, $3, $4)
     ON CONFLICT (migration_id, kind) DO UPDATE SET path = EXCLUDED.path, summary = EXCLUDED.summary, created_at = now()`,
    [migrationId, kind, path, summary],
  );
}

export async function listReports(pool: Pool, migrationId: string): Promise<{ kind: string; path: string; summary: object; createdAt: Date }[]> {
  const { rows } = await pool.query<{ kind: string; path: string; summary: object; created_at: Date }>(
    'SELECT kind, path, summary, created_at FROM reports WHERE migration_id = $1 ORDER BY kind',
    [migrationId],
  );
  return rows.map((r) => ({ kind: r.kind, path: r.path, summary: r.summary, createdAt: r.created_at }));
}

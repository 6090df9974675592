import { type Pool } from 'pg';

export interface StoredFieldMap {
  version: number;
  status: 'proposed' | 'approved' | 'superseded';
  /** `{ map, phi }`: the field map and (once approved) the PHI decisions it was approved with. */
  document: { map: unknown; phi?: unknown };
  approvedBy: string | null;
  approvedAt: Date | null;
}

interface Row {
  version: number;
  status: StoredFieldMap['status'];
  map: StoredFieldMap['document'];
  approved_by: string | null;
  approved_at: Date | null;
}

const toMap = (r: Row): StoredFieldMap => ({
  version: r.version,
  status: r.status,
  document: r.map,
  approvedBy: r.approved_by,
  approvedAt: r.approved_at,
});

/** Saves a new version (proposed or imported from an edited workbook) and returns its number. */
export async function saveProposedMap(pool: Pool, migrationId: string, document: StoredFieldMap['document']): Promise<number> {
  const { rows } = await pool.query<{ version: number }>(
    `INSERT INTO field_maps (migration_id, version, status, map)
     SELECT $1, COALESCE(MAX(version), 0) + 1, 'proposed', $2 FROM field_maps WHERE migration_id = $1
     RETURNING version`,
    [migrationId, JSON.stringify(document)],
  );
  return rows[0]!.version;
}

export async function getFieldMap(pool: Pool, migrationId: string, version: number): Promise<StoredFieldMap | undefined> {
  const { rows } = await pool.query<Row>('SELECT * FROM field_maps WHERE migration_id = $1 AND version = $2', [migrationId, version]);
  return rows[0] ? toMap(rows[0]) : undefined;
}

export async function latestFieldMap(pool: Pool, migrationId: string, status?: StoredFieldMap['status']): Promise<StoredFieldMap | undefined> {
  const { rows } = await pool.query<Row>(
    `SELECT * FROM field_maps WHERE migration_id = $1 AND ($2::text IS NULL OR status = $2) ORDER BY version DESC LIMIT 1`,
    [migrationId, status ?? null],
  );
  return rows[0] ? toMap(rows[0]) : undefined;
}

/** Marks one version approved (with its PHI decisions) and every other version superseded. */
export async function approveFieldMap(
  pool: Pool,
  migrationId: string,
  version: number,
  by: string,
  document: StoredFieldMap['document'],
): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query("UPDATE field_maps SET status = 'superseded' WHERE migration_id = $1 AND version <> $2 AND status = 'approved'", [
      migrationId,
      version,
    ]);
    await client.query(
      "UPDATE field_maps SET status = 'approved', approved_by = $3, approved_at = now(), map = $4 WHERE migration_id = $1 AND version = $2",
      [migrationId, version, by, JSON.stringify(document)],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}

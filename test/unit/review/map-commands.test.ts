import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { createMappingActivities } from '../../../src/activities/mapping';
import type { ActivityDeps } from '../../../src/activities/deps';
import { MapImportRefusedError, registerMapCommands } from '../../../src/cli/map-commands';
import { openExtract, stageExtract } from '../../../src/dentrix';
import { writeExtractFolder } from '@dentrix-pipedrive/practice-generator';
import { createLogger } from '../../../src/logging';
import { phiDecisionsForApproval } from '../../../src/review';
import { getFieldMap, latestFieldMap } from '../../../src/store/field-maps';
import { createTestDatabase, type TestDatabase } from '../../support/db';

const MANIFEST = {
  format: 'dentrix-extract/1' as const,
  practice: { name: 'Workbook Dental', timezone: 'America/Chicago', currency: 'USD' },
  date_format: 'iso' as const,
  tables: {},
};

let db: TestDatabase;
let dir: string;
const migrationId = 'wb1';

beforeAll(async () => {
  db = await createTestDatabase();
  dir = await mkdtemp(path.join(tmpdir(), 'review-cli-'));
  const extract = path.join(dir, 'extract');
  await writeExtractFolder(extract, MANIFEST, {
    provider: [{ provider_id: 'DDS1', first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.com' }],
    patient: Array.from({ length: 12 }, (_, i) => ({
      patient_id: i + 1,
      first_name: `First${i + 1}`,
      last_name: `Last${i + 1}`,
      birth_date: `19${50 + i}-01-0${(i % 9) + 1}`,
      loyalty_tier: ['Gold', 'Silver'][i % 2],
    })),
  });
  await db.pool.query(
    `INSERT INTO migration_runs (migration_id, practice_name, timezone, source, pipedrive_base_url) VALUES ($1, 'Workbook Dental', 'America/Chicago', $2, 'http://127.0.0.1:1')`,
    [migrationId, { kind: 'folder', path: extract }],
  );
  const reader = await openExtract({ kind: 'folder', path: extract });
  try {
    await stageExtract(db.pool, migrationId, reader);
  } finally {
    await reader.close();
  }
});

afterAll(async () => {
  await db.drop();
  await rm(dir, { recursive: true, force: true });
});

function cli(lines: string[]): Command {
  const program = new Command('starter').exitOverride();
  registerMapCommands(program, {
    withStore: (fn) => fn(db.pool),
    reportDir: (id) => path.join(dir, 'reports', id),
    print: (line) => lines.push(line),
  });
  return program;
}

describe('MAPPING_REVIEW with the workbook', () => {
  it('proposeMap proposes with the proposer and writes the workbook next to the map JSON', async () => {
    const deps = {
      pool: db.pool,
      settings: { dataDir: path.join(dir, 'data'), imageArchiveBaseUrl: '', budgetResetTimeZone: 'UTC' },
      logger: createLogger('silent'),
    } as unknown as ActivityDeps;
    const proposed = await createMappingActivities(deps).proposeMap({ migrationId });
    expect(path.dirname(proposed.workbookPath!)).toBe(path.dirname(proposed.mapPath));
    expect(proposed.workbookPath).toMatch(/mapping-workbook-v1\.xlsx$/u);
    const stored = await getFieldMap(db.pool, migrationId, proposed.version);
    expect(JSON.stringify(stored!.document.map)).toContain('patient.loyalty_tier');
    // A second call keeps the proposal waiting for review.
    expect((await createMappingActivities(deps).proposeMap({ migrationId })).version).toBe(proposed.version);
  });

  it('map export → edit → map import saves a new version with the PHI decisions the approval will apply', async () => {
    const lines: string[] = [];
    const out = path.join(dir, 'exported');
    await cli(lines).parseAsync(['node', 'starter', 'map', 'export', '-m', migrationId, '--out', out]);
    const csvPath = lines.find((l) => l.trim().endsWith('.csv'))!.trim();
    expect(path.dirname(csvPath)).toBe(out);
    // Version 1 still waits for review: the export is the workbook proposeMap kept in the store.
    expect(lines).toContain('This is the workbook the worker proposed for it, from the migration store.');

    const records: string[][] = parse(await readFile(csvPath), { bom: true });
    const header = records[0]!;
    for (const record of records.slice(1)) {
      if (record[header.indexOf('rule_id')] === 'patient.birth_date') record[header.indexOf('phi_decision')] = 'include:year_only';
    }
    const edited = path.join(dir, 'edited.csv');
    await writeFile(edited, stringify(records));
    const before = (await latestFieldMap(db.pool, migrationId))!.version;

    const importLines: string[] = [];
    await cli(importLines).parseAsync(['node', 'starter', 'map', 'import', '-m', migrationId, '--file', edited, '--by', 'reviewer']);
    const latest = (await latestFieldMap(db.pool, migrationId))!;
    expect(latest.version).toBe(before + 1);
    expect(phiDecisionsForApproval(latest.document, {})).toEqual({ include: [{ rule: 'patient.birth_date', deidentify: 'year_only' }] });
    expect(phiDecisionsForApproval(latest.document, { phiInclude: [] })).toEqual({ include: [] });
    expect(importLines).toContain('PHI included by the workbook: patient.birth_date (year_only). Every other PHI rule is excluded; SSN never moves.');
    // Who made the version is in the audit log (counts only).
    const imports = await db.pool.query<{ source_key: string; note: string }>(
      "SELECT source_key, note FROM audit_log WHERE migration_id = $1 AND object_type = 'field_map' ORDER BY id",
      [migrationId],
    );
    expect(imports.rows).toEqual([
      {
        source_key: `v${latest.version}`,
        note: expect.stringMatching(new RegExp(`^map v${latest.version} imported by reviewer: \\d+ rule change\\(s\\), 1 PHI field\\(s\\) included`, 'u')),
      },
    ]);

    // The same file again changes nothing.
    const again: string[] = [];
    await cli(again).parseAsync(['node', 'starter', 'map', 'import', '-m', migrationId, '--file', edited, '--by', 'reviewer']);
    expect(again).toEqual([`No changes to map version ${latest.version}: nothing saved.`]);
  });

  it('a refused import prints the row errors, saves nothing and fails the command', async () => {
    const lines: string[] = [];
    await cli(lines).parseAsync(['node', 'starter', 'map', 'export', '-m', migrationId, '--out', path.join(dir, 'broken')]);
    const csvPath = lines.find((l) => l.trim().endsWith('.csv'))!.trim();
    const records: string[][] = parse(await readFile(csvPath), { bom: true });
    const header = records[0]!;
    for (const record of records.slice(1)) {
      if (record[header.indexOf('rule_id')] === 'patient.ssn') record[header.indexOf('phi_decision')] = 'include';
    }
    const edited = path.join(dir, 'broken.csv');
    await writeFile(edited, stringify(records));
    const before = (await latestFieldMap(db.pool, migrationId))!.version;

    const importLines: string[] = [];
    await expect(
      cli(importLines).parseAsync(['node', 'starter', 'map', 'import', '-m', migrationId, '--file', edited, '--by', 'reviewer']),
    ).rejects.toBeInstanceOf(MapImportRefusedError);
    expect(importLines[0]).toBe('The workbook has 1 problem(s); nothing was saved:');
    expect(importLines[1]).toMatch(/^ {2}row \d+ phi_decision \(patient\.ssn\): patient\.ssn never moves \(e\.g\. SSN\): it cannot be included$/u);
    expect((await latestFieldMap(db.pool, migrationId))!.version).toBe(before);
  });
});

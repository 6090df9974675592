import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import axios from 'axios';
import { Command } from 'commander';
import ExcelJS from 'exceljs';
import { createActivities } from '../../src/activities';
import { MapImportRefusedError, registerMapCommands } from '../../src/cli/map-commands';
import { loadEnv } from '../../src/config';
import { createLogger } from '../../src/logging';
import { activityDeps } from '../../src/runtime/worker';
import { DEFAULT_API_TOKEN, type RunningSandbox } from '@dentrix-pipedrive/pipedrive-sandbox';
import type { OwnersReport } from '../../src/review/owners';
import { latestVersionOwners } from '../../src/review/owners-sheet';
import { readAudit, type AuditRow } from '../../src/store/audit';
import { latestFieldMap } from '../../src/store/field-maps';
import { Ledger } from '../../src/store/ledger';
import { readReportFile } from '../../src/store/reports';
import { registerRun } from '../../src/store/runs';
import { stagedData } from '../../src/store/staged-rows';
import { activityRunner, loadAllBatches } from '../support/activities';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { COMPACT_PATIENTS, generatedPractice, sandboxFor } from '../support/practice';
import { editExtract } from '../support/extract-edit';

jest.setTimeout(5 * 60 * 1000);

/**
 * A provider without a Pipedrive user, assigned one in the workbook's Owners sheet: matched before MAPPING_REVIEW
 * against the sandbox's users, exported, edited, imported (an unknown user refused, naming the row), approved
 * (audited), and the records that provider owns are loaded with that user as their owner.
 */
describe('owner assignment through the mapping workbook', () => {
  let db: TestDatabase;
  let sandbox: RunningSandbox;
  let acts: ReturnType<typeof createActivities>;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtx2pd-owners-'));
  const run = activityRunner();
  const migrationId = 'owners-assigned';
  const lines: string[] = [];

  const cli = async (...args: string[]) => {
    const program = new Command('starter').exitOverride();
    registerMapCommands(program, { withStore: (fn) => fn(db.pool), reportDir: (id) => path.join(dataDir, 'cli', id), print: (l) => lines.push(l) });
    await program.parseAsync(['node', 'starter', ...args]);
  };

  /** Writes `assign` into the Owners sheet's assign_user cell of `providerId`, as ops would in Excel. */
  const assignInWorkbook = async (from: string, to: string, providerId: string, assign: string) => {
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(from);
    const sheet = workbook.getWorksheet('Owners')!;
    const headers = Array.from({ length: sheet.columnCount + 1 }, (_, c) => (c === 0 ? '' : sheet.getRow(1).getCell(c).text));
    for (let r = 2; r <= sheet.rowCount; r++) {
      if (sheet.getRow(r).getCell(headers.indexOf('provider_id')).text === providerId) sheet.getRow(r).getCell(headers.indexOf('assign_user')).value = assign;
    }
    await workbook.xlsx.writeFile(to);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    const extract = await generatedPractice(dataDir, 42, 'demo', COMPACT_PATIENTS);
    // The first provider (who has patients) changed e-mail in Dentrix: no user has it. The last provider is no user either.
    await editExtract(extract, {
      provider: (t) => {
        t.rows[0]!.email = 'first.provider@new-address.example';
      },
    });
    sandbox = await sandboxFor(extract, { users: [] }); // the default seed has the demo practice's other providers as users
    const config = loadEnv({ DATABASE_URL: db.url, DATA_DIR: dataDir, PIPEDRIVE_PLAN: 'ultimate', PIPEDRIVE_BURST_LIMIT: '1000' });
    acts = createActivities(activityDeps(config, db.pool, createLogger('silent')));
    await registerRun(db.pool, { migrationId, source: { kind: 'folder', path: extract }, pipedriveBaseUrl: sandbox.url });
    await run(acts.extractSource, { migrationId });
  });
  afterAll(async () => {
    await sandbox?.close();
    await db?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("gives an unmatched provider's records to the user the Owners sheet names", async () => {
    const summary = await run(acts.matchOwners, { migrationId });
    expect(summary.unmatchedCount).toBe(2);
    const [unmatched] = summary.unmatched; // the one with the most records
    expect(unmatched!.records).toBeGreaterThan(0);
    expect(summary.recordsOnFallback).toBeGreaterThanOrEqual(unmatched!.records);
    const report = JSON.parse((await readReportFile(db.pool, migrationId, 'owners', 'owners.json'))!.content.toString('utf8')) as OwnersReport;
    const assignee = report.users.find((u) => u.id !== report.fallbackOwnerId)!;

    await run(acts.proposeMap, { migrationId });
    await cli('map', 'export', '-m', migrationId, '--json');
    const exported = (JSON.parse(lines.at(-1)!) as { xlsxPath: string }).xlsxPath;

    // An unknown user is refused with the row and provider named, and nothing is saved.
    const wrong = path.join(dataDir, 'wrong.xlsx');
    await assignInWorkbook(exported, wrong, unmatched!.providerId, 'ghost@nowhere.example');
    await expect(cli('map', 'import', '-m', migrationId, '--file', wrong, '--by', 'reviewer')).rejects.toBeInstanceOf(MapImportRefusedError);
    expect(lines.join('\n')).toMatch(
      new RegExp(`Owners row \\d+ \\(provider ${unmatched!.providerId}\\): assign_user: no active Pipedrive user has the e-mail "ghost@nowhere.example"`, 'u'),
    );
    expect((await latestFieldMap(db.pool, migrationId))!.version).toBe(1);

    const edited = path.join(dataDir, 'edited.xlsx');
    await assignInWorkbook(exported, edited, unmatched!.providerId, assignee.email.toUpperCase());
    await cli('map', 'import', '-m', migrationId, '--file', edited, '--by', 'reviewer');
    expect(lines.join('\n')).toMatch(
      new RegExp(`Owners: 1 provider\\(s\\) assigned in the workbook \\(${unmatched!.providerId} → user ${assignee.id}\\)`, 'u'),
    );
    const imported = (await latestFieldMap(db.pool, migrationId))!;
    // `status` at MAPPING_REVIEW shows the imported version's owners (the gate's counts are the proposal's).
    expect(await latestVersionOwners(db.pool, migrationId)).toMatch(
      new RegExp(`^map v${imported.version} \\(proposed\\): 1 provider\\(s\\) assigned in the workbook .* 1 without a Pipedrive user`, 'u'),
    );
    expect(imported.document.owners).toEqual({ assign: [{ providerId: unmatched!.providerId, userId: assignee.id }] });

    expect((await run(acts.approveMap, { migrationId, version: imported.version, by: 'Ana', includeAllPhi: true })).errors).toEqual([]);
    const audit: AuditRow[] = [];
    for await (const page of readAudit(db.pool, migrationId)) audit.push(...page);
    expect(audit.filter((a) => a.object_type === 'owner')).toEqual([
      expect.objectContaining({ source_key: `provider:${unmatched!.providerId}`, pipedrive_id: String(assignee.id), endpoint: 'gate:MAPPING_REVIEW' }),
    ]);
    expect(audit.find((a) => a.object_type === 'owner')!.note).toMatch(/approved by Ana/u);

    const resolution = await run(acts.resolveProviders, { migrationId });
    expect(resolution.unmatched).toBe(1);
    expect(resolution.unmatchedProviderIds).not.toContain(unmatched!.providerId);
    expect(resolution.owners).toMatchObject({ assigned: 1, unmatchedCount: 1 });
    await run(acts.createSchema, { migrationId });
    await loadAllBatches(acts, migrationId, 'person');

    // Every patient whose primary provider is the assigned one is owned by the assignee in Pipedrive.
    const patients = (await stagedData<{ patient_id: string; pri_provider_id: string | null }>(db.pool, migrationId, 'patient')).filter(
      (p) => p.pri_provider_id === unmatched!.providerId,
    );
    expect(patients.length).toBeGreaterThan(0);
    const ids = await new Ledger(db.pool).resolve(
      migrationId,
      patients.map((p) => ({ objectType: 'person', sourceKey: `patient:${Number(p.patient_id)}` })),
    );
    expect(ids.size).toBe(patients.length);
    const api = axios.create({ baseURL: sandbox.url, params: { api_token: DEFAULT_API_TOKEN } });
    const { data } = await api.get('/api/v2/persons', { params: { ids: [...ids.values()].slice(0, 100).join(','), limit: 100 } });
    const owners = new Set((data.data as { owner_id: number }[]).map((p) => p.owner_id));
    expect(owners).toEqual(new Set([assignee.id]));

    // The assignment removed in a later version (as after a rejected sample): the provider is back on the fallback owner.
    const providerKey = { objectType: 'user', sourceKey: `provider:${unmatched!.providerId}` };
    const removed = path.join(dataDir, 'removed.xlsx');
    await assignInWorkbook(edited, removed, unmatched!.providerId, '');
    await cli('map', 'import', '-m', migrationId, '--file', removed, '--by', 'reviewer');
    const withoutAssignment = (await latestFieldMap(db.pool, migrationId))!;
    expect(withoutAssignment.document.owners).toBeUndefined();
    expect((await run(acts.approveMap, { migrationId, version: withoutAssignment.version, by: 'Ana', includeAllPhi: true })).errors).toEqual([]);
    expect((await run(acts.resolveProviders, { migrationId })).unmatchedProviderIds).toContain(unmatched!.providerId);
    expect((await new Ledger(db.pool).resolve(migrationId, [providerKey])).get(`user|${providerKey.sourceKey}`)).toBe(report.fallbackOwnerId);
  });
});

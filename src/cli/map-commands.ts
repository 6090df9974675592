/**
 * `map export` and `map import`: the mapping workbook round trip from the operator's shell, on any machine (everything
 * comes from the migration store). Export writes the latest map version as XLSX and CSV: the workbook the worker
 * proposed for it, as kept in the store, while that version waits for review; otherwise one made from the stored map
 * version (with samples and confidences from the staged extract). Import reads an edited one and saves a new map
 * version with its PHI decisions, or prints every row error and saves nothing.
 */
import path from 'node:path';
import { type Command, Option } from 'commander';
import type { Pool } from 'pg';
import { mergeStatement, parseFieldMap, storedMerges, type DuplicateMerges, type PhiDecisions } from '../mapping';
import {
  exportWorkbook,
  formatDuplicateRowError,
  formatRowError,
  importDuplicateSheet,
  importWorkbook,
  sheetCsvName,
  sheetFiles,
  phiDecisionsForApproval,
  proposeForMigration,
  reportedDuplicatePairs,
} from '../review';
import { ownerAssignmentsOf, ownersDocument } from '../review/owners';
import { importOwnersSheet, ownersSheetInput } from '../review/owners-sheet';
import { latestFieldMap, saveProposedMap } from '../store/field-maps';
import { listReports, readReportFile } from '../store/reports';
import { recordMapImport } from '../store/audit';
import { makePrivateDir, writePrivateFile } from '../private-files';
import type { MapImportedInput } from '../workflows/messages';

export interface MapCommandDeps {
  /** Runs fn with a pool on the migration store (the starter's withStore). */
  withStore<T>(fn: (pool: Pool) => Promise<T>): Promise<T>;
  /** Where `map export` writes without --out: the migration's folder in this machine's DATA_DIR (a local cache). */
  reportDir(migrationId: string): string;
  /** Where lines for the operator go (stdout by default). */
  print?: (line: string) => void;
  /** Tells the running migration of an imported version (its gate message); returns a note when it could not. */
  tellMigration?: (migrationId: string, imported: MapImportedInput) => Promise<string | undefined>;
}

export class MapImportRefusedError extends Error {
  constructor(readonly errorCount: number) {
    super(`import refused: ${errorCount} row error(s), nothing was saved`);
    this.name = 'MapImportRefusedError';
  }
}

export function registerMapCommands(program: Command, deps: MapCommandDeps): void {
  const print = deps.print ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const id = () => new Option('-m, --migration-id <slug>', 'migration id').makeOptionMandatory();
  const map = program.command('map').description('the mapping workbook: export the proposed map for review, import the edited workbook');

  map
    .command('export')
    .description('write the latest map version as a mapping workbook (XLSX and CSV)')
    .addOption(id())
    .option('--out <dir>', "folder to write to (default: the migration's folder in this machine's DATA_DIR)")
    .option('--json', 'print one JSON line')
    .action(async (o: { migrationId: string; out?: string; json?: boolean }) => {
      await deps.withStore(async (pool) => {
        const stored = await latestFieldMap(pool, o.migrationId);
        if (!stored) throw new Error(`migration ${o.migrationId} has no field map yet: the workflow proposes one in MAPPING_REVIEW`);
        const current = parseFieldMap(stored.document.map);
        const dir = o.out ?? deps.reportDir(o.migrationId);
        // The workbook shows sample values: the migration's report folder is owner-only (a folder named by --out is
        // the operator's: only one it creates is made so).
        if (!o.out) await makePrivateDir(dir, { tighten: true });
        const basename = `mapping-workbook-v${stored.version}`;
        let from: 'store' | 'generated' = 'store';
        let files = stored.status === 'proposed' ? await storedWorkbook(pool, o.migrationId, stored.version, dir, basename) : undefined;
        if (!files) {
          // No stored workbook of this version (an imported version, or one approved since, whose PHI decisions the
          // proposal's workbook does not show): made from the store. Proposing against the stored map adds nothing to
          // it: it gives the rows their samples and confidences.
          from = 'generated';
          const phi = phiDecisionsForApproval(stored.document, {});
          const { proposal } = await proposeForMigration(pool, o.migrationId, current);
          const pairs = await reportedDuplicatePairs(pool, o.migrationId);
          const duplicates = pairs && { pairs, merges: storedMerges(stored.document) };
          const owners = await ownersSheetInput(pool, o.migrationId, ownerAssignmentsOf(stored.document));
          files = await exportWorkbook({ map: current, proposal, phi, duplicates, owners }, dir, basename);
        }
        const { xlsxPath, csvPath, sheetCsvPaths } = files;
        if (o.json) {
          print(
            JSON.stringify({
              migrationId: o.migrationId,
              version: stored.version,
              status: stored.status,
              rules: current.rules.length,
              from,
              xlsxPath,
              csvPath,
              sheetCsvPaths,
            }),
          );
          return;
        }
        print(`Map version ${stored.version} (${stored.status}, ${current.rules.length} rules) written to:`);
        for (const file of [xlsxPath, csvPath, ...sheetCsvPaths]) print(`  ${file}`);
        print(
          from === 'store'
            ? 'This is the workbook the worker proposed for it, from the migration store.'
            : 'Made from the map version and the staged extract in the migration store.',
        );
        print(`Edit it (decision edit/reject, phi_decision for PHI rows), then: map import --migration-id ${o.migrationId} --file <path> --by <your name>`);
        if (sheetCsvPaths.length > 0)
          print('As CSV, each sheet is a file of its own: give the ones you edited (--file a.csv b.csv); the others stay as they are.');
      });
    });

  map
    .command('import')
    .description('read an edited mapping workbook (XLSX or CSV) into a new map version with its PHI decisions')
    .addOption(id())
    .requiredOption('--file <paths...>', 'the edited workbook (.xlsx), or its sheets as CSV files (mapping, owners, duplicates: any of them)')
    .requiredOption('--by <name>', 'who edited it (kept in the audit log with the version it makes)')
    .option('--json', 'print one JSON line')
    .action(async (o: { migrationId: string; file: string[]; by: string; json?: boolean }) => {
      await deps.withStore(async (pool) => {
        const stored = await latestFieldMap(pool, o.migrationId);
        if (!stored) throw new Error(`migration ${o.migrationId} has no field map yet: the workflow proposes one in MAPPING_REVIEW`);
        const current = parseFieldMap(stored.document.map);
        const sheets = await sheetFiles(o.file);
        const storedPhi = phiDecisionsForApproval(stored.document, {});
        // Without the Mapping sheet (only other sheets' CSVs), the rules and PHI decisions stay as they are.
        const result: Awaited<ReturnType<typeof importWorkbook>> = sheets.mapping
          ? await importWorkbook(sheets.mapping, current)
          : { ok: true, map: current, phi: storedPhi, changes: [] };
        // The Owners sheet, against the users and providers the worker listed; without it the assignments stay.
        const ownersImport = await importOwnersSheet(pool, o.migrationId, sheets.owners, stored.document);
        // The Duplicates sheet, against the Data Quality Report's pairs; without it the decisions stay.
        const storedDuplicates = storedMerges(stored.document);
        const duplicateImport = sheets.duplicates
          ? await importDuplicateSheet(sheets.duplicates, (await reportedDuplicatePairs(pool, o.migrationId)) ?? [])
          : undefined;
        const errors = [
          ...(result.ok ? [] : result.errors.map(formatRowError)),
          ...(duplicateImport?.ok === false ? duplicateImport.errors.map(formatDuplicateRowError) : []),
          ...ownersImport.errors,
        ];
        if (!result.ok || duplicateImport?.ok === false || ownersImport.errors.length > 0) {
          if (o.json) {
            print(JSON.stringify({ migrationId: o.migrationId, saved: false, errors }));
            throw new MapImportRefusedError(errors.length);
          }
          print(`The workbook has ${errors.length} problem(s); nothing was saved:`);
          for (const error of errors) print(`  ${error}`);
          throw new MapImportRefusedError(errors.length);
        }
        const duplicates = duplicateImport?.merges ?? storedDuplicates;
        if (result.changes.length === 0 && samePhi(storedPhi, result.phi) && sameMerges(storedDuplicates, duplicates) && !ownersImport.changed) {
          print(
            o.json
              ? JSON.stringify({ migrationId: o.migrationId, saved: false, version: stored.version, changes: [] })
              : `No changes to map version ${stored.version}: nothing saved.`,
          );
          return;
        }
        const version = await saveProposedMap(pool, o.migrationId, {
          map: result.map,
          phi: result.phi,
          duplicates,
          ...ownersDocument(ownersImport.assignments),
        });
        await recordMapImport(pool, o.migrationId, {
          by: o.by,
          version,
          changes: result.changes.length,
          phiIncluded: result.phi.include.length,
          merges: duplicates.merge.length,
          ownerAssignments: ownersImport.assignments.length,
        });
        const untold = await deps.tellMigration?.(o.migrationId, {
          version,
          by: o.by,
          changes: result.changes.length,
          merges: duplicates.merge.length,
          ownerAssignments: ownersImport.assignments.length,
        });
        if (untold) console.error(untold);
        if (o.json) {
          print(
            JSON.stringify({
              migrationId: o.migrationId,
              saved: true,
              version,
              by: o.by,
              changes: result.changes,
              phi: result.phi,
              duplicates,
              owners: ownersImport.assignments,
            }),
          );
          return;
        }
        print(
          `Saved map version ${version} from ${o.file.join(', ')}${result.changes.length > 0 ? `: ${result.changes.length} change(s)` : ' (decisions only)'}`,
        );
        for (const change of result.changes) print(`  ${change}`);
        print(phiStatement(result.phi));
        print(mergeStatement(duplicates));
        if (ownersImport.statement) print(ownersImport.statement);
        print(`Approve it at MAPPING_REVIEW with --map-version ${version}.`);
      });
    });
}

/**
 * Writes the stored workbook of `version` (XLSX and CSV, as the worker proposed it) into dir; undefined when the store
 * does not hold that version's workbook.
 */
async function storedWorkbook(
  pool: Pool,
  migrationId: string,
  version: number,
  dir: string,
  basename: string,
): Promise<{ xlsxPath: string; csvPath: string; sheetCsvPaths: string[] } | undefined> {
  const report = (await listReports(pool, migrationId)).find((r) => r.kind === 'mapping-workbook');
  if ((report?.summary as { version?: number } | undefined)?.version !== version) return undefined;
  const xlsx = await readReportFile(pool, migrationId, 'mapping-workbook', `${basename}.xlsx`);
  const csv = await readReportFile(pool, migrationId, 'mapping-workbook', `${basename}.csv`);
  if (!xlsx || !csv) return undefined;
  // The other sheets' CSVs, when the worker wrote them (a workbook stored before they were written has none).
  const sheetCsvs = [];
  for (const sheet of ['owners', 'duplicates'] as const) {
    const file = await readReportFile(pool, migrationId, 'mapping-workbook', sheetCsvName(basename, sheet));
    if (file) sheetCsvs.push(file);
  }
  await makePrivateDir(dir);
  const xlsxPath = path.join(dir, xlsx.name);
  const csvPath = path.join(dir, csv.name);
  await writePrivateFile(xlsxPath, xlsx.content);
  await writePrivateFile(csvPath, csv.content);
  const sheetCsvPaths: string[] = [];
  for (const file of sheetCsvs) {
    sheetCsvPaths.push(path.join(dir, file.name));
    await writePrivateFile(sheetCsvPaths.at(-1)!, file.content);
  }
  return { xlsxPath, csvPath, sheetCsvPaths };
}

function sameMerges(a: DuplicateMerges, b: DuplicateMerges): boolean {
  const key = (d: DuplicateMerges) => JSON.stringify(d.merge.map((m) => `${m.duplicate}>${m.survivor}`).sort());
  return key(a) === key(b);
}

function samePhi(a: PhiDecisions, b: PhiDecisions): boolean {
  const key = (d: PhiDecisions) => JSON.stringify([...d.include].sort((x, y) => x.rule.localeCompare(y.rule)));
  return key(a) === key(b);
}

/** The statement of what PHI the version includes: the same wording the approved-map report uses. */
export function phiStatement(phi: PhiDecisions): string {
  const included = phi.include.map((d) => `${d.rule} (${d.deidentify})`);
  return included.length > 0
    ? `PHI included by the workbook: ${included.join(', ')}. Every other PHI rule is excluded; SSN never moves.`
    : 'No PHI included: every PHI rule is excluded; SSN never moves.';
}

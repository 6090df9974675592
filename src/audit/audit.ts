import path from 'node:path';
import { isSupportedCountry } from 'libphonenumber-js';
import type { Pool } from 'pg';
import type { ExtractSourceSpec } from '../dentrix/extract-reader';
import { makePrivateDir, writePrivateFile } from '../private-files';
import { appointmentFindings } from './appointments';
import { inFlightClaims } from './claims';
import { contactQuality } from './contact-quality';
import { dateQuality } from './dates';
import { duplicatePatients } from './duplicates';
import { phiFieldReview, selectPhiFields } from './phi-fields';
import { renderDataQualityHtml } from './render-html';
import { DATA_QUALITY_REPORT_FORMAT, type DataQualityReport } from './report';
import { orphanReferences } from './references';
import { sourceIssueGroups, sourceTableCounts } from './source-counts';
import { auditedRun, stagedTableCount, withAuditSnapshot } from '../store/source-audit';
import { type AuditContext } from './sql';
import { targetObjectCounts } from './target-objects';
import { valuesForReview } from './values-for-review';
import { clinicalNoteVolume, documentVolume } from './volumes';

export const DATA_QUALITY_JSON = 'data-quality-report.json';
export const DATA_QUALITY_HTML = 'data-quality-report.html';

export interface AuditOptions {
  /** Where the two report files go (created if missing). */
  outDir: string;
  /** The report's date: future dates, upcoming bookings. Default: now. */
  now?: Date;
  /** PHI fields to review, as `table.column` of the extract. Default: the mapping layer's PHI list. */
  phiFields?: string[];
  /** Region for phone numbers typed without a country code (ISO 3166 alpha-2). Default `US`. */
  phoneRegion?: string;
  /** Longest list of keys any section writes to the JSON report (counts are always complete). Default 10,000. */
  maxListed?: number;
  /** Called as each section starts, e.g. to heartbeat the AUDIT activity. */
  onProgress?: (section: string) => void;
}

export interface AuditResult {
  reportPath: string;
  htmlPath: string;
  /** Headline counts, flat and PHI-free: safe for Temporal history and the CLI's status line. */
  summary: Record<string, number>;
}

const DEFAULT_MAX_LISTED = 10_000;

/**
 * The AUDIT phase: reads the staged extract of one migration (SQL over staged_rows, aggregated in the database;
 * the big tables are only ever streamed) and writes the Data Quality Report as JSON and as a self-contained HTML
 * page. Every section reads one REPEATABLE READ snapshot, so the numbers agree with each other even if a delta
 * pick-up stages rows meanwhile. Read-only: nothing in the store changes.
 */
export async function auditMigration(pool: Pool, migrationId: string, opts: AuditOptions): Promise<AuditResult> {
  const phoneRegion = opts.phoneRegion ?? 'US';
  if (!isSupportedCountry(phoneRegion)) throw new Error(`auditMigration: phoneRegion "${phoneRegion}" is not a region libphonenumber knows`);
  const maxListed = opts.maxListed ?? DEFAULT_MAX_LISTED;
  if (!Number.isInteger(maxListed) || maxListed < 0) throw new Error(`auditMigration: maxListed must be a non-negative integer, not ${maxListed}`);
  const phiSelection = selectPhiFields(opts.phiFields);
  const now = opts.now ?? new Date();
  const progress = opts.onProgress ?? (() => undefined);

  // One read-only snapshot: every section sees the same staged extract.
  const report: DataQualityReport = await withAuditSnapshot(pool, async (client) => {
    const run = await auditedRun<ExtractSourceSpec>(client, migrationId);
    if (!run) throw new Error(`auditMigration: migration_runs has no row for migration ${migrationId}`);
    if ((await stagedTableCount(client, migrationId)) === 0)
      throw new Error(`auditMigration: nothing is staged for migration ${migrationId}: run the EXTRACT phase first`);

    const ctx: AuditContext = { db: client, migrationId, maxListed, now };
    progress('source tables');
    const sourceTables = await sourceTableCounts(ctx);
    const sourceIssues = await sourceIssueGroups(ctx);
    progress('target objects');
    const targetObjects = await targetObjectCounts(ctx);
    progress('duplicate patients');
    const duplicates = await duplicatePatients(ctx);
    progress('contact details');
    const contacts = await contactQuality(ctx, phoneRegion);
    progress('dates');
    const dates = await dateQuality(ctx, run.timezone);
    progress('orphan references');
    const orphans = await orphanReferences(ctx);
    progress('in-flight claims');
    const claims = await inFlightClaims(ctx);
    progress('notes and documents');
    const clinicalNotes = await clinicalNoteVolume(ctx);
    const documents = await documentVolume(ctx, run.source, progress);
    progress('appointments');
    const appointments = await appointmentFindings(ctx, run.timezone);
    progress('PHI fields');
    const phiFields = await phiFieldReview(ctx, phiSelection);
    progress('values for review');
    const forReview = await valuesForReview(ctx, contacts);

    return {
      format: DATA_QUALITY_REPORT_FORMAT,
      migrationId,
      generatedAt: now.toISOString(),
      practice: { name: run.practice_name, timezone: run.timezone, currency: run.currency },
      maxListed,
      sourceTables,
      sourceIssues,
      targetObjects,
      duplicatePatients: duplicates,
      contactQuality: contacts,
      dates,
      orphanReferences: orphans,
      inFlightClaims: claims,
      clinicalNotes,
      documents,
      appointments,
      phiFields: { source: phiSelection.source, fields: phiFields },
      valuesForReview: forReview,
    };
  });

  progress('writing the report');
  await makePrivateDir(opts.outDir, { tighten: true });
  const reportPath = await writeAtomically(path.join(opts.outDir, DATA_QUALITY_JSON), JSON.stringify(report, null, 2) + '\n');
  const htmlPath = await writeAtomically(path.join(opts.outDir, DATA_QUALITY_HTML), renderDataQualityHtml(report));
  return { reportPath, htmlPath, summary: summarise(report) };
}

/** Temp file + rename: a reader never sees half a report; owner-only (0600). */
async function writeAtomically(target: string, content: string): Promise<string> {
  await writePrivateFile(target, content);
  return target;
}

/**
 * The headline numbers, most important first (the CLI shows the first few): counts and a rate, never values.
 */
export function summarise(report: DataQualityReport): Record<string, number> {
  const { contactQuality: contacts, targetObjects: t } = report;
  return {
    patients: report.duplicatePatients.patientRecords,
    duplicatePatients: report.duplicatePatients.duplicateRecords,
    patientsWithoutEmail: contacts.patientsWithoutEmail.count,
    invalidPhones: contacts.phones.malformed + contacts.phones.notValid,
    invalidEmails: contacts.emails.invalid,
    invalidDates: report.dates.invalidTotal + report.dates.implausibleTotal,
    valuesForReview: report.valuesForReview.total,
    orphanReferences: report.orphanReferences.total,
    inFlightClaims: report.inFlightClaims.claims,
    duplicateRate: report.duplicatePatients.rate,
    rowsRead: report.sourceTables.totals.rowsRead,
    rowsStaged: report.sourceTables.totals.rowsStaged,
    rowsRejected: report.sourceTables.totals.rowsRejected,
    tablesNotReconciled: report.sourceTables.tables.filter((s) => !s.reconciled).length,
    malformedPhones: contacts.phones.malformed,
    phonesNotValid: contacts.phones.notValid,
    emailsNeedingCleanup: contacts.emails.needsCleanup,
    newPatientAppointments: report.appointments.newPatientWithoutRecord.count,
    dstGapAppointments: report.appointments.dst.gap.count,
    dstOverlapAppointments: report.appointments.dst.overlap.count,
    inFlightClaimCharges: report.inFlightClaims.charges,
    inFlightInsuranceEstimate: report.inFlightClaims.insuranceEstimate,
    clinicalNotes: report.clinicalNotes.notes,
    clinicalNoteCharacters: report.clinicalNotes.totalCharacters,
    imagingFiles: report.documents.imaging.files,
    imagingBytes: report.documents.imaging.bytes,
    documentFiles: report.documents.movableAsFiles.files,
    documentBytes: report.documents.movableAsFiles.bytes,
    documentFilesRefused: report.documents.fileChecks.refused,
    phiFields: report.phiFields.fields.length,
    persons: t.persons.total,
    organizations: t.organizations.total,
    products: t.products.total,
    deals: t.deals.total,
    dealProducts: t.dealProducts.total,
    activities: t.activities.total,
    notes: t.notes.total,
    files: t.files.total,
  };
}

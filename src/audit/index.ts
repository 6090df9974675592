/**
 * The AUDIT phase: the Data Quality Report over a migration's staged extract (service page, step 1).
 *
 *   const { reportPath, htmlPath, summary } = await auditMigration(pool, migrationId, { outDir });
 *
 * `summary` is flat and PHI-free (Temporal history, CLI status); the two files hold ids, never patient values.
 */
export { auditMigration, summarise, DATA_QUALITY_JSON, DATA_QUALITY_HTML, type AuditOptions, type AuditResult } from './audit';
export * from './report';
export { EXTRACT_FORMAT_PHI_FIELDS, selectPhiFields } from './phi-fields';
export { REFERENCES } from './references';
export { DUPLICATE_RULE } from './duplicates';
export { EMAIL_COLUMNS, PHONE_COLUMNS, emailProblems, phoneProblem } from './contact-quality';
export { classifyLocalTime, offsetChangeDates } from './appointments';
export { renderDataQualityHtml } from './render-html';

/**
 * The AUDIT phase: the Data Quality Report over a migration's staged extract (service page, step 1).
 *
 *   const { reportPath, htmlPath, summary } = await auditMigration(pool, migrationId, { outDir });
 *
 * `summary` is flat and PHI-free (Temporal history, CLI status); the two files hold ids, never patient values.
 */
export { auditMigration, type AuditOptions, type AuditResult } from './audit';
export * from './report';
export { selectPhiFields } from './phi-fields';
export { emailProblems, phoneProblem } from './contact-quality';
export { classifyLocalTime, offsetChangeDates } from './appointments';

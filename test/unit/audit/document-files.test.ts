import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeExtractFolder } from '@dentrix-pipedrive/practice-generator';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { MANIFEST, PROVIDERS } from '../dentrix/helpers';
import { type AuditedExtract, runAudit, stageFolder, tempDirs } from './helpers';

const dirs = tempDirs();
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('audit_docs');
});
afterAll(async () => {
  await db.drop();
});

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('the Data Quality Report counts documents whose files the upload would refuse, by reason', () => {
  let audited: AuditedExtract;

  beforeAll(async () => {
    const dir = await dirs.make();
    const extract = path.join(dir, 'extract');
    const good = Buffer.from('%PDF-1.4 consent\n');
    const secret = path.join(dir, 'secret.txt');
    await writeFile(secret, 'SECRET\n');
    const doc = (id: number, docType: string, file: string, bytes: Buffer | null, declared: Partial<{ size_bytes: number; sha256: string }> = {}) => ({
      document_id: id,
      patient_id: 1,
      doc_type: docType,
      file_path: `documents/${file}`,
      size_bytes: declared.size_bytes ?? bytes?.length ?? null,
      sha256: declared.sha256 ?? (bytes ? sha(bytes) : null),
    });
    await writeExtractFolder(
      extract,
      MANIFEST,
      {
        provider: PROVIDERS,
        patient: [{ patient_id: 1, first_name: 'Ann', last_name: 'Lee', guar_id: 1 }],
        document: [
          doc(1, 'consent_form', 'Ann-Lee-consent.pdf', good),
          doc(2, 'consent_form', 'passwd.pdf', null),
          doc(3, 'other', 'secret.pdf', null),
          doc(4, 'referral_letter', 'short.pdf', good, { size_bytes: good.length + 5 }),
          doc(5, 'insurance_card', 'card.pdf', good, { sha256: 'ab'.repeat(32) }),
          doc(6, 'other', 'pipe.pdf', null),
          doc(7, 'other', 'folder.pdf', null),
          doc(8, 'other', 'missing.pdf', null),
          doc(9, 'xray', 'xray-link.jpg', null), // imaging never uploads: not checked
        ],
      },
      { documents: { 'Ann-Lee-consent.pdf': good, 'short.pdf': good, 'card.pdf': good } },
    );
    const documents = path.join(extract, 'documents');
    await symlink('/etc/passwd', path.join(documents, 'passwd.pdf'));
    await symlink(secret, path.join(documents, 'secret.pdf'));
    await symlink(secret, path.join(documents, 'xray-link.jpg'));
    execFileSync('mkfifo', [path.join(documents, 'pipe.pdf')]);
    await mkdir(path.join(documents, 'folder.pdf'));
    await stageFolder(db.pool, 'audit-docs', extract);
    audited = await runAudit(db.pool, 'audit-docs', { outDir: path.join(dir, 'reports') });
  }, 60_000);

  it('by reason kind, with the document keys, in the JSON report, the HTML page and the summary', () => {
    const checks = audited.report.documents.fileChecks;
    expect(checks.checked).toBe(8);
    expect(checks.refused).toBe(7);
    const byKind = Object.fromEntries(checks.byReason.map((r) => [r.kind, r.documents.keys.slice().sort()]));
    expect(byKind).toEqual({
      link_outside: ['2', '3'],
      not_regular_file: ['6', '7'],
      size_mismatch: ['4'],
      sha256_mismatch: ['5'],
      missing: ['8'],
    });
    expect(audited.result.summary.documentFilesRefused).toBe(7);
    expect(audited.html).toContain('8 checked, 7 would be refused');
    expect(audited.html).toContain('link_outside (2)');
    for (const text of [audited.json, audited.html]) expect(text).not.toContain('Ann-Lee');
  });
});

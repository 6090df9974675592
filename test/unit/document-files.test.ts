import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readDocumentFile, type DeclaredFile } from '../../src/dentrix/confined-files';
import { type MigrationRun, type SourceSpec } from '../../src/store/runs';

/** A run's document file as the load reads it (stagingReads in src/activities/load.ts): from the run's source. */
const documentFile = (run: MigrationRun, filePath: string | null, declared?: DeclaredFile) => readDocumentFile(run.source, filePath, declared);

const sample = path.resolve(__dirname, '../../samples/demo-practice');
const run = (source: SourceSpec): MigrationRun => ({
  migrationId: 'm',
  practiceName: null,
  timezone: null,
  currency: null,
  pipedriveBaseUrl: 'http://127.0.0.1:9',
  pipedriveAccount: null,
  phase: 'FULL',
  options: {},
  fingerprintBefore: null,
  fingerprintAfter: null,
  source,
});

describe('document files to upload', () => {
  it('come from the extract folder, read once, with the bytes that were checked', async () => {
    const read = await documentFile(run({ kind: 'folder', path: sample }), 'documents/0000002-consent_form.pdf');
    expect(read).toEqual({ path: path.join(sample, 'documents', '0000002-consent_form.pdf'), content: expect.any(Buffer) });
    expect((read as { content: Buffer }).content.equals(readFileSync(path.join(sample, 'documents', '0000002-consent_form.pdf')))).toBe(true);
  });

  it('come from a SQL mirror’s documents folder, and without one the reason names the fix', async () => {
    expect(
      await documentFile(run({ kind: 'sql', connectionString: 'postgres://x', documentsDir: sample }), 'documents/0000002-consent_form.pdf'),
    ).toHaveProperty('content');
    expect(await documentFile(run({ kind: 'sql', connectionString: 'postgres://x' }), 'documents/0000002-consent_form.pdf')).toEqual({
      reason: expect.stringContaining('--documents DIR'),
      kind: 'no_documents_folder',
    });
  });

  it('never leave the documents folder, and a missing file is a reason, not a crash', async () => {
    expect(await documentFile(run({ kind: 'folder', path: sample }), '../../etc/passwd')).toMatchObject({
      reason: expect.stringContaining('outside'),
      kind: 'path_outside',
    });
    expect(await documentFile(run({ kind: 'folder', path: sample }), 'documents/missing.pdf')).toMatchObject({
      reason: expect.stringContaining('not in'),
      kind: 'missing',
    });
    expect(await documentFile(run({ kind: 'folder', path: sample }), null)).toMatchObject({ reason: expect.stringContaining('empty') });
  });
});

describe('document files are read only inside the extract’s real folder, and as the extract declares them', () => {
  const made: string[] = [];
  afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const PDF = Buffer.from('%PDF-1.4 signed consent\n');
  const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

  /** An extract folder with documents/consent.pdf, and beside it (outside) a secret file. */
  function extract(): { root: string; outside: string } {
    const parent = mkdtempSync(path.join(tmpdir(), 'document-files-'));
    made.push(parent);
    const root = path.join(parent, 'extract');
    mkdirSync(path.join(root, 'documents'), { recursive: true });
    writeFileSync(path.join(root, 'documents', 'consent.pdf'), PDF);
    writeFileSync(path.join(root, 'patient.csv'), 'patient_id,first_name\n1,Ann\n');
    const outside = path.join(parent, 'secret.txt');
    writeFileSync(outside, 'SECRET=worker environment\n');
    return { root, outside };
  }
  const folder = (root: string) => run({ kind: 'folder', path: root });

  it('refuse a symbolic link to a file outside the folder (e.g. /etc/passwd), naming no file', async () => {
    const { root, outside } = extract();
    symlinkSync(outside, path.join(root, 'documents', 'Jane-Doe-consent.pdf'));
    symlinkSync('/etc/passwd', path.join(root, 'documents', 'passwd.pdf'));
    for (const name of ['Jane-Doe-consent.pdf', 'passwd.pdf']) {
      const read = await documentFile(folder(root), `documents/${name}`);
      expect(read).toEqual({ reason: 'document file: a symbolic link that leaves the extract folder', kind: 'link_outside' });
    }
  });

  it('refuse a file reached through a linked folder that leaves the extract, also for a SQL mirror’s documents folder', async () => {
    const { root, outside } = extract();
    symlinkSync(path.dirname(outside), path.join(root, 'documents', 'linked'));
    expect(await documentFile(folder(root), 'documents/linked/secret.txt')).toMatchObject({ kind: 'link_outside' });
    const mirror = run({ kind: 'sql', connectionString: 'postgres://x', documentsDir: root });
    expect(await documentFile(mirror, 'documents/linked/secret.txt')).toEqual({
      reason: 'document file: a symbolic link that leaves the documents folder',
      kind: 'link_outside',
    });
  });

  it('accept a symbolic link that stays inside the folder, and the extract folder itself reached through a link', async () => {
    const { root } = extract();
    symlinkSync('consent.pdf', path.join(root, 'documents', 'alias.pdf'));
    const read = await documentFile(folder(root), 'documents/alias.pdf', { sizeBytes: PDF.length, sha256: sha(PDF) });
    expect(read).toMatchObject({ path: realpathSync(path.join(root, 'documents', 'consent.pdf')) });
    expect((read as { content: Buffer }).content.equals(PDF)).toBe(true);
    const linkedRoot = `${root}-link`;
    symlinkSync(root, linkedRoot);
    expect(await documentFile(folder(linkedRoot), 'documents/consent.pdf')).toHaveProperty('content');
  });

  it('refuse paths that climb out with .. or are absolute, whatever the slashes', async () => {
    const { root, outside } = extract();
    for (const filePath of [
      '../secret.txt',
      'documents/../../secret.txt',
      '..\\secret.txt',
      outside,
      '/etc/passwd',
      'C:\\Windows\\win.ini',
      '\\\\server\\share\\x.pdf',
    ]) {
      expect(await documentFile(folder(root), filePath)).toEqual({ reason: 'document file: the path points outside the extract folder', kind: 'path_outside' });
    }
  });

  it('refuse a FIFO without hanging, and a directory', async () => {
    const { root } = extract();
    execFileSync('mkfifo', [path.join(root, 'documents', 'pipe.pdf')]);
    const started = Date.now();
    expect(await documentFile(folder(root), 'documents/pipe.pdf')).toEqual({ reason: 'document file: not a regular file (fifo)', kind: 'not_regular_file' });
    expect(Date.now() - started).toBeLessThan(2_000);
    mkdirSync(path.join(root, 'documents', 'scans.pdf'));
    expect(await documentFile(folder(root), 'documents/scans.pdf')).toEqual({
      reason: 'document file: not a regular file (directory)',
      kind: 'not_regular_file',
    });
    expect(await documentFile(folder(root), 'documents')).toMatchObject({ kind: 'not_regular_file' });
  }, 10_000);

  it('refuse a link to a FIFO or a device outside the folder as a link out, before opening it', async () => {
    const { root } = extract();
    symlinkSync('/dev/zero', path.join(root, 'documents', 'zero.pdf'));
    symlinkSync('/proc/self/environ', path.join(root, 'documents', 'environ.pdf'));
    expect(await documentFile(folder(root), 'documents/zero.pdf')).toMatchObject({ kind: 'link_outside' });
    expect(await documentFile(folder(root), 'documents/environ.pdf')).toMatchObject({ kind: 'link_outside' });
  });

  it('refuse the extract’s own table and manifest files as documents', async () => {
    const { root } = extract();
    expect(await documentFile(folder(root), 'patient.csv')).toEqual({
      reason: "document file: one of the extract's own manifest or table files",
      kind: 'extract_file',
    });
    symlinkSync('../patient.csv', path.join(root, 'documents', 'list.pdf'));
    expect(await documentFile(folder(root), 'documents/list.pdf')).toMatchObject({ kind: 'extract_file' });
  });

  it('check the declared size and sha256: a mismatch is refused with its reason, a match or an undeclared value is read', async () => {
    const { root } = extract();
    const at = 'documents/consent.pdf';
    expect(await documentFile(folder(root), at, { sizeBytes: PDF.length + 1 })).toEqual({
      reason: `document file: size ${PDF.length} bytes ≠ declared ${PDF.length + 1}`,
      kind: 'size_mismatch',
    });
    expect(await documentFile(folder(root), at, { sizeBytes: PDF.length, sha256: 'ab'.repeat(32) })).toEqual({
      reason: 'document file: sha256 differs from the declared one',
      kind: 'sha256_mismatch',
    });
    expect(await documentFile(folder(root), at, { sizeBytes: PDF.length, sha256: ` ${sha(PDF).toUpperCase()} ` })).toHaveProperty('content');
    expect(await documentFile(folder(root), at, { sizeBytes: null, sha256: null })).toHaveProperty('content');
  });

  it('match what the bundled sample practice declares for every document', async () => {
    const { parse } = await import('csv-parse/sync');
    const documents: { file_path: string; size_bytes: string; sha256: string }[] = parse(readFileSync(path.join(sample, 'document.csv')), {
      columns: true,
      bom: true,
    });
    expect(documents.length).toBeGreaterThan(0);
    for (const d of documents) {
      const read = await documentFile(folder(sample), d.file_path, { sizeBytes: Number(d.size_bytes), sha256: d.sha256 });
      expect(read).toHaveProperty('content');
    }
  });
});

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openExtract } from '../../../src/dentrix';
import { confinedPath, readConfinedFile } from '../../../src/dentrix/confined-files';
import { ExtractFormatError } from '../../../src/dentrix/errors';
import { MANIFEST, readAll, rows, tempDirs } from './helpers';

const dirs = tempDirs();
const PATIENTS = 'patient_id,first_name\n1,Ann\n2,Bob\n';

/** An extract folder `<parent>/extract` with a manifest, provider.csv and patient.csv; `<parent>/outside.csv` beside it. */
async function extractFolder(): Promise<{ root: string; outside: string }> {
  const parent = await dirs.make();
  const root = path.join(parent, 'extract');
  await mkdir(root);
  await writeFile(path.join(root, 'manifest.json'), JSON.stringify(MANIFEST));
  await writeFile(path.join(root, 'provider.csv'), 'provider_id,first_name\r\nDDS1,Ana\r\n');
  await writeFile(path.join(root, 'patient.csv'), PATIENTS);
  const outside = path.join(parent, 'outside.csv');
  await writeFile(outside, 'patient_id,first_name\n666,Mallory\n');
  return { root, outside };
}

async function refusal(root: string): Promise<ExtractFormatError> {
  const err = await openExtract({ kind: 'folder', path: root }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ExtractFormatError);
  return err as ExtractFormatError;
}

describe('extract folder files are read only inside the folder’s real path', () => {
  it('refuses a table file that is a symbolic link leaving the folder (patient.csv → /etc/passwd), naming the file and why', async () => {
    const { root } = await extractFolder();
    await rename(path.join(root, 'patient.csv'), path.join(root, 'patient.bak'));
    await symlink('/etc/passwd', path.join(root, 'patient.csv'));
    const err = await refusal(root);
    expect(err.message).toBe(`patient.csv in Dentrix extract folder ${root} is refused: a symbolic link that leaves the extract folder`);
    expect(err.table).toBe('patient');
  });

  it('refuses an optional table and the manifest when they link out', async () => {
    const { root, outside } = await extractFolder();
    await symlink(outside, path.join(root, 'document.csv'));
    expect((await refusal(root)).message).toContain('document.csv in Dentrix extract folder');

    const second = await extractFolder();
    await writeFile(path.join(second.outside), JSON.stringify(MANIFEST));
    await rename(path.join(second.root, 'manifest.json'), path.join(second.root, 'manifest.bak'));
    await symlink(second.outside, path.join(second.root, 'manifest.json'));
    const err = await refusal(second.root);
    expect(err.message).toBe(`manifest.json in Dentrix extract folder ${second.root} is refused: a symbolic link that leaves the extract folder`);
  });

  it('refuses a table file that is a FIFO (without hanging) or a directory', async () => {
    const fifo = await extractFolder();
    execFileSync('mkfifo', [path.join(fifo.root, 'appt.csv')]);
    expect((await refusal(fifo.root)).message).toContain('appt.csv in Dentrix extract folder');
    expect((await refusal(fifo.root)).message).toContain('is refused: not a regular file (fifo)');

    const directory = await extractFolder();
    await mkdir(path.join(directory.root, 'recall.csv'));
    expect((await refusal(directory.root)).message).toContain('recall.csv in Dentrix extract folder');
    expect((await refusal(directory.root)).message).toContain('not a regular file (directory)');
  }, 10_000);

  it('accepts a table file linked to a file that stays inside the folder, and a folder reached through a link', async () => {
    const { root } = await extractFolder();
    await mkdir(path.join(root, 'tables'));
    await rename(path.join(root, 'patient.csv'), path.join(root, 'tables', 'patients-2026.csv'));
    await symlink(path.join('tables', 'patients-2026.csv'), path.join(root, 'patient.csv'));
    const linked = `${root}-link`;
    await symlink(root, linked);
    for (const folder of [root, linked]) {
      const reader = await openExtract({ kind: 'folder', path: folder });
      const { results, error } = await readAll(reader, 'patient');
      expect(error).toBeUndefined();
      expect(rows(results).map((r) => r.key)).toEqual(['1', '2']);
    }
  });

  it('checks a table file again as it reads it: a file swapped for a link out after open() is refused', async () => {
    const { root, outside } = await extractFolder();
    const reader = await openExtract({ kind: 'folder', path: root });
    await rename(path.join(root, 'patient.csv'), path.join(root, 'patient.bak'));
    await symlink(outside, path.join(root, 'patient.csv'));
    const { results, error } = await readAll(reader, 'patient');
    expect(results).toEqual([]);
    expect(error).toBeInstanceOf(ExtractFormatError);
    expect((error as Error).message).toContain('patient.csv in Dentrix extract folder');
    expect((error as Error).message).toContain('a symbolic link that leaves the extract folder');
  });
});

describe('confined reads', () => {
  it('resolve a path by its text only inside the folder', () => {
    expect(confinedPath('/x/extract', 'documents\\1.pdf')).toBe('/x/extract/documents/1.pdf');
    for (const bad of ['../y', 'documents/../../y', '/etc/passwd', 'C:/x', 'c:x', '\\\\host\\share', '', '.', 'documents/\0.pdf']) {
      expect(confinedPath('/x/extract', bad)).toBeUndefined();
    }
  });

  it('read the bytes once, checked against the declared size and sha256', async () => {
    const { root } = await extractFolder();
    const bytes = await readFile(path.join(root, 'patient.csv'));
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const read = await readConfinedFile(root, 'patient.csv', { sizeBytes: bytes.length, sha256 });
    expect('content' in read && read.content.equals(bytes)).toBe(true);
    expect(await readConfinedFile(root, 'patient.csv', { sizeBytes: 3 })).toEqual({
      refusal: { kind: 'size_mismatch', detail: `size ${bytes.length} bytes ≠ declared 3` },
    });
    expect(await readConfinedFile(root, 'patient.csv', { sha256: '0'.repeat(64) })).toEqual({
      refusal: { kind: 'sha256_mismatch', detail: 'sha256 differs from the declared one' },
    });
    expect(await readConfinedFile(path.join(root, 'nope'), 'patient.csv')).toMatchObject({ refusal: { kind: 'unreadable' } });
  });
});

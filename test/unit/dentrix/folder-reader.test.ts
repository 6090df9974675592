import { writeFile, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import iconv from 'iconv-lite';
import { isUtf8Stream } from '../../../src/dentrix/csv-records';
import { openExtract, resolveDocumentFile } from '../../../src/dentrix';
import { ExtractFormatError, MissingTableError, TableRowCountError } from '../../../src/dentrix/errors';
import { writeExtractFolder } from '@dentrix-pipedrive/practice-generator';
import { MANIFEST, PROVIDERS, readAll, rejections, rows, tempDirs } from './helpers';

const dirs = tempDirs();

async function folderWith(files: Record<string, string | Buffer>, manifest: object = MANIFEST): Promise<string> {
  const dir = await dirs.make();
  await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  await writeFile(path.join(dir, 'provider.csv'), 'provider_id,first_name\r\nDDS1,Ana\r\n');
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, name), content);
  return dir;
}

describe('extract folder reader', () => {
  it('reads quoted fields with commas, quotes and line breaks, CRLF or LF, headers in any case and order', async () => {
    const csv =
      'LAST_NAME,Patient_ID,First_Name,birth_date\r\n' +
      '"Lee, ""Jr""",1,"Ann\r\nMarie",1980-03-04\r\n' +
      "O'Brien,2,José,\n" +
      '"Ñúñez — Zoë",3,"multi\nline\nnote",03/04/1980\n' +
      '\n' +
      'Last,4,"crlf\r\ninside",\r\n';
    const reader = await openExtract({ kind: 'folder', path: await folderWith({ 'patient.csv': csv }) });
    const { results, error } = await readAll(reader, 'patient');
    expect(error).toBeUndefined();
    const read = rows(results);
    expect(read.map((r) => [r.key, r.row.first_name, r.row.last_name, r.row.birth_date, r.line])).toEqual([
      ['1', 'Ann\r\nMarie', 'Lee, "Jr"', '1980-03-04', 2],
      ['2', 'José', "O'Brien", null, 4],
      ['3', 'multi\nline\nnote', 'Ñúñez — Zoë', '1980-03-04', 5],
      ['4', 'crlf\r\ninside', 'Last', null, 9],
    ]);
    expect(read.every((r) => r.warnings.length === 0)).toBe(true);
  });

  it('strips a UTF-8 byte-order mark before the header', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const csv = Buffer.concat([bom, Buffer.from('patient_id,first_name\n1,Zoë\n', 'utf8')]);
    const reader = await openExtract({ kind: 'folder', path: await folderWith({ 'patient.csv': csv }) });
    const { results } = await readAll(reader, 'patient');
    expect(rows(results).map((r) => [r.key, r.row.first_name])).toEqual([['1', 'Zoë']]);
    expect(reader.tableIssues('patient').filter((i) => i.column === 'patient_id')).toEqual([]);
  });

  it('detects Windows-1252 bytes, decodes them correctly and reports the row, the column and the table', async () => {
    const csv = Buffer.concat([
      Buffer.from('patient_id,first_name,last_name\r\n1,Ann,Lee\r\n', 'utf8'),
      iconv.encode('2,Zoë,Müller — “Jr”\r\n', 'win1252'),
      Buffer.from('3,Renée,Peña\r\n', 'utf8'), // the same file may also hold proper UTF-8
    ]);
    const reader = await openExtract({ kind: 'folder', path: await folderWith({ 'patient.csv': csv }) });
    const { results } = await readAll(reader, 'patient');
    const read = rows(results);
    expect(read.map((r) => [r.row.first_name, r.row.last_name])).toEqual([
      ['Ann', 'Lee'],
      ['Zoë', 'Müller — “Jr”'],
      ['Renée', 'Peña'],
    ]);
    expect(read[1]!.warnings).toEqual([
      expect.objectContaining({
        table: 'patient',
        key: '2',
        column: 'first_name',
        reason: 'text is not valid UTF-8: decoded as Windows-1252',
        severity: 'warning',
      }),
      expect.objectContaining({ key: '2', column: 'last_name', severity: 'warning' }),
    ]);
    expect(read[0]!.warnings).toEqual([]);
    expect(read[2]!.warnings).toEqual([]);
    expect(reader.tableIssues('patient')).toContainEqual(
      expect.objectContaining({ table: 'patient', reason: '2 fields were not valid UTF-8 and were decoded as Windows-1252' }),
    );
  });

  it.each([1, 2, 3, 5, 64])('tells UTF-8 from other bytes whatever the chunk boundaries (%i-byte chunks)', async (size) => {
    const chunked = (bytes: Buffer): Readable =>
      Readable.from(Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size)));
    const text = Buffer.from('Zoë € 😀 Ñúñez — '.repeat(50));
    expect(await isUtf8Stream(chunked(text))).toBe(true);
    expect(await isUtf8Stream(chunked(Buffer.concat([text, iconv.encode('Müller', 'win1252'), text])))).toBe(false);
    expect(await isUtf8Stream(chunked(text.subarray(0, text.length - 2)))).toBe(false); // ends inside the em dash
  });

  it('refuses a UTF-16 file with an error naming the file', async () => {
    const csv = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('patient_id\r\n1\r\n', 'utf16le')]);
    const reader = await openExtract({ kind: 'folder', path: await folderWith({ 'patient.csv': csv }) });
    const { error } = await readAll(reader, 'patient');
    expect(error).toBeInstanceOf(ExtractFormatError);
    expect((error as Error).message).toBe('patient.csv: file is UTF-16; the extract format is UTF-8');
  });

  it('keeps unknown columns in extra and reports contract columns the header lacks', async () => {
    const reader = await openExtract({
      kind: 'folder',
      path: await folderWith({ 'patient.csv': 'patient_id,first_name,Favorite_Flavor,chart_num\n1,Ann,Mint,C1\n2,Bob,,C2\n' }),
    });
    const { results } = await readAll(reader, 'patient');
    expect(rows(results).map((r) => r.row.extra)).toEqual([{ favorite_flavor: 'Mint' }, { favorite_flavor: null }]);
    const missing = reader.tableIssues('patient').filter((i) => i.reason === 'column missing from the table: null in every row');
    expect(missing.map((i) => i.column)).toContain('birth_date');
    expect(missing.map((i) => i.column)).not.toContain('chart_num');
    expect(rows(results)[0]!.row.birth_date).toBeNull();
  });

  it('sets a bad optional value to null with a warning naming table, key and column, never the value', async () => {
    const reader = await openExtract({
      kind: 'folder',
      path: await folderWith({ 'patient.csv': 'patient_id,birth_date,status,first_name\n7,00/00/0000,one,Secretname\n' }),
    });
    const { results } = await readAll(reader, 'patient');
    const [row] = rows(results);
    expect(row!.row).toMatchObject({ patient_id: 7, birth_date: null, status: null, first_name: 'Secretname' });
    expect(row!.warnings).toEqual([
      { table: 'patient', key: '7', column: 'status', reason: 'not an integer: set to null', line: 2, severity: 'warning' },
      { table: 'patient', key: '7', column: 'birth_date', reason: 'impossible calendar date: set to null', line: 2, severity: 'warning' },
    ]);
    expect(JSON.stringify(row!.warnings)).not.toMatch(/00\/00|one|Secretname/);
  });

  it('keeps each value it set to null as typed in row.unreadable, for review on the record', async () => {
    const reader = await openExtract({
      kind: 'folder',
      path: await folderWith({ 'patient.csv': 'patient_id,birth_date,status,ssn,fam_pos\n7, 31.02.1985 ,one,12-34,0\n8,1990-01-02,2,,1\n' }),
    });
    const { results } = await readAll(reader, 'patient');
    const [bad, good] = rows(results);
    expect(bad!.row).toMatchObject({ birth_date: null, status: null, fam_pos: null });
    // The contract's out-of-range code too. The SSN is text the reader keeps as read: staging stores only its keyed hash.
    expect(bad!.row.unreadable).toEqual({ birth_date: '31.02.1985', status: 'one', fam_pos: '0' });
    expect(good!.row.unreadable).toBeUndefined();
  });

  it('rejects rows whose key is missing, unreadable or a duplicate, and rows with the wrong number of fields, and goes on', async () => {
    const csv = 'patient_id,first_name\n1,Ann\n,NoKey\nabc,BadKey\n1,Again\n2,Too,Many\n3,Fine\n';
    const reader = await openExtract({ kind: 'folder', path: await folderWith({ 'patient.csv': csv }) });
    const { results, error } = await readAll(reader, 'patient');
    expect(error).toBeUndefined();
    expect(rows(results).map((r) => r.key)).toEqual(['1', '3']);
    expect(rejections(results)).toEqual([
      { table: 'patient', key: null, column: 'patient_id', reason: 'primary key missing', line: 3, severity: 'rejected' },
      { table: 'patient', key: null, column: 'patient_id', reason: 'primary key unreadable: not an integer', line: 4, severity: 'rejected' },
      { table: 'patient', key: '1', column: 'patient_id', reason: 'duplicate primary key: an earlier row has the same key', line: 5, severity: 'rejected' },
      { table: 'patient', key: '2', column: null, reason: 'record has 3 fields, the header has 2', line: 6, severity: 'rejected' },
    ]);
    expect(JSON.stringify(rejections(results))).not.toMatch(/NoKey|BadKey|Again|Many/);
  });

  it('keeps a field with a stray quote as typed instead of dropping the record', async () => {
    const csv = 'patient_id,first_name\n1,Ann\n2,"Bo"b\n3,5\'10" tall\n';
    const reader = await openExtract({ kind: 'folder', path: await folderWith({ 'patient.csv': csv }) });
    const { results } = await readAll(reader, 'patient');
    expect(rows(results).map((r) => r.row.first_name)).toEqual(['Ann', '"Bo"b', '5\'10" tall']);
    expect(rejections(results)).toEqual([]);
  });

  it('fails a table whose key column is absent, naming table and column', async () => {
    const reader = await openExtract({ kind: 'folder', path: await folderWith({ 'patient.csv': 'id,first_name\n1,Ann\n' }) });
    const { error } = await readAll(reader, 'patient');
    expect(error).toBeInstanceOf(ExtractFormatError);
    expect((error as Error).message).toBe('Dentrix table "patient" has no "patient_id" column: no row can be identified');
  });

  it('throws after the last row when a table has fewer rows than the manifest promises (truncated file)', async () => {
    const manifest = { ...MANIFEST, tables: { patient: { rows: 3 } } };
    const reader = await openExtract({ kind: 'folder', path: await folderWith({ 'patient.csv': 'patient_id\n1\n2\n' }, manifest) });
    const { results, error } = await readAll(reader, 'patient');
    expect(rows(results)).toHaveLength(2);
    expect(error).toBeInstanceOf(TableRowCountError);
    expect((error as Error).message).toBe('Dentrix table "patient" is truncated: the manifest promises 3 rows, 2 were read');
    expect(reader.tableIssues('patient')).toContainEqual(expect.objectContaining({ table: 'patient', severity: 'error' }));
  });

  it('treats a file cut inside a quoted field as truncated', async () => {
    const manifest = { ...MANIFEST, tables: { patient: { rows: 4 } } };
    const csv = 'patient_id,note\n1,ok\n2,ok\n3,"a long note cut off by a failed co';
    const reader = await openExtract({ kind: 'folder', path: await folderWith({ 'patient.csv': csv }, manifest) });
    const { results, error } = await readAll(reader, 'patient');
    expect(rows(results).map((r) => r.key)).toEqual(['1', '2']);
    expect(rejections(results)).toEqual([expect.objectContaining({ reason: 'malformed CSV record (CSV_QUOTE_NOT_CLOSED)' })]);
    expect(error).toBeInstanceOf(TableRowCountError);
  });

  it('refuses to open without a required table, naming it', async () => {
    const dir = await dirs.make();
    await writeExtractFolder(dir, MANIFEST, { provider: PROVIDERS });
    await expect(openExtract({ kind: 'folder', path: dir })).rejects.toThrow(new MissingTableError('patient'));
    await expect(openExtract({ kind: 'folder', path: dir })).rejects.toThrow('Dentrix extract has no "patient" table, which is required');
  });

  it('reads a missing optional table as none, but refuses one the manifest promises rows for', async () => {
    const dir = await dirs.make();
    await writeExtractFolder(dir, MANIFEST, { provider: PROVIDERS, patient: [{ patient_id: 1 }] });
    const reader = await openExtract({ kind: 'folder', path: dir });
    expect(await reader.tables()).toEqual(['provider', 'patient']);
    expect((await readAll(reader, 'appt')).results).toEqual([]);

    const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'));
    manifest.tables.appt = { rows: 10 };
    await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    await expect(openExtract({ kind: 'folder', path: dir })).rejects.toThrow('Dentrix extract has no "appt" table, although the manifest promises 10 rows');
  });

  it('refuses a missing or invalid manifest with a message naming the field', async () => {
    const dir = await dirs.make();
    await writeExtractFolder(dir, { ...MANIFEST, practice: { ...MANIFEST.practice, timezone: 'Mars/Olympus' } }, { provider: PROVIDERS, patient: [] });
    await expect(openExtract({ kind: 'folder', path: dir })).rejects.toThrow('manifest.json: field "practice.timezone" not an IANA time zone');
    await rm(path.join(dir, 'manifest.json'));
    await expect(openExtract({ kind: 'folder', path: dir })).rejects.toThrow(`Dentrix extract folder ${dir} has no manifest.json`);
  });

  it('reads US dates and AM/PM times per the manifest, and Y/N booleans', async () => {
    const dir = await dirs.make();
    await writeExtractFolder(
      dir,
      { ...MANIFEST, date_format: 'us' },
      {
        provider: [{ provider_id: 'DDS1', inactive: 'Y', automodifiedtimestamp: '11/20/2026 06:03:00 PM' }],
        patient: [{ patient_id: 1, birth_date: '7/4/1976', first_visit_date: '02/30/2023' }],
      },
    );
    const reader = await openExtract({ kind: 'folder', path: dir });
    const provider = rows((await readAll(reader, 'provider')).results)[0]!;
    expect(provider.row).toMatchObject({ inactive: true, automodifiedtimestamp: '2026-11-20T18:03:00' });
    const patient = rows((await readAll(reader, 'patient')).results)[0]!;
    expect(patient.row).toMatchObject({ birth_date: '1976-07-04', first_visit_date: null });
    expect(patient.warnings.map((w) => w.column)).toEqual(['first_visit_date']);
  });

  it('resolves document paths inside the extract folder only', () => {
    expect(resolveDocumentFile('/x/extract', 'documents/1.pdf')).toBe('/x/extract/documents/1.pdf');
    expect(() => resolveDocumentFile('/x/extract', '../etc/passwd')).toThrow('document file_path points outside the extract folder');
    expect(() => resolveDocumentFile('/x/extract', '/etc/passwd')).toThrow(ExtractFormatError);
  });
});

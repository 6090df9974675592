import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DENTRIX_ROW_SCHEMAS, openExtract, parseStagedRow } from '../../../src/dentrix';
import { RowBuilder } from '../../../src/dentrix/row-builder';
import { rowContractViolations } from '../../../src/dentrix/schemas';
import { MANIFEST, readAll, rejections, rows, tempDirs } from './helpers';

const dirs = tempDirs();
const ctx = { timezone: 'America/Chicago' };

async function folderWith(files: Record<string, string>): Promise<string> {
  const dir = await dirs.make();
  await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(MANIFEST));
  await writeFile(path.join(dir, 'provider.csv'), 'provider_id,first_name\r\nDDS1,Ana\r\n');
  await writeFile(path.join(dir, 'patient.csv'), 'patient_id\n1\n');
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, name), content);
  return dir;
}

const record = (line: number, ...values: string[]) => ({ values, nonUtf8: null, line });

describe('row contract (zod schemas) on the read path', () => {
  it('sets a value of the right kind that the contract does not allow to null, with table, key, column and reason', async () => {
    const csv = [
      'patient_id,first_name,status,fam_pos,privacy_flags,gender',
      '1,Ann,9,0,8,7', // status 1-4, fam_pos 1-4, privacy_flags a bitmask of 1|2|4; any gender code means "unknown"
      '2,Bea,2,3,6,2',
    ].join('\n');
    const reader = await openExtract({ kind: 'folder', path: await folderWith({ 'patient.csv': `${csv}\n` }) });
    const { results, error } = await readAll(reader, 'patient');
    expect(error).toBeUndefined();
    const [bad, good] = rows(results);
    expect(bad!.row).toMatchObject({ patient_id: 1, first_name: 'Ann', status: null, fam_pos: null, privacy_flags: null, gender: 7 });
    expect(bad!.warnings).toEqual([
      { table: 'patient', key: '1', column: 'status', reason: 'above the maximum of 4: set to null', line: 2, severity: 'warning' },
      { table: 'patient', key: '1', column: 'fam_pos', reason: 'below the minimum of 1: set to null', line: 2, severity: 'warning' },
      { table: 'patient', key: '1', column: 'privacy_flags', reason: 'above the maximum of 7: set to null', line: 2, severity: 'warning' },
    ]);
    expect(good!.row).toMatchObject({ status: 2, fam_pos: 3, privacy_flags: 6 });
    expect(good!.warnings).toEqual([]);
  });

  it('checks code lists and patterns, tolerating case and padding, and never quotes the value', async () => {
    const reader = await openExtract({
      kind: 'folder',
      path: await folderWith({
        'proccode.csv': 'proccode_id,ada_code,description\n1,D0120,Periodic exam\n2, d1110 ,Prophy\n3,X99,Mystery\n4,D01200,Too long\n',
        'ledger.csv': 'ledger_id,entry_type,claim_status,amount\n1,charge,none,10\n2,Patient_Payment, SENT ,-5\n3,refund,lost,-1\n',
      }),
    });
    const proccodes = rows((await readAll(reader, 'proccode')).results);
    expect(proccodes.map((r) => r.row.ada_code)).toEqual(['D0120', ' d1110 ', null, null]);
    expect(proccodes.flatMap((r) => r.warnings)).toEqual([
      { table: 'proccode', key: '3', column: 'ada_code', reason: 'not a CDT code (D + 4 digits): set to null', line: 4, severity: 'warning' },
      { table: 'proccode', key: '4', column: 'ada_code', reason: 'not a CDT code (D + 4 digits): set to null', line: 5, severity: 'warning' },
    ]);
    const ledger = rows((await readAll(reader, 'ledger')).results);
    expect(ledger.map((r) => [r.row.entry_type, r.row.claim_status])).toEqual([
      ['charge', 'none'],
      ['Patient_Payment', ' SENT '],
      [null, null],
    ]);
    const issues = ledger.flatMap((r) => r.warnings);
    expect(issues.map((i) => `${i.table}/${i.key}/${i.column}`)).toEqual(['ledger/3/entry_type', 'ledger/3/claim_status']);
    expect(issues[0]!.reason).toBe(
      "not one of the contract's values (charge, patient_payment, insurance_payment, adjustment, write_off, insurance_estimate): set to null",
    );
    expect(JSON.stringify([...proccodes, ...ledger].flatMap((r) => r.warnings))).not.toMatch(/X99|D01200|refund|lost/);
  });

  it('reports a value that fails coercion once, not again as a contract violation', async () => {
    const reader = await openExtract({
      kind: 'folder',
      path: await folderWith({ 'appt.csv': 'appointment_id,start_hour,start_minute\n1,24,75\n2,23,59\n' }),
    });
    const appts = rows((await readAll(reader, 'appt')).results);
    expect(appts.map((r) => [r.row.start_hour, r.row.start_minute])).toEqual([
      [null, null],
      [23, 59],
    ]);
    expect(appts[0]!.warnings.map((w) => `${w.column}: ${w.reason}`)).toEqual([
      'start_hour: above the maximum of 23: set to null',
      'start_minute: above the maximum of 59: set to null',
    ]);
  });

  it('rejects a row whose key breaks the contract, and does not let it claim the key', async () => {
    const dir = await folderWith({
      'provider.csv': 'provider_id,first_name,provider_type\r\nDDS1,Ana,dentist\r\nHYGIENE1,Bo,hygienist\r\nHYG1,Cy,janitor\r\nHYGIENE1,Di,hygienist\r\n',
    });
    const reader = await openExtract({ kind: 'folder', path: dir });
    const { results } = await readAll(reader, 'provider');
    expect(rows(results).map((r) => [r.key, r.row.provider_type])).toEqual([
      ['DDS1', 'dentist'],
      ['HYG1', null],
    ]);
    expect(rejections(results)).toEqual([
      {
        table: 'provider',
        key: 'HYGIENE1',
        column: 'provider_id',
        reason: 'primary key breaks the contract: longer than 5 characters',
        line: 3,
        severity: 'rejected',
      },
      // The first long key did not claim it: the second is refused for the same reason, not as a duplicate.
      {
        table: 'provider',
        key: 'HYGIENE1',
        column: 'provider_id',
        reason: 'primary key breaks the contract: longer than 5 characters',
        line: 5,
        severity: 'rejected',
      },
    ]);
    expect(rows(results)[1]!.warnings.map((w) => w.column)).toEqual(['provider_type']);
  });

  it('validates rows built from SQL-mirror text the same way (the shared row builder)', () => {
    const builder = new RowBuilder('document', record(0, 'document_id', 'doc_type', 'sha256', 'size_bytes'), ctx);
    const ok = builder.build(record(1, '1', 'XRAY', 'ab'.repeat(32), '10'));
    const bad = builder.build(record(2, '2', 'hologram', 'not-a-digest', '10'));
    expect(ok).toMatchObject({ kind: 'row', row: { doc_type: 'XRAY', sha256: 'ab'.repeat(32) }, warnings: [] });
    expect(bad).toMatchObject({ kind: 'row', row: { doc_type: null, sha256: null, size_bytes: 10 } });
    expect(bad.kind === 'row' && bad.warnings.map((w) => w.column)).toEqual(['doc_type', 'sha256']);
  });

  it('describes violations per column, and a row without the contract shape as a whole', () => {
    expect(rowContractViolations('recalltype', { recall_type_id: 1, name: 'Prophy', description: null, interval_months: 6, interval_days: 1 })).toBeNull();
    expect(rowContractViolations('recalltype', { recall_type_id: 1, name: 'Prophy', description: null, interval_months: -6, interval_days: 1.5 })).toEqual([
      { column: 'interval_months', reason: 'below the minimum of 0' },
      { column: 'interval_days', reason: 'not an integer' },
    ]);
    const withStranger = rowContractViolations('appt_status', { status_id: 1, description: 'Scheduled', surprise: 'x' });
    expect(withStranger).toEqual([{ column: null, reason: 'columns outside the contract: surprise' }]);
    expect(() => parseStagedRow('txcase', { ...emptyTxcase(), status: 'Abandoned' })).toThrow(/status/);
    expect(parseStagedRow('txcase', { ...emptyTxcase(), status: 'in progress' }).status).toBe('in progress');
    expect(DENTRIX_ROW_SCHEMAS.txcase.safeParse({ ...emptyTxcase(), status: 'Abandoned' }, { reportInput: false }).success).toBe(false);
  });
});

function emptyTxcase() {
  return {
    txcase_id: 1,
    patient_id: null,
    description: null,
    status: null,
    provider_id: null,
    created_date: null,
    accepted_date: null,
    completed_date: null,
    automodifiedtimestamp: null,
  };
}

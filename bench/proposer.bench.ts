/**
 * How well the map proposer places unfamiliar column names. A generated practice (demo profile) is rewritten with
 * its columns renamed the way other exports name them (`first_name` → `fname`, `birth_date` → `DOB`, some opaque
 * like `usr_fld_3`), staged into PostgreSQL, profiled, and proposed twice: with value profiling and with names
 * alone. For each renamed column the right answer is where the default map sends the original column; printed as
 * precision (right / placed somewhere that moves data) and recall (right / renamed columns), as ratios. Prints;
 * asserts nothing.
 *
 *   npx tsx bench/proposer.bench.ts
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type DentrixTable, openExtract, stageExtract } from '../src/dentrix';
import { generatePractice } from '@dentrix-pipedrive/practice-generator';
import { defaultFieldMap, type FieldMap } from '../src/mapping';
import { contractColumnUse, destinationSignature } from '../src/review/contract-usage';
import { profileStagedColumns } from '../src/review/profile';
import { proposeMap, type Proposal } from '../src/review/proposer';
import { createPool, dropDatabase, ensureDatabase, migrateStore } from '../src/store/db';
import { registerRun } from '../src/store/runs';

const SEED = 42;
const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Original contract column → the name another export gives it. Primary keys keep their names (readers need them). */
const RENAMES: Partial<Record<DentrixTable, Record<string, string>>> = {
  provider: { email: 'prov_email', npi: 'national_provider_no', specialty: 'spec', provider_type: 'prov_kind' },
  patient: {
    first_name: 'fname',
    last_name: 'lname',
    birth_date: 'DOB',
    mobile_phone: 'cell_no',
    home_phone: 'HomePh',
    work_phone: 'wk_tel',
    zipcode: 'postal',
    address_line1: 'addr1',
    address_line2: 'addr2',
    city: 'town',
    state: 'st',
    email: 'EmailAddr',
    preferred_name: 'nickname',
    chart_num: 'chart_no',
    gender: 'sex',
    status: 'pt_stat',
    last_visit_date: 'lastvst_dt',
    first_visit_date: 'usr_fld_7',
    privacy_flags: 'usr_fld_3',
    ssn: 'soc_sec_no',
    pri_provider_id: 'prim_prov',
    employer_id: 'emp_ref',
  },
  employer: { employer_name: 'company', phone: 'emp_phone' },
  referral: { referral_type: 'src_type', email: 'contact_email' },
  inscarrier: { ins_co_name: 'carrier_name', group_number: 'grp_no', payor_id: 'payer', annual_max: 'yearly_max_amt', phone: 'claims_phone' },
  insured: { subscriber_id_num: 'member_id', effective_date: 'eff_dt' },
  appt: { appointment_date: 'appt_dt', length_minutes: 'duration_min', reason: 'visit_reason', note: 'appt_memo', amount: 'sched_amt', appt_type: 'usr_fld_1' },
  recall: { due_date: 'due_dt', prior_date: 'last_done' },
  proccode: { ada_code: 'cdt', default_fee: 'std_fee', abbrev_description: 'short_desc', category: 'proc_cat' },
  txcase: { description: 'plan_desc', accepted_date: 'accept_dt' },
  procedure: { tooth: 'tooth_num', surfaces: 'surf', fee: 'charge_amt', ins_estimate: 'ins_est' },
  ledger: { amount: 'amt', entry_type: 'trans_type', entry_date: 'posted_dt' },
  medical_alert: { description: 'alert_text', critical: 'is_critical' },
  clinical_note: { note_text: 'narrative', note_date: 'written_at' },
  document: { file_path: 'path', doc_type: 'usr_fld_9' },
};

interface Score {
  renamed: number;
  placed: number;
  right: number;
  misses: string[];
}

function score(proposal: Proposal, map: FieldMap): Score {
  const result: Score = { renamed: 0, placed: 0, right: 0, misses: [] };
  for (const [table, renames] of Object.entries(RENAMES) as [DentrixTable, Record<string, string>][]) {
    for (const [original, renamed] of Object.entries(renames)) {
      result.renamed += 1;
      const row = proposal.find((r) => r.table === table && r.column === renamed.toLowerCase());
      if (!row) throw new Error(`no proposal for ${table}.${renamed}`);
      if (row.destination.kind === 'not_migrated') {
        result.misses.push(`${table}.${renamed} (${original}) → not migrated`);
        continue;
      }
      result.placed += 1;
      const truth = destinationSignature(contractColumnUse(map, table, original));
      const proposed = row.destination.kind === 'contract' ? destinationSignature(contractColumnUse(map, table, row.destination.column)) : null;
      if (proposed === truth) result.right += 1;
      else {
        const what = row.destination.kind === 'contract' ? row.destination.column : `new ${row.destination.kind} field`;
        result.misses.push(`${table}.${renamed} (${original}) → ${what}`);
      }
    }
  }
  return result;
}

/** A copy of the extract whose CSV headers use the renamed columns. */
function renameExtract(source: string, target: string): void {
  fs.mkdirSync(target, { recursive: true });
  for (const entry of fs.readdirSync(source)) {
    const from = path.join(source, entry);
    const to = path.join(target, entry);
    const table = entry.replace(/\.csv$/u, '') as DentrixTable;
    if (!entry.endsWith('.csv')) {
      fs.cpSync(from, to, { recursive: true });
      continue;
    }
    const text = fs.readFileSync(from, 'utf8');
    const end = text.indexOf('\n');
    const header = text.slice(0, end).replace(/\r$/u, '');
    const renames = RENAMES[table] ?? {};
    const renamedHeader = header
      .split(',')
      .map((column) => renames[column] ?? column)
      .join(',');
    fs.writeFileSync(to, `${renamedHeader}\r\n${text.slice(end + 1)}`);
  }
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dtx2pd-proposer-bench-'));
  const original = path.join(work, 'practice');
  const renamed = path.join(work, 'renamed');
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/dtx_bench_proposer_${process.pid}`;
  await ensureDatabase(dbUrl.toString());
  await migrateStore(dbUrl.toString());
  const pool = createPool(dbUrl.toString(), { max: 2 });
  try {
    await generatePractice({ profile: 'demo', seed: SEED, outDir: original });
    renameExtract(original, renamed);
    const migrationId = 'proposer-bench';
    await registerRun(pool, { migrationId, source: { kind: 'folder', path: renamed }, pipedriveBaseUrl: 'http://127.0.0.1:1' });
    const reader = await openExtract({ kind: 'folder', path: renamed });
    try {
      // Renamed columns reach staging as practice-specific columns; their contract columns are null.
      await stageExtract(pool, migrationId, reader);
    } finally {
      await reader.close();
    }
    const baseMap = defaultFieldMap();
    const staged = await profileStagedColumns(pool, migrationId, { sampleRows: 500 });
    const withProfiles = score(proposeMap({ ...staged, baseMap }), baseMap);
    const namesOnly = score(proposeMap({ columnsByTable: staged.columnsByTable, profiles: {}, baseMap }), baseMap);

    const ratio = (n: number, d: number) => (d === 0 ? 'n/a' : (n / d).toFixed(3));
    console.log(`Proposer on the demo practice (seed ${SEED}) with ${withProfiles.renamed} renamed columns across ${Object.keys(RENAMES).length} tables`);
    console.log('destination right = the default map sends the original column to the same rules / engine use\n');
    console.log('                         precision   recall    placed   right');
    for (const [label, s] of [
      ['names + value profiles', withProfiles],
      ['names only', namesOnly],
    ] as const) {
      console.log(
        `${label.padEnd(25)}${ratio(s.right, s.placed).padStart(9)}${ratio(s.right, s.renamed).padStart(9)}${String(s.placed).padStart(9)}${String(s.right).padStart(8)}`,
      );
    }
    for (const [label, s] of [
      ['names + value profiles', withProfiles],
      ['names only', namesOnly],
    ] as const) {
      console.log(`\nmisses (${label}):`);
      for (const miss of s.misses) console.log(`  ${miss}`);
    }
  } finally {
    await pool.end();
    await dropDatabase(dbUrl.toString());
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

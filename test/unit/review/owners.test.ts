import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { defaultFieldMap } from '../../../src/mapping';
import { ownersCsv, readOwnersSheet } from '../../../src/review/owners-sheet';
import {
  UNMATCHED_LISTED,
  matchOwners,
  ownerAssignmentsOf,
  ownerRuleSources,
  ownersSummary,
  parseOwnerCell,
  validateOwnerRows,
  type OwnerProvider,
  type OwnerUser,
  type OwnersReport,
} from '../../../src/review/owners';
import { describeOwners } from '../../../src/workflows/details';

const USERS: OwnerUser[] = [
  { id: 1, name: 'Office Admin', email: 'admin@practice.example' },
  { id: 12, name: 'Ada Lovelace', email: 'Ada@Practice.example' },
  { id: 15, name: 'Grace Hopper', email: 'grace@practice.example' },
];
const provider = (providerId: string, email: string | null): OwnerProvider => ({ providerId, name: `Dr ${providerId}`, email, inactive: false });
const PROVIDERS = [provider('DDS1', ' ada@practice.EXAMPLE '), provider('DDS2', 'nobody@practice.example'), provider('HYG1', null)];
const RECORDS = new Map([
  ['DDS1', 300],
  ['DDS2', 120],
  ['HYG1', 40],
]);

describe('providers → Pipedrive users', () => {
  it('matches by e-mail (case and spaces ignored); the rest have no user and keep their record counts', () => {
    const matches = matchOwners(PROVIDERS, USERS, [], RECORDS);
    expect(matches.map((m) => [m.providerId, m.userId, m.matchedBy, m.records])).toEqual([
      ['DDS1', 12, 'email', 300],
      ['DDS2', null, null, 120],
      ['HYG1', null, null, 40],
    ]);
  });

  it("an assignment from the workbook wins over the e-mail match; one naming a user the account no longer has doesn't count", () => {
    const matches = matchOwners(
      PROVIDERS,
      USERS,
      [
        { providerId: 'DDS1', userId: 15 },
        { providerId: 'DDS2', userId: 15 },
        { providerId: 'HYG1', userId: 99 },
      ],
      RECORDS,
    );
    expect(matches.map((m) => [m.providerId, m.userId, m.matchedBy])).toEqual([
      ['DDS1', 15, 'assignment'],
      ['DDS2', 15, 'assignment'],
      ['HYG1', null, null],
    ]);
  });

  it('summarises for the workflow with ids and counts only: unmatched providers by records, the fallback owner’s total', () => {
    const summary = ownersSummary(matchOwners(PROVIDERS, USERS, [], RECORDS), 1, 7);
    expect(summary).toEqual({
      providers: 3,
      matched: 1,
      assigned: 0,
      unmatchedCount: 2,
      unmatched: [
        { providerId: 'DDS2', records: 120 },
        { providerId: 'HYG1', records: 40 },
      ],
      recordsOnFallback: 167,
      fallbackOwnerId: 1,
    });
    expect(JSON.stringify(summary)).not.toMatch(/Dr |@/u);

    const many = Array.from({ length: UNMATCHED_LISTED + 5 }, (_, i) => provider(`P${i}`, null));
    const big = ownersSummary(matchOwners(many, USERS, [], new Map()), 1, 0);
    expect(big.unmatchedCount).toBe(UNMATCHED_LISTED + 5);
    expect(big.unmatched).toHaveLength(UNMATCHED_LISTED);
    expect(describeOwners(big)).toMatch(/, and 5 more\)/u);
  });

  it('describes the owners as a warning when records fall back, and plainly when none do', () => {
    const warning = describeOwners(ownersSummary(matchOwners(PROVIDERS, USERS, [{ providerId: 'HYG1', userId: 15 }], RECORDS), 1, 0));
    expect(warning).toBe(
      '1 of 3 providers matched to a Pipedrive user by e-mail, 1 assigned in the workbook. WARNING: 1 provider(s) have no Pipedrive user ' +
        '(records each would own: DDS2: 120); 120 record(s) would be owned by the fallback owner (user 1). ' +
        "Assign users in the mapping workbook's Owners sheet (`map export`, `map import`), or approve to accept the fallback owner",
    );
    const all = ownersSummary(matchOwners([PROVIDERS[0]!], USERS, [], RECORDS), 1, 0);
    expect(describeOwners(all)).toBe('1 of 1 providers matched to a Pipedrive user by e-mail; no record falls back to the fallback owner');
  });
});

describe('the Owners sheet’s assignments', () => {
  it('takes a user id or an e-mail (any case); empty is no assignment', () => {
    expect(parseOwnerCell(' 15 ', USERS)).toEqual({ userId: 15 });
    expect(parseOwnerCell('ADA@practice.example', USERS)).toEqual({ userId: 12 });
    expect(parseOwnerCell('  ', USERS)).toEqual({ userId: null });
    expect(parseOwnerCell('99', USERS)).toEqual({ error: 'no active Pipedrive user has id 99' });
    expect(parseOwnerCell('ghost@practice.example', USERS)).toEqual({ error: 'no active Pipedrive user has the e-mail "ghost@practice.example"' });
    expect(parseOwnerCell('Grace', USERS)).toEqual({ error: '"Grace" is neither a Pipedrive user id nor an e-mail' });
  });

  it('validates every row and names the row and provider of each problem', () => {
    const { assignments, errors } = validateOwnerRows(
      [
        { row: 2, providerId: 'DDS1', assign: '' },
        { row: 3, providerId: 'DDS2', assign: 'grace@practice.example' },
        { row: 4, providerId: 'HYG1', assign: 'ghost@practice.example' },
        { row: 5, providerId: 'DDS9', assign: '15' },
        { row: 6, providerId: 'DDS2', assign: '1' },
        { row: 7, providerId: '', assign: '1' },
      ],
      ['DDS1', 'DDS2', 'HYG1'],
      USERS,
    );
    expect(assignments).toEqual([{ providerId: 'DDS2', userId: 15 }]);
    expect(errors).toEqual([
      'Owners row 4 (provider HYG1): assign_user: no active Pipedrive user has the e-mail "ghost@practice.example"',
      'Owners row 5 (provider DDS9): no such provider in the staged extract',
      'Owners row 6 (provider DDS2): the provider is listed twice',
      'Owners row 7: provider_id is empty',
    ]);
  });

  it('reads the assignments stored with a map version, ignoring anything malformed', () => {
    expect(
      ownerAssignmentsOf({
        owners: {
          assign: [
            { providerId: 'DDS2', userId: 15 },
            { providerId: 3, userId: 'x' },
          ],
        },
      }),
    ).toEqual([{ providerId: 'DDS2', userId: 15 }]);
    expect(ownerAssignmentsOf({})).toEqual([]);
    expect(ownerAssignmentsOf(undefined)).toEqual([]);
  });
});

describe('the Owners sheet as a CSV file of its own', () => {
  it('has the XLSX sheet’s columns and rows, a name that looks like a formula defused; an edited assign_user reads back by row; another sheet’s CSV is not it', async () => {
    const providers = [...PROVIDERS, { ...provider('DDS3', null), name: '=HYPERLINK("http://x")' }];
    const records = new Map([...RECORDS, ['DDS3', 7]]);
    const report: OwnersReport = {
      migrationId: 'm',
      fallbackOwnerId: 1,
      users: USERS,
      providers: matchOwners(providers, USERS, [], records),
      recordsWithoutProvider: 3,
    };
    const csv: string[][] = parse(ownersCsv({ report, assignments: [{ providerId: 'HYG1', userId: 15 }] }), { bom: true });
    expect(csv[0]).toEqual(['provider_id', 'provider_name', 'provider_email', 'inactive', 'records', 'pipedrive_user', 'matched_by', 'assign_user']);
    expect(csv.slice(1).map((r) => [r[0], r[1], r[4], r[6], r[7]])).toEqual([
      ['DDS1', 'Dr DDS1', '300', 'e-mail', ''],
      ['DDS2', 'Dr DDS2', '120', 'none', ''],
      ['HYG1', 'Dr HYG1', '40', 'none', 'grace@practice.example'],
      ['DDS3', `'=HYPERLINK("http://x")`, '7', 'none', ''],
    ]);
    expect(csv[2]![5]).toBe('none: the fallback owner, Office Admin <admin@practice.example> (id 1)');

    const dir = await mkdtemp(path.join(tmpdir(), 'owners-csv-'));
    try {
      const edited = path.join(dir, 'edited owners.csv');
      csv[2]![7] = '12';
      await writeFile(edited, stringify(csv));
      expect(await readOwnersSheet(edited)).toEqual({
        rows: [
          { row: 2, providerId: 'DDS1', assign: '' },
          { row: 3, providerId: 'DDS2', assign: '12' },
          { row: 4, providerId: 'HYG1', assign: 'grace@practice.example' },
          { row: 5, providerId: 'DDS3', assign: '' },
        ],
      });
      const mappingCsv = path.join(dir, 'mapping.csv');
      await writeFile(mappingCsv, 'rule_id,destination_field,decision\npatient.name,name,accept\n');
      expect(await readOwnersSheet(mappingCsv)).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("the map's owner rules", () => {
  it('are the provider references of every record kind a provider owns, each with the rows it applies to', () => {
    const map = defaultFieldMap();
    const sources = ownerRuleSources(map);
    expect(sources.map((s) => [s.ruleId, s.plan.table, s.column]).sort()).toEqual(
      [
        ['appt.owner', 'appt', 'provider_id'],
        ['household.owner', 'patient', 'pri_provider_id'],
        ['newpatient.owner', 'appt', 'provider_id'],
        ['patient.owner', 'patient', 'pri_provider_id'],
        ['recall.owner', 'recall', 'provider_id'],
        ['txcase.owner', 'txcase', 'provider_id'],
      ].sort(),
    );
    // Households are one per guarantor, new-patient persons only bookings without a patient: their plans' filters.
    expect(sources.find((s) => s.ruleId === 'household.owner')!.plan.filter).toEqual([{ column: 'guar_id', op: 'equals_column', other: 'patient_id' }]);
    const skipping = { ...map, options: { ...map.options, newPatientBooking: 'skip' as const } };
    expect(ownerRuleSources(skipping).map((s) => s.ruleId)).not.toContain('newpatient.owner');
  });
});

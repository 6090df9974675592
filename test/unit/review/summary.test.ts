import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { contractColumns } from '../../../src/dentrix';
import { defaultFieldMap } from '../../../src/mapping';
import { proposalToFieldMap, proposeMap, CONFIDENT } from '../../../src/review/proposer';
import { formatProposalSummary, summarizeProposal } from '../../../src/review/summary';
import { profileValues } from '../../../src/review/value-profile';
import { exportWorkbook, readWorkbookRows } from '../../../src/review/workbook';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'review-summary-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('proposed map summary', () => {
  it('counts fields per Pipedrive object from the exported workbook and lists only the unsure proposals', async () => {
    const base = defaultFieldMap();
    const proposal = proposeMap({
      columnsByTable: { patient: [...contractColumns('patient'), 'loyalty_tier', 'zz_col_7'] },
      profiles: { patient: { loyalty_tier: profileValues(['Gold', 'Silver', 'Gold']), zz_col_7: profileValues(['a1', 'b2', 'c3']) } },
      baseMap: base,
    });
    const map = proposalToFieldMap(base, proposal);
    const { xlsxPath, csvPath } = await exportWorkbook({ map, proposal, phi: null }, dir, 'summary');

    const fromXlsx = summarizeProposal(await readWorkbookRows(xlsxPath));
    expect(summarizeProposal(await readWorkbookRows(csvPath))).toEqual(fromXlsx);

    const person = fromXlsx.entities.find((e) => e.entity === 'person')!;
    expect(person.custom).toBeGreaterThan(5);
    expect(person.phi).toBeGreaterThan(0);
    expect(fromXlsx.entities.map((e) => e.entity)).toEqual(expect.arrayContaining(['activity', 'deal', 'organization', 'product']));
    expect(fromXlsx.neverMoves).toEqual(expect.arrayContaining([expect.stringMatching(/ssn/u)]));
    expect(fromXlsx.phiRules.map((r) => r.ruleId)).toContain('patient.birth_date');
    expect(fromXlsx.phiRules.every((r) => r.decision === 'exclude')).toBe(true);

    // An opaque practice-specific column is unsure; the contract's own columns are not.
    expect(fromXlsx.unsure.map((u) => u.source)).toContain('patient.zz_col_7');
    expect(fromXlsx.unsure.some((u) => u.source.startsWith('patient.email') || u.source.startsWith('patient.first_name'))).toBe(false);
    expect(fromXlsx.unsure.every((u) => u.confidence < CONFIDENT)).toBe(true);
    const opaque = proposal.find((r) => r.column === 'zz_col_7')!;
    expect(opaque.confidence).toBeLessThan(CONFIDENT);
    expect(fromXlsx.unsure.map((u) => u.confidence)).toEqual([...fromXlsx.unsure.map((u) => u.confidence)].sort((a, b) => a - b));

    const text = formatProposalSummary(fromXlsx, 2).join('\n');
    expect(text).toMatch(/^person +\d+ fields \(\d+ standard, \d+ custom, \d+ PHI\)$/mu);
    expect(text).toContain('excluded unless the approval includes them by rule id');
  });
});

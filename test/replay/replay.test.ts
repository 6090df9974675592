import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { workflowBundle } from '../support/harness';
import { readCsvTable, type CsvTable } from '../support/extract-edit';
import { haystacksOfJson, needlesFrom, search } from '../support/phi-needles';
import { generatePractice } from '../../src/dentrix/generator';
import { HISTORIES_DIR, RECORDED_PRACTICE } from './recorded-practice';

jest.setTimeout(5 * 60 * 1000);

const files = fs.existsSync(HISTORIES_DIR) ? fs.readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json')).sort() : [];
/** `<workflow type>--<workflow id>--<run>.json`, as scripts/record-histories.ts names them. */
const parts = (file: string) => {
  const [type, workflowId] = file.replace(/\.json$/, '').split('--');
  return { type: type!, workflowId: workflowId! };
};

/**
 * Workflow code must stay deterministic for every history a running migration may already have: a change that
 * reorders commands breaks replay of in-flight practices on deploy. These histories were recorded from a whole
 * migration and its rollback (scripts/record-histories.ts); today's workflow bundle must replay each one.
 */
describe('recorded workflow histories', () => {
  it('cover every workflow type the product runs', () => {
    expect(new Set(files.map((f) => parts(f).type))).toEqual(new Set(['migrationWorkflow', 'loadObjectWorkflow', 'deltaWorkflow', 'rollbackWorkflow']));
  });

  it('replay against today’s workflow code without a nondeterminism error', async () => {
    const histories = files.map((file) => ({
      workflowId: parts(file).workflowId,
      history: historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, file), 'utf8'))),
    }));
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
      replayed++;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(files.length);
  });

  it('hold none of the recorded practice’s patient data', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-phi-'));
    try {
      await generatePractice({ ...RECORDED_PRACTICE, outDir: dir });
      const tables: Record<string, CsvTable> = {};
      for (const t of ['patient', 'appt', 'medical_alert', 'insured', 'clinical_note', 'provider'] as const) tables[t] = await readCsvTable(dir, t);
      const providerNames = new Set(tables.provider!.rows.flatMap((p) => [p.first_name, p.last_name]).map((n) => (n ?? '').toLowerCase()));
      const { needles } = needlesFrom(tables, providerNames);
      expect(needles.length).toBeGreaterThan(50);
      const hits = files.flatMap((file) => search(haystacksOfJson(file, fs.readFileSync(path.join(HISTORIES_DIR, file), 'utf8')), needles));
      expect(hits).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

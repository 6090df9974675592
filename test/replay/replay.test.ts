import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { workflowBundle } from '../support/harness';
import { readCsvTable, type CsvTable } from '../support/extract-edit';
import { haystacksOfJson, needlesFrom, search } from '../support/phi-needles';
import { generatePractice } from '@dentrix-pipedrive/practice-generator';
import { HISTORIES_DIR, RECORDED_PRACTICE } from './recorded-practice';

jest.setTimeout(5 * 60 * 1000);

/** Every recorded history, `<generation>/<workflow type>--<workflow id>--<run>.json` (scripts/record-histories.ts). */
const files = fs.existsSync(HISTORIES_DIR)
  ? fs
      .readdirSync(HISTORIES_DIR, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.json'))
      .sort()
  : [];
const parts = (file: string) => {
  const [type, workflowId] = path
    .basename(file)
    .replace(/\.json$/, '')
    .split('--');
  return { type: type!, workflowId: workflowId!, generation: path.dirname(file) };
};
const historyText = (file: string) => fs.readFileSync(path.join(HISTORIES_DIR, file), 'utf8');
/** The patch markers of a history (their ids are base64 JSON payloads). */
const patchIds = (history: string) =>
  [...history.matchAll(/"markerName": "core_patch"[\s\S]*?"data": "([^"]+)"/gu)].map(
    (m) => (JSON.parse(Buffer.from(m[1]!, 'base64').toString('utf8')) as { id: string }).id,
  );

/**
 * Workflow code must stay deterministic for every history a running migration may already have: a change that
 * reorders commands breaks replay of in-flight practices on deploy. These histories were recorded from a whole
 * migration and its rollback (scripts/record-histories.ts); today's workflow bundle must replay each one.
 */
describe('recorded workflow histories', () => {
  it('cover every workflow type the product runs', () => {
    expect(new Set(files.map((f) => parts(f).type))).toEqual(
      new Set(['preflightWorkflow', 'migrationWorkflow', 'loadObjectWorkflow', 'deltaWorkflow', 'rollbackWorkflow']),
    );
  });

  it('cover the paths a running migration may be on: the sample-reject loop, continue-as-new, a refused early decision', () => {
    const newest = [...new Set(files.map((f) => parts(f).generation))].sort().at(-1)!;
    const inNewest = files.filter((f) => parts(f).generation === newest);
    // The sample rejected once: its rollback child, and SAMPLE_REVIEW entered twice by the migration.
    expect(inNewest.some((f) => parts(f).type === 'rollbackWorkflow' && parts(f).workflowId.includes('-rollback-sample-'))).toBe(true);
    const migration = historyText(inNewest.find((f) => parts(f).type === 'migrationWorkflow')!);
    expect(migration).toContain('approveGate'); // a decision by Update
    // The patch markers: a refused early signal's, the purge at DONE's, the load waves'.
    const patches = patchIds(migration);
    expect(patches).toEqual(expect.arrayContaining(['gate-decisions-only-when-open', 'purge-staged-phi-at-done', 'object-types-load-in-waves']));
    // Load children run their batches in a sliding window, and continue as new from it.
    const loads = inNewest.filter((f) => parts(f).type === 'loadObjectWorkflow').map(historyText);
    expect(
      loads.some((text) => text.includes('EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW') && patchIds(text).includes('batches-in-a-sliding-window')),
    ).toBe(true);
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
      const hits = files.flatMap((file) => search(haystacksOfJson(file, historyText(file)), needles));
      expect(hits).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

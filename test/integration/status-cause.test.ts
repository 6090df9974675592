import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { COMPACT_PATIENTS, usePracticeWorld } from '../support/practice';
import { processEnv } from '../support/harness';
import { readCsvTable, writeCsvTable } from '../support/extract-edit';
import { waitFor } from '../support/wait';
import { parseMigrationOptions } from '../../src/config';
import { startMigration } from '../../src/cli/commands';
import { migrationWorkflowId } from '../../src/runtime/temporal';
import { entryPoint, REPO } from '../support/entry-point';

jest.setTimeout(5 * 60 * 1000);

const OPTIONS = parseMigrationOptions({ sampleSize: 20, allowSmallSample: true, batchSize: 50, concurrency: 2, skipDelta: true });

/**
 * `status` on a migration that failed on bad input names the real cause (the table, the column, the row counts) and
 * its failure type, where the workflow itself only knows "Activity task failed".
 */
describe('status of a migration that failed on a bad extract', () => {
  const world = usePracticeWorld({ patients: COMPACT_PATIENTS });

  /** A copy of the world's extract, broken by `breakIt`, that a migration is started on; resolves once it failed. */
  async function failedMigration(migrationId: string, breakIt: (dir: string) => Promise<void>): Promise<void> {
    const dir = path.join(world.h.dataDir, `extract-${migrationId}`);
    fs.cpSync(world.extract, dir, { recursive: true });
    await breakIt(dir);
    await startMigration(world.h.env, world.h.db.pool, world.h.client, {
      migrationId,
      source: { kind: 'folder', path: dir },
      pipedriveBaseUrl: world.sandbox.url,
      options: OPTIONS,
    });
    const handle = world.h.client.workflow.getHandle(migrationWorkflowId(migrationId));
    await waitFor(`${migrationId} to fail`, async () => (await handle.describe()).status.name === 'FAILED', { timeoutMs: 120_000, intervalMs: 300 });
  }

  /** `npm run starter -- status -m <id> [--json]`, the real CLI, against this file's Temporal, store and task queue. */
  async function status(migrationId: string, json = false): Promise<string> {
    const env = world.h.env;
    const { stdout } = await promisify(execFile)(...entryPoint('src/starter.ts', 'status', '-m', migrationId, ...(json ? ['--json'] : [])), {
      cwd: REPO,
      env: processEnv(env, {
        DATA_DIR: world.h.dataDir,
        LOG_LEVEL: 'warn',
      }),
      timeout: 60_000,
    });
    return stdout;
  }

  it('names the missing key column and its table, with the failure type and the activity', async () => {
    await failedMigration('cause-missing-column', async (dir) => {
      const patients = await readCsvTable(dir, 'patient');
      patients.columns = patients.columns.filter((c) => c !== 'patient_id');
      await writeCsvTable(dir, 'patient', patients);
    });

    const text = await status('cause-missing-column');
    expect(text).toContain('phase FAILED');
    expect(text).toContain(
      'error: Dentrix extract is incomplete: patient (Dentrix table "patient" has no "patient_id" column: no row can be identified) ' +
        '(BadSource: DentrixExtractIncomplete, permanent; in activity extractSource)',
    );
    expect(text).not.toContain('Activity task failed');

    const json = JSON.parse(await status('cause-missing-column', true)) as { status?: { phase: string }; error?: Record<string, unknown> };
    expect(json.error).toMatchObject({
      state: 'failed',
      type: 'BadSource',
      detail: 'DentrixExtractIncomplete',
      permanent: true,
      activity: 'extractSource',
    });
    expect(json.error!.message).toContain('Dentrix table "patient" has no "patient_id" column');
  });

  it('names the truncated table and the row counts of a CSV cut short by a failed copy', async () => {
    let promised = 0;
    await failedMigration('cause-truncated', async (dir) => {
      const file = path.join(dir, 'appt.csv');
      const bytes = fs.readFileSync(file);
      fs.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length * 0.6))); // cut mid-record, manifest untouched
      promised = (JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { tables: { appt: { rows: number } } }).tables.appt.rows;
    });

    const text = await status('cause-truncated');
    expect(text).toMatch(
      new RegExp(
        `error: Dentrix extract is incomplete: appt \\(Dentrix table "appt" is truncated: the manifest promises ${promised} rows, \\d+ were read\\) ` +
          '\\(BadSource: DentrixExtractIncomplete, permanent; in activity extractSource\\)',
      ),
    );
    expect(text).not.toContain('Activity task failed');
    const json = JSON.parse(await status('cause-truncated', true)) as { error?: { message: string; type: string; activity?: string } };
    expect(json.error).toMatchObject({ type: 'BadSource', activity: 'extractSource' });
    expect(json.error!.message).toContain('Dentrix table "appt" is truncated');
  });
});

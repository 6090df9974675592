/**
 * Records the workflow histories the replay test replays (test/replay/histories/): one whole migration of a small
 * generated practice (gates approved by signal, a short delta window with a cutover) and its rollback after DONE,
 * on a throw-away dev server, database and sandbox. Run it when a workflow change is meant to be incompatible
 * (and patched) or to add a new shape of history: `npx tsx scripts/record-histories.ts`.
 *
 * The histories must hold no patient data; the replay test checks them against the practice they came from.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { execFileSync } from 'node:child_process';
import { createHarness } from '../test/support/harness';
import { sandboxFor } from '../test/support/practice';
import { RECORDED_PRACTICE, HISTORIES_DIR } from '../test/replay/recorded-practice';
import { parseMigrationOptions } from '../src/config';
import { requestRollback, startMigration } from '../src/cli/commands';
import { driveMigration } from '../src/cli/drive';
import { generatePractice } from '../src/dentrix/generator';
import { assertTemporalCli } from '../src/devserver/dev-server';
import { ALL_SEARCH_ATTRIBUTES } from '../src/workflows/search-attributes';

async function main(): Promise<void> {
  const server = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: assertTemporalCli() }, searchAttributes: ALL_SEARCH_ATTRIBUTES, ip: '127.0.0.1' },
  });
  const h = await createHarness({ TEMPORAL_ADDRESS: server.address });
  const extract = path.join(h.dataDir, 'practice');
  await generatePractice({ ...RECORDED_PRACTICE, outDir: extract });
  const sandbox = await sandboxFor(extract);
  try {
    await h.startWorker();
    const migrationId = 'recorded';
    await startMigration(h.env, h.db.pool, h.client, {
      migrationId,
      source: { kind: 'folder', path: extract },
      pipedriveBaseUrl: sandbox.url,
      options: parseMigrationOptions({ sampleSize: 10, allowSmallSample: true, batchSize: 10, concurrency: 2, deltaWindowSeconds: 30, deltaPollSeconds: 1 }),
    });
    const { status } = await driveMigration(h.client, migrationId, { by: 'recorder', includeAllPhi: true, minSampleAccuracy: 99, cutoverAfterPolls: 2 });
    if (status.phase !== 'DONE') throw new Error(`the recorded migration ended in ${status.phase}`);
    const { workflowId } = await requestRollback(h.env, h.client, migrationId, { by: 'recorder', reason: 'recording' });
    await h.client.workflow.getHandle(workflowId).result();

    fs.rmSync(HISTORIES_DIR, { recursive: true, force: true });
    fs.mkdirSync(HISTORIES_DIR, { recursive: true });
    let count = 0;
    for await (const info of h.client.workflow.list({ query: `TaskQueue = '${h.taskQueue}'` })) {
      // The CLI writes the canonical proto3 JSON that `temporal workflow show` users (and historyFromJSON) know.
      const json = execFileSync(
        assertTemporalCli(),
        ['workflow', 'show', '--address', server.address, '--workflow-id', info.workflowId, '--run-id', info.runId, '--output', 'json'],
        { maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
      );
      const file = path.join(HISTORIES_DIR, `${info.type}--${info.workflowId}--${info.runId}.json`);
      fs.writeFileSync(file, json.endsWith('\n') ? json : `${json}\n`);
      count++;
    }
    console.log(`recorded ${count} histories into ${path.relative(process.cwd(), HISTORIES_DIR)}`);
  } finally {
    await h.close();
    await sandbox.close();
    await server.teardown();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

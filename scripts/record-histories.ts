/**
 * Records workflow histories for the replay test (test/replay/histories/<generation>/): one whole migration of a small
 * generated practice and its rollback after DONE, on a throw-away dev server, database and sandbox. The migration
 * takes every path a running migration may be on: a gate decision sent before its gate opened (refused), the sample
 * rejected once and rolled back (the MAPPING_REVIEW ↔ SAMPLE_REVIEW loop), approvals by Update, load children that
 * continue as new (the server suggests it after a few events), a delta window ended by cutover, the purge at DONE.
 *
 * Each generation stays: the histories of older workflow code are what in-flight migrations look like after a deploy,
 * so a change must replay all of them (guard it with `patched()`), and recording a new generation adds, never
 * replaces: `npx tsx scripts/record-histories.ts <generation>` (e.g. the date and what changed).
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
import { queryStatus, requestRollback, sendApproval, sendRejection, startMigration } from '../src/cli/commands';
import { migrationWorkflowId } from '../src/runtime/temporal';
import { approveSignal, type Gate } from '../src/workflows/messages';
import { driveMigration } from '../src/cli/drive';
import { rollbackResult } from '../src/cli/migration-result';
import { generatePractice } from '@dentrix-pipedrive/practice-generator';
import { assertTemporalCli } from '../src/devserver/dev-server';
import { ALL_SEARCH_ATTRIBUTES } from '../src/workflows/search-attributes';

/** Load children continue as new after this many events: the recorded histories then cover continue-as-new. */
const SUGGEST_CONTINUE_AS_NEW_AFTER = 60;

async function main(): Promise<void> {
  const generation = process.argv[2];
  if (!generation || !/^[a-z0-9][a-z0-9-]*$/u.test(generation))
    throw new Error('give the generation name: npx tsx scripts/record-histories.ts 2026-12-gate-updates');
  const outDir = path.join(HISTORIES_DIR, generation);
  if (fs.existsSync(outDir)) throw new Error(`${outDir} exists: generations are added, never replaced`);
  const server = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: assertTemporalCli() },
      searchAttributes: ALL_SEARCH_ATTRIBUTES,
      ip: '127.0.0.1',
      extraArgs: ['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${SUGGEST_CONTINUE_AS_NEW_AFTER}`],
    },
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
    const handle = h.client.workflow.getHandle(migrationWorkflowId(migrationId));
    // Sent before MAPPING_REVIEW opens: refused (and audited), never kept for later.
    await handle.signal(approveSignal, { gate: 'MAPPING_REVIEW', by: 'recorder (early)', includeAllPhi: true });
    const atGate = async (gate: Gate, round: number) => {
      for (;;) {
        const s = await queryStatus(h.client, migrationId);
        if (s?.phase === 'FAILED') throw new Error(`the recorded migration failed: ${s.error}`);
        if (s?.waitingFor === gate && s.phaseHistory.filter((p) => p.phase === gate).length === round) return s;
        await new Promise((r) => setTimeout(r, 300));
      }
    };
    await atGate('MAPPING_REVIEW', 1);
    await sendApproval(h.client, migrationId, { gate: 'MAPPING_REVIEW', by: 'recorder', includeAllPhi: true });
    await atGate('SAMPLE_REVIEW', 1);
    await sendRejection(h.client, migrationId, { gate: 'SAMPLE_REVIEW', by: 'recorder', reason: 'recording the reject loop' });
    await atGate('MAPPING_REVIEW', 2);
    const { status } = await driveMigration(h.client, migrationId, { by: 'recorder', includeAllPhi: true, minSampleAccuracy: 99, cutoverAfterPolls: 2 });
    if (status.phase !== 'DONE') throw new Error(`the recorded migration ended in ${status.phase}`);
    const { workflowId } = await requestRollback(h.env, h.client, migrationId, { by: 'recorder', reason: 'recording' });
    await rollbackResult(h.client.workflow.getHandle(workflowId));

    fs.mkdirSync(outDir, { recursive: true });
    let count = 0;
    for await (const info of h.client.workflow.list({ query: `TaskQueue = '${h.taskQueue}'` })) {
      // The CLI writes the canonical proto3 JSON that `temporal workflow show` users (and historyFromJSON) know.
      const json = execFileSync(
        assertTemporalCli(),
        ['workflow', 'show', '--address', server.address, '--workflow-id', info.workflowId, '--run-id', info.runId, '--output', 'json'],
        { maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
      );
      const file = path.join(outDir, `${info.type}--${info.workflowId}--${info.runId}.json`);
      fs.writeFileSync(file, json.endsWith('\n') ? json : `${json}\n`);
      count++;
    }
    console.log(`recorded ${count} histories into ${path.relative(process.cwd(), outDir)}`);
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

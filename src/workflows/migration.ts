import {
  CancellationScope,
  ParentClosePolicy,
  condition,
  executeChild,
  isCancellation,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  getExternalWorkflowHandle,
  ApplicationFailure,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { MigrationOptions } from '../config';
import { shortActivity, sourceActivity } from './activity-options';
import { withDailyBudget } from './budget';
import { deltaWorkflow } from './delta';
import { loadObjectWorkflow, type LoadObjectResult } from './load-object';
import {
  approveSignal,
  cutoverSignal,
  loadPausedSignal,
  rejectSignal,
  rollbackSignal,
  statusQuery,
  type ApproveInput,
  type Gate,
  type MigrationStatus,
  type Phase,
  type RejectInput,
  type RollbackInput,
  type RunKind,
} from './messages';
import { rollbackWorkflow, type RollbackResult } from './rollback';
import { SEARCH_ATTRIBUTES } from './search-attributes';

type Activities = ReturnType<typeof createActivities>;
const short = proxyActivities<Activities>(shortActivity);
const source = proxyActivities<Activities>(sourceActivity);

export interface MigrationWorkflowInput {
  migrationId: string;
  practiceName: string;
  options: MigrationOptions;
}

export interface MigrationResult {
  status: MigrationStatus;
  rollback?: RollbackResult;
}

type Decision = { kind: 'approve'; input: ApproveInput } | { kind: 'reject'; input: RejectInput };

/**
 * One migration, from extract to cutover (or rollback). Orchestration only: every read and write happens in
 * activities, and only ids, counts and report locations pass through here.
 */
export async function migrationWorkflow(input: MigrationWorkflowInput): Promise<MigrationResult> {
  const { migrationId, options } = input;
  const status: MigrationStatus = {
    migrationId,
    practiceName: input.practiceName,
    phase: 'EXTRACT',
    objects: {},
    reports: {},
    fingerprints: {},
    phaseHistory: [],
  };
  const decisions: Decision[] = [];
  let rollbackRequest: RollbackInput | undefined;
  let cutoverRequested = false;
  let anythingWritten = false;
  let recordsLoaded = 0;
  let recordsFailed = 0;

  setHandler(statusQuery, () => status);
  setHandler(approveSignal, (a) => void decisions.push({ kind: 'approve', input: a }));
  setHandler(rejectSignal, (r) => void decisions.push({ kind: 'reject', input: r }));
  setHandler(cutoverSignal, () => {
    cutoverRequested = true;
  });

  const main = new CancellationScope();
  setHandler(rollbackSignal, (r) => {
    if (rollbackRequest) return;
    rollbackRequest = r;
    main.cancel();
  });

  const showDetails = () =>
    setCurrentDetails(
      [
        `**Phase:** ${status.phase}${status.currentObject ? ` (${status.currentObject})` : ''}`,
        status.waitingFor ? `**Waiting for:** ${status.waitingFor} approval. ${status.gateMessage ?? ''}` : '',
        status.paused ? `**Paused:** ${status.paused.reason} until ${status.paused.until}` : '',
        objectTable(status),
        Object.entries(status.reports)
          .map(([k, v]) => `- ${k}: \`${v}\``)
          .join('\n'),
      ]
        .filter(Boolean)
        .join('\n\n'),
    );

  // Pauses on Pipedrive's daily budget, here or in a load child, show in the status query and the UI.
  const setPaused = (pause: MigrationStatus['paused']) => {
    status.paused = pause;
    showDetails();
  };
  setHandler(loadPausedSignal, ({ paused }) => setPaused(paused));
  const budgeted = <T>(call: () => Promise<T>): Promise<T> => withDailyBudget(call, setPaused);

  const setPhase = async (phase: Phase) => {
    status.phase = phase;
    status.phaseHistory.push({ phase, at: new Date().toISOString() });
    upsertSearchAttributes([
      { key: SEARCH_ATTRIBUTES.phase, value: phase },
      { key: SEARCH_ATTRIBUTES.recordsLoaded, value: recordsLoaded },
      { key: SEARCH_ATTRIBUTES.recordsFailed, value: recordsFailed },
    ]);
    showDetails();
    await short.markPhase({ migrationId, phase });
  };

  const waitForDecision = async (gate: Gate): Promise<Decision> => {
    status.waitingFor = gate;
    showDetails();
    for (;;) {
      const arrived = await condition(() => decisions.length > 0, options.gateReminderSeconds * 1000);
      if (!arrived) {
        log.info('gate still waiting for a decision', { migrationId, gate });
        continue;
      }
      const decision = decisions.shift()!;
      if (decision.input.gate !== gate) {
        status.gateMessage = `ignored a ${decision.kind} for ${decision.input.gate}: the migration is at ${gate}`;
        showDetails();
        continue;
      }
      status.waitingFor = undefined;
      return decision;
    }
  };

  const runObjects = async (runKind: RunKind, mode: 'load' | 'verify', objectTypes: string[]) => {
    const results: LoadObjectResult[] = [];
    for (const objectType of objectTypes) {
      status.currentObject = `${objectType} ${mode}`;
      showDetails();
      const result = await executeChild(loadObjectWorkflow, {
        workflowId: `${workflowInfo().workflowId}-${runKind}-${mode}-${objectType}`,
        args: [
          {
            migrationId,
            objectType,
            runKind,
            mode,
            batchSize: options.batchSize,
            concurrency: options.concurrency,
            reportPauses: true,
          },
        ],
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        staticSummary: `${objectType} ${mode} (${runKind})`,
      });
      results.push(result);
      if (mode === 'load') {
        anythingWritten ||= result.totals.migrated + result.totals.recovered > 0;
        recordsLoaded += result.totals.migrated;
        recordsFailed += result.totals.rejected;
        upsertSearchAttributes([
          { key: SEARCH_ATTRIBUTES.recordsLoaded, value: recordsLoaded },
          { key: SEARCH_ATTRIBUTES.recordsFailed, value: recordsFailed },
        ]);
      }
      const counts = await short.reconcile({ migrationId });
      status.objects = counts.objects;
      status.reports.reconciliation = counts.reportPath;
    }
    status.currentObject = undefined;
    showDetails();
    return results;
  };

  const runRollback = async (scope: 'all' | 'sample', by: string, reason: string): Promise<RollbackResult> => {
    const result = await executeChild(rollbackWorkflow, {
      workflowId: `${workflowInfo().workflowId}-rollback-${scope}-${status.phaseHistory.length}`,
      args: [{ migrationId, scope, by, reason }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `rollback (${scope})`,
    });
    if (result.fingerprintAfter) status.fingerprints.afterRollback = result.fingerprintAfter;
    return result;
  };

  const phases = async () => {
    await setPhase('EXTRACT');
    const extract = await source.extractSource({ migrationId });
    status.extract = {
      tables: extract.tables,
      rowsRead: extract.rowsRead,
      rowsStaged: extract.rowsStaged,
      rowsRejected: extract.rowsRejected,
    };

    await setPhase('AUDIT');
    const audit = await source.auditSource({ migrationId });
    status.audit = audit.counts;
    status.reports.dataQuality = audit.reportPath;
    if (audit.htmlPath) status.reports.dataQualityHtml = audit.htmlPath;

    for (;;) {
      await setPhase('MAPPING_REVIEW');
      const proposal = await short.proposeMap({ migrationId });
      status.reports.proposedMap = proposal.mapPath;
      if (proposal.workbookPath) status.reports.mappingWorkbook = proposal.workbookPath;
      status.gateMessage = `proposed map v${proposal.version} (${proposal.fields} fields): review the workbook, then approve`;
      for (;;) {
        const decision = await waitForDecision('MAPPING_REVIEW');
        await short.recordDecision({ migrationId, decision: decision.kind, ...decision.input });
        if (decision.kind === 'reject') {
          status.gateMessage = `rejected by ${decision.input.by}: import an edited workbook, then approve`;
          continue;
        }
        const approval = await short.approveMap({
          migrationId,
          version: decision.input.mapVersion,
          by: decision.input.by,
          phiInclude: decision.input.phiInclude,
          includeAllPhi: decision.input.includeAllPhi,
        });
        if (approval.ok) {
          status.mapVersion = approval.version;
          if (approval.approvedMapPath) status.reports.approvedMap = approval.approvedMapPath;
          status.gateMessage = undefined;
          break;
        }
        status.gateMessage = `approval refused, the map does not validate: ${approval.errors.slice(0, 5).join('; ')}`;
        showDetails();
      }

      await setPhase('SCHEMA');
      if (!status.fingerprints.beforeFirstWrite) {
        status.fingerprints.beforeFirstWrite = (await budgeted(() => short.takeFingerprint({ migrationId, label: 'before_first_write' }))).fingerprint;
      }
      await budgeted(() => short.resolveProviders({ migrationId }));
      await budgeted(() => short.createSchema({ migrationId }));
      anythingWritten = true;

      await setPhase('SAMPLE');
      await short.selectSample({ migrationId, size: options.sampleSize });
      const objectTypes = (await short.planRun({ migrationId, objectTypes: options.objectTypes })).objectTypes;
      await runObjects('sample', 'load', objectTypes);
      await runObjects('sample', 'verify', objectTypes);
      const sample = await short.writeAccuracyReport({ migrationId, runKind: 'sample' });
      status.sample = sample;
      if (sample.reportPath) status.reports.sampleDiff = sample.reportPath;

      await setPhase('SAMPLE_REVIEW');
      let approved = false;
      status.gateMessage = `sample accuracy ${sample.accuracy.toFixed(2)}% (threshold ${options.sampleAccuracyThreshold}%)`;
      for (;;) {
        const decision = await waitForDecision('SAMPLE_REVIEW');
        if (decision.kind === 'approve') {
          const below = sample.accuracy < options.sampleAccuracyThreshold;
          if (below && !decision.input.overrideReason) {
            status.gateMessage =
              `approval refused: accuracy ${sample.accuracy.toFixed(2)}% is below ${options.sampleAccuracyThreshold}%; ` +
              'reject to fix the map and re-run the sample, or approve with a written override reason';
            await short.recordDecision({ migrationId, gate: 'SAMPLE_REVIEW', decision: 'refused', by: decision.input.by });
            continue;
          }
          await short.recordDecision({
            migrationId,
            gate: 'SAMPLE_REVIEW',
            decision: below ? 'approve_override' : 'approve',
            by: decision.input.by,
            reason: decision.input.overrideReason,
          });
          status.sample = { ...sample, approvedBy: decision.input.by, overrideReason: decision.input.overrideReason };
          approved = true;
          break;
        }
        await short.recordDecision({ migrationId, decision: 'reject', ...decision.input });
        status.gateMessage = `sample rejected by ${decision.input.by}: rolling the sample back`;
        await runRollback('sample', decision.input.by, decision.input.reason);
        break;
      }
      if (!approved) continue; // back to MAPPING_REVIEW with the sample rolled back

      await setPhase('FULL');
      await runObjects('full', 'load', objectTypes);
      status.reports.imageManifest = (await short.writeImageManifest({ migrationId })).path;

      await setPhase('VERIFY');
      await runObjects('full', 'verify', objectTypes);
      const verification = await short.writeAccuracyReport({ migrationId, runKind: 'full' });
      status.verification = verification;
      if (verification.reportPath) status.reports.verification = verification.reportPath;

      if (!options.skipDelta) {
        await setPhase('DELTA');
        const childId = `${workflowInfo().workflowId}-delta`;
        const forwardCutover = async () => {
          await condition(() => cutoverRequested);
          await getExternalWorkflowHandle(childId).signal(cutoverSignal, { by: 'operator' });
        };
        const delta = executeChild(deltaWorkflow, {
          workflowId: childId,
          args: [{ migrationId, objectTypes, windowSeconds: options.deltaWindowSeconds, pollSeconds: options.deltaPollSeconds, batchSize: options.batchSize, concurrency: options.concurrency }],
          parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
          staticSummary: 'delta pick-up window',
        });
        // Ops may signal cutover to this workflow (the one they know); pass it on to the delta child.
        const forwardScope = new CancellationScope();
        const forwarding = forwardScope.run(forwardCutover).catch(() => undefined);
        const result = await delta;
        forwardScope.cancel();
        await forwarding;
        status.delta = { polls: result.polls, created: result.created, updated: result.updated };
        if (result.inFlightClaimsReportPath) status.reports.inFlightClaims = result.inFlightClaimsReportPath;
        const counts = await short.reconcile({ migrationId });
        status.objects = counts.objects;
      }
      break;
    }

    status.fingerprints.atEnd = (await budgeted(() => short.takeFingerprint({ migrationId, label: 'at_end' }))).fingerprint;
    await setPhase('DONE');
  };

  try {
    await main.run(phases);
  } catch (err) {
    if (!(rollbackRequest && isCancellation(err))) {
      status.error = err instanceof Error ? err.message : String(err);
      await CancellationScope.nonCancellable(() => setPhase('FAILED'));
      throw err;
    }
  }

  if (!rollbackRequest) return { status };

  const request = rollbackRequest;
  return CancellationScope.nonCancellable(async () => {
    await setPhase('ROLLING_BACK');
    const rollback = await runRollback('all', request.by, request.reason);
    if (!anythingWritten) log.info('rollback requested before anything was written', { migrationId });
    const counts = await short.reconcile({ migrationId });
    status.objects = counts.objects;
    await setPhase('ROLLED_BACK');
    if (!rollback.proven) {
      status.error = 'rollback did not prove the account is back to its pre-migration state: see the rollback report';
      throw ApplicationFailure.nonRetryable(status.error, 'RollbackNotProven');
    }
    return { status, rollback };
  });
}

function objectTable(status: MigrationStatus): string {
  const rows = Object.entries(status.objects);
  if (rows.length === 0) return '';
  return [
    '| object | source | migrated | skipped | rejected |',
    '|---|---:|---:|---:|---:|',
    ...rows.map(([k, c]) => `| ${k} | ${c.source} | ${c.migrated} | ${c.skipped} | ${c.rejected} |`),
  ].join('\n');
}

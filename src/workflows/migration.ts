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
  patched,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { MigrationOptions } from '../config';
import { shortActivity, sourceActivity } from './activity-options';
import { withDailyBudget } from './budget';
import { deltaWorkflow } from './delta';
import { loadObjectWorkflow, type LoadObjectResult } from './load-object';
import { gateRefusal, type GateDecision, type OpenGate } from './gates';
import {
  approveSignal,
  approveUpdate,
  cutoverSignal,
  loadPausedSignal,
  rejectSignal,
  rejectUpdate,
  rollbackSignal,
  statusQuery,
  type Gate,
  type GateDecisionResult,
  type MigrationStatus,
  type Phase,
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

/** A decision waiting to be applied; `ticket` when it came as an Update, whose caller waits for the outcome. */
type Decision = GateDecision & { ticket?: number };
type DecisionOutcome = { result: GateDecisionResult; refusal?: undefined } | { refusal: string; result?: undefined };

/** Histories from before this change queued a signal sent before its gate opened; newer runs refuse it. */
const GATE_ONLY_WHEN_OPEN = 'gate-decisions-only-when-open';
/** Histories from before this change reached DONE without purging the staged extract. */
const PURGE_AT_DONE = 'purge-staged-phi-at-done';

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
  const outcomes = new Map<number, DecisionOutcome>();
  const unsettled = new Set<number>();
  let nextTicket = 1;
  let openGate: OpenGate | undefined;
  let sampleRuns = 0;
  let rollbackRequest: RollbackInput | undefined;
  let cutoverRequested = false;
  let anythingWritten = false;
  let recordsLoaded = 0;
  let recordsFailed = 0;

  setHandler(statusQuery, () => status);
  // A decision counts only for the gate open now and nothing already queued for it (gates.ts has the rules).
  const refusalOf = (d: GateDecision): string | undefined =>
    decisions.length > 0 ? `a decision for ${openGate?.gate ?? 'this gate'} is already being applied` : gateRefusal(d, openGate, status.phase);
  const settle = (d: Decision, outcome: DecisionOutcome) => {
    if (d.ticket === undefined) return;
    unsettled.delete(d.ticket);
    outcomes.set(d.ticket, outcome);
  };
  const decideByUpdate = async (d: GateDecision): Promise<GateDecisionResult> => {
    const ticket = nextTicket++;
    unsettled.add(ticket);
    decisions.push({ ...d, ticket });
    await condition(() => outcomes.has(ticket));
    const outcome = outcomes.get(ticket)!;
    outcomes.delete(ticket);
    if (outcome.refusal !== undefined) throw ApplicationFailure.nonRetryable(outcome.refusal, 'GateDecisionRefused');
    return outcome.result;
  };
  const validate = (d: GateDecision) => {
    const refusal = refusalOf(d);
    if (refusal) throw ApplicationFailure.nonRetryable(refusal, 'GateDecisionRefused');
  };
  setHandler(approveUpdate, (a) => decideByUpdate({ kind: 'approve', input: a }), { validator: (a) => validate({ kind: 'approve', input: a }) });
  setHandler(rejectUpdate, (r) => decideByUpdate({ kind: 'reject', input: r }), { validator: (r) => validate({ kind: 'reject', input: r }) });
  // The Web UI's "Send a Signal": the same rules, but a signal has no answer, so a refusal is audited and shown.
  const decideBySignal = async (d: GateDecision) => {
    if (!patched(GATE_ONLY_WHEN_OPEN)) return void decisions.push(d);
    const refusal = refusalOf(d);
    if (!refusal) return void decisions.push(d);
    const by = typeof d.input?.by === 'string' && d.input.by.trim() ? d.input.by : 'unknown';
    status.gateMessage = `refused a ${d.kind} signal from ${by}: ${refusal}`;
    showDetails();
    await short.recordDecision({ migrationId, gate: String(d.input?.gate ?? 'none'), decision: `refused_${d.kind}`, by, reason: refusal });
  };
  setHandler(approveSignal, (a) => decideBySignal({ kind: 'approve', input: a }));
  setHandler(rejectSignal, (r) => decideBySignal({ kind: 'reject', input: r }));
  setHandler(cutoverSignal, () => {
    cutoverRequested = true;
  });

  const main = new CancellationScope();
  setHandler(rollbackSignal, (r) => {
    if (rollbackRequest) return;
    rollbackRequest = r;
    // A decision sent as an Update and not applied yet will not be: its sender hears why.
    for (const ticket of unsettled) outcomes.set(ticket, { refusal: 'a rollback was requested: the decision was not applied' });
    unsettled.clear();
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

  const waitForDecision = async (gate: Gate, sample?: OpenGate['sample']): Promise<Decision> => {
    status.waitingFor = gate;
    openGate = { gate, sample };
    showDetails();
    for (;;) {
      const arrived = await condition(() => decisions.length > 0, options.gateReminderSeconds * 1000);
      if (!arrived) {
        log.info('gate still waiting for a decision', { migrationId, gate });
        continue;
      }
      const decision = decisions.shift()!;
      if (decision.input.gate !== gate) {
        // Only histories from before GATE_ONLY_WHEN_OPEN queue a decision for another gate.
        status.gateMessage = `ignored a ${decision.kind} for ${decision.input.gate}: the migration is at ${gate}`;
        settle(decision, { refusal: status.gateMessage });
        showDetails();
        continue;
      }
      status.waitingFor = undefined;
      openGate = undefined;
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
          settle(decision, { result: { gate: 'MAPPING_REVIEW', decision: 'reject', outcome: status.gateMessage } });
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
          settle(decision, {
            result: { gate: 'MAPPING_REVIEW', decision: 'approve', mapVersion: approval.version, outcome: `map v${approval.version} approved: creating the schema, then the sample run` },
          });
          break;
        }
        status.gateMessage = `approval refused, the map does not validate: ${approval.errors.slice(0, 5).join('; ')}`;
        settle(decision, { refusal: status.gateMessage });
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
      sampleRuns++;
      await short.selectSample({ migrationId, size: options.sampleSize });
      const objectTypes = (await short.planRun({ migrationId, objectTypes: options.objectTypes })).objectTypes;
      await runObjects('sample', 'load', objectTypes);
      await runObjects('sample', 'verify', objectTypes);
      const sample = await short.writeAccuracyReport({ migrationId, runKind: 'sample' });
      const threshold = options.sampleAccuracyThreshold;
      status.sample = { ...sample, run: sampleRuns, threshold };
      if (sample.reportPath) status.reports.sampleDiff = sample.reportPath;

      await setPhase('SAMPLE_REVIEW');
      let approved = false;
      status.gateMessage = `sample accuracy ${sample.accuracy.toFixed(2)}% (threshold ${options.sampleAccuracyThreshold}%)`;
      for (;;) {
        const decision = await waitForDecision('SAMPLE_REVIEW', { run: sampleRuns, accuracy: sample.accuracy, threshold });
        if (decision.kind === 'approve') {
          const below = sample.accuracy < options.sampleAccuracyThreshold;
          if (below && !decision.input.overrideReason) {
            // Only signals queued in histories from before GATE_ONLY_WHEN_OPEN get here; gates.ts refuses them up front.
            status.gateMessage =
              `approval refused: accuracy ${sample.accuracy.toFixed(2)}% is below ${options.sampleAccuracyThreshold}%; ` +
              'reject to fix the map and re-run the sample, or approve with a written override reason';
            await short.recordDecision({ migrationId, gate: 'SAMPLE_REVIEW', decision: 'refused', by: decision.input.by });
            settle(decision, { refusal: status.gateMessage });
            continue;
          }
          await short.recordDecision({
            migrationId,
            gate: 'SAMPLE_REVIEW',
            decision: below ? 'approve_override' : 'approve',
            by: decision.input.by,
            reason: decision.input.overrideReason,
          });
          status.sample = { ...sample, run: sampleRuns, threshold, approvedBy: decision.input.by, overrideReason: decision.input.overrideReason };
          settle(decision, {
            result: { gate: 'SAMPLE_REVIEW', decision: 'approve', sampleRun: sampleRuns, outcome: `sample run ${sampleRuns} approved${below ? ' with an override' : ''}: the full run starts` },
          });
          approved = true;
          break;
        }
        await short.recordDecision({ migrationId, decision: 'reject', ...decision.input });
        status.gateMessage = `sample rejected by ${decision.input.by}: rolling the sample back`;
        settle(decision, {
          result: { gate: 'SAMPLE_REVIEW', decision: 'reject', sampleRun: sampleRuns, outcome: 'sample rejected: rolling it back, then back to MAPPING_REVIEW' },
        });
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
    // PHI at rest (DESIGN §5.11): after cutover nothing loads from staging again, so its PHI goes (ids and counts stay).
    if (patched(PURGE_AT_DONE)) await source.purgeStagedPhi({ migrationId, reason: options.skipDelta ? 'done (no delta window)' : 'cutover' });
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

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
import type { PlannedWork, RunPlan } from '../activities/contracts';
import type { MigrationOptions } from '../config';
import { shortActivity, sourceActivity } from './activity-options';
import { withDailyBudget } from './budget';
import { deltaWorkflow } from './delta';
import { renderDetails } from './details';
import { createGateKeeper } from './gate-keeper';
import { verificationProblems } from './gates';
import { loadObjectWorkflow, type LoadObjectResult } from './load-object';
import {
  cutoverSignal,
  FAILURE_TYPES,
  loadPausedSignal,
  loadProgressSignal,
  mapImportedSignal,
  rollbackProgressSignal,
  rollbackSignal,
  statusQuery,
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

/** Histories from before this change reached DONE without purging the staged extract. */
const PURGE_AT_DONE = 'purge-staged-phi-at-done';
/** Histories from before this change went on from VERIFY whatever it found. */
const VERIFY_REVIEW_GATE = 'verify-review-gate';
/** Histories from before this change ended FAILED on a cancellation, leaving what was written in the account. */
const CANCEL_ASKS = 'cancel-pauses-and-asks';
/** Histories from before this change matched providers to users only at SCHEMA, after MAPPING_REVIEW's approval. */
const OWNERS_AT_REVIEW = 'owners-matched-at-mapping-review';
/** Histories from before this change loaded and verified one object type at a time. */
const LOAD_WAVES = 'object-types-load-in-waves';
/**
 * Histories from before this change planned each type's work in its child and counted the store between waves before
 * the next wave started (about half a second per wave's start in which nothing loaded).
 */
const PLAN_AHEAD = 'next-wave-planned-while-loading';
/**
 * Histories from before this change loaded in waves: a wave's types started once every type of the wave before had
 * loaded, related to them or not (activities waited for files).
 */
const LOAD_GRAPH = 'object-types-load-as-a-graph';
/** Histories from before this change completed (green in the Web UI's list) after rolling everything back. */
const ROLLED_BACK_IS_NOT_SUCCESS = 'rolled-back-ends-failed';

/** Batches per object type in flight when neither the options nor the plan say (histories from before the plan did). */
const FALLBACK_CONCURRENCY = 2;

/**
 * One migration, from extract to cutover (or rollback). Orchestration only: every read and write happens in
 * activities, and only ids, counts and report locations pass through here. The phases read top to bottom in
 * `phases` below; each is one function.
 */
/** Why a phase failed, from the end of the failure chain ("Activity task failed" says nothing). PHI-free by type. */
function rootCause(err: unknown): string {
  let cause: unknown = err;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  return cause instanceof Error ? cause.message : String(cause);
}

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
  let sampleRuns = 0;
  let rollbackRequest: RollbackInput | undefined;
  let cutoverRequested = false;
  let anythingWritten = false;
  let recordsLoaded = 0;
  let recordsFailed = 0;
  /** The last reconciliation's verdict: source = migrated + skipped + rejected for every object type. */
  let balanced = true;

  const showDetails = () => setCurrentDetails(renderDetails(status, new Date()));
  setHandler(statusQuery, () => status);
  const gates = createGateKeeper({
    migrationId,
    status,
    reminderMs: options.gateReminderSeconds * 1000,
    onChange: showDetails,
    recordRefusal: (r) => short.recordDecision({ migrationId, ...r }),
  });
  // `map import` while the gate waits: the message names the version an approval now takes (the latest).
  setHandler(mapImportedSignal, (m) => {
    if (status.waitingFor !== 'MAPPING_REVIEW') return;
    status.gateMessage =
      `map v${m.version} imported by ${m.by} (${m.changes} change(s), ${m.merges} duplicate merge(s), ${m.ownerAssignments} owner assignment(s)): ` +
      'review it, then approve (an approval takes the latest version unless it names another)';
    showDetails();
  });
  setHandler(cutoverSignal, () => {
    cutoverRequested = true;
  });
  const main = new CancellationScope();
  setHandler(rollbackSignal, (r) => {
    if (rollbackRequest) return;
    rollbackRequest = r;
    gates.abandonAll('a rollback was requested: the decision was not applied');
    main.cancel();
  });

  // Pauses on Pipedrive's daily budget, here or in a load child, show in the status query and the UI.
  const setPaused = (pause: MigrationStatus['paused']) => {
    status.paused = pause;
    showDetails();
  };
  setHandler(loadPausedSignal, ({ paused }) => setPaused(paused));

  // Live progress from the children: the phase's per-type counts and RecordsLoaded move as batches end, not per child.
  const liveLoaded = new Map<string, number>();
  const showRecordsLoaded = () => {
    const value = recordsLoaded + [...liveLoaded.values()].reduce((a, b) => a + b, 0);
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.recordsLoaded, value }]);
  };
  setHandler(loadProgressSignal, (p) => {
    const shown = status.phaseProgress;
    const entry = shown?.objects[p.objectType];
    // A late signal (its child already ended, or from another run or mode) changes nothing.
    if (!shown || !entry || entry.state === 'done' || shown.runKind !== p.runKind || shown.mode !== p.mode) return;
    Object.assign(entry, {
      state: 'running',
      total: p.total,
      done: p.done,
      migrated: p.totals.migrated,
      skipped: p.totals.skipped,
      rejected: p.totals.rejected,
    });
    if (p.mode === 'load') {
      liveLoaded.set(p.objectType, p.totals.migrated);
      showRecordsLoaded();
    }
    showDetails();
  });
  setHandler(rollbackProgressSignal, (p) => {
    status.rollbackProgress = p;
    showDetails();
  });
  const budgeted = <T>(call: () => Promise<T>): Promise<T> => withDailyBudget(call, setPaused);

  const setPhase = async (phase: Phase) => {
    status.phase = phase;
    status.phaseProgress = undefined;
    status.currentObject = undefined; // a rollback mid-load skips the load's own clean-up
    if (phase !== 'ROLLING_BACK' && phase !== 'ROLLED_BACK') status.rollbackProgress = undefined;
    status.phaseHistory.push({ phase, at: new Date().toISOString() });
    upsertSearchAttributes([
      { key: SEARCH_ATTRIBUTES.phase, value: phase },
      { key: SEARCH_ATTRIBUTES.recordsLoaded, value: recordsLoaded },
      { key: SEARCH_ATTRIBUTES.recordsFailed, value: recordsFailed },
    ]);
    showDetails();
    await short.markPhase({ migrationId, phase });
  };

  /** One object type's load (or verify) child, its counts added to the search attributes as it ends. */
  const runObject = async (
    runKind: RunKind,
    mode: 'load' | 'verify',
    objectType: string,
    concurrency: number,
    planned?: PlannedWork,
  ): Promise<LoadObjectResult> => {
    const result = await executeChild(loadObjectWorkflow, {
      workflowId: `${workflowInfo().workflowId}-${runKind}-${mode}-${objectType}`,
      args: [{ migrationId, objectType, runKind, mode, batchSize: options.batchSize, concurrency, reportPauses: true, ...(planned && { planned }) }],
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      staticSummary: `${objectType} ${mode} (${runKind})`,
    });
    const entry = status.phaseProgress?.objects[objectType];
    if (entry) {
      const t = result.totals;
      const done = mode === 'load' ? t.migrated + t.updated + t.skipped + t.rejected + t.alreadyDone : (result.verification?.recordsCompared ?? result.total);
      Object.assign(entry, { state: 'done', total: result.total, done, migrated: t.migrated, skipped: t.skipped, rejected: t.rejected });
    }
    if (mode === 'load') {
      liveLoaded.delete(objectType);
      anythingWritten ||= result.totals.migrated + result.totals.recovered > 0;
      recordsLoaded += result.totals.migrated;
      recordsFailed += result.totals.rejected;
      upsertSearchAttributes([
        { key: SEARCH_ATTRIBUTES.recordsLoaded, value: recordsLoaded },
        { key: SEARCH_ATTRIBUTES.recordsFailed, value: recordsFailed },
      ]);
    }
    return result;
  };

  /** The options' concurrency when ops set it, else the plan's (derived from the account's rate and latency). */
  const concurrencyOf = (plan: RunPlan): number => options.concurrency ?? plan.concurrency ?? FALLBACK_CONCURRENCY;

  const reconcile = async () => {
    const counts = await short.reconcile({ migrationId });
    status.objects = counts.objects;
    status.reports.reconciliation = counts.reportPath;
    balanced = counts.balanced;
  };

  /** Started ahead and awaited later: a failure in between (a child's, a cancellation) must not leave it unhandled. */
  const handled = <T>(promise: Promise<T>): Promise<T> => (promise.catch(() => undefined), promise);

  /**
   * A load as a graph of object types, each in a child: a type starts once every type it loads after has loaded, and
   * its work is planned (from the staged rows alone: idempotent) once they have all started, so planning overlaps their
   * load. The store's counts after each type ends, one count at a time, the last one awaited: what VERIFY and the
   * status read.
   */
  const loadAsGraph = async (runKind: RunKind, types: readonly string[], loadsAfter: Record<string, string[]>, concurrency: number) => {
    const firstBatches = { batchSize: options.batchSize, maxBatches: concurrency, splitTail: true };
    // The plan's graph names only the run's types (the registry's loadGraph).
    const after = (t: string) => loadsAfter[t] ?? [];
    const planning = new Map<string, Promise<PlannedWork>>();
    const running = new Map<string, Promise<void>>();
    const loaded = new Set<string>();
    const results = new Map<string, LoadObjectResult>();
    let counting: Promise<void> | undefined;
    let countQueued = false;
    const countAfterwards = () => {
      if (countQueued) return;
      countQueued = true;
      counting = handled(
        (counting ?? Promise.resolve()).then(() => {
          countQueued = false;
          return reconcile();
        }),
      );
    };
    const showRunning = () => {
      const now = types.filter((t) => running.has(t));
      status.currentObject = now.length > 0 ? `${now.join(', ')} load` : undefined;
      status.running = now.length > 0 ? { runKind, mode: 'load', objectTypes: now } : undefined;
      showDetails();
    };
    const load = async (objectType: string) => {
      const result = await runObject(runKind, 'load', objectType, concurrency, await planning.get(objectType));
      results.set(objectType, result);
      running.delete(objectType);
      loaded.add(objectType);
      countAfterwards();
      showRunning();
    };
    for (;;) {
      const ready = types.filter((t) => !running.has(t) && !loaded.has(t) && after(t).every((d) => loaded.has(d)));
      const started = (t: string) => ready.includes(t) || running.has(t) || loaded.has(t);
      for (const t of types) {
        if (!planning.has(t) && after(t).every(started)) planning.set(t, handled(short.planObjectWork({ migrationId, objectType: t, runKind, firstBatches })));
      }
      for (const t of ready) running.set(t, handled(load(t)));
      for (const t of ready) if (status.phaseProgress?.objects[t]) status.phaseProgress.objects[t].state = 'running';
      if (ready.length > 0) showRunning();
      if (running.size === 0) break;
      await Promise.race(running.values());
    }
    const waiting = types.filter((t) => !loaded.has(t));
    if (waiting.length > 0) throw ApplicationFailure.nonRetryable(`object types ${waiting.join(', ')} load after types that never load`);
    if (counting) await counting;
    else await reconcile();
    return types.map((t) => results.get(t)!);
  };

  /**
   * The run's object types, each in a child: loads as a graph (a type starts once the types it links to have loaded),
   * verification all at once (it only reads). Histories from before the graph loaded in waves (a wave's types link only
   * to earlier waves', so they load at the same time), with the store's counts after each wave, and before the waves
   * one child at a time in dependency order.
   */
  const runObjects = async (runKind: RunKind, mode: 'load' | 'verify', plan: RunPlan) => {
    const results: LoadObjectResult[] = [];
    const concurrency = concurrencyOf(plan);
    // Until a type's child plans its work, the full run's total is the plan's (staged rows the approved map keeps), or
    // for verification the reconciliation's migrated count, so the ETA covers every type; a sample's share is known
    // only once planned (and an older worker's plan has no totals).
    const estimate = (t: string) => (runKind !== 'full' ? 0 : mode === 'load' ? (plan.fullTotals?.[t] ?? 0) : (status.objects[t]?.migrated ?? 0));
    status.phaseProgress = {
      runKind,
      mode,
      startedAt: new Date().toISOString(),
      objects: Object.fromEntries(
        plan.objectTypes.map((t) => [t, { state: 'waiting' as const, total: estimate(t), done: 0, migrated: 0, skipped: 0, rejected: 0 }]),
      ),
    };
    if (mode === 'load' && plan.loadsAfter && patched(LOAD_GRAPH)) {
      results.push(...(await loadAsGraph(runKind, plan.objectTypes, plan.loadsAfter, concurrency)));
    } else if (patched(LOAD_WAVES) && plan.waves) {
      const waves = mode === 'verify' ? [plan.objectTypes] : plan.waves;
      // A wave's work items come from the staged rows alone (planning is idempotent), so the next wave's are planned
      // while this one loads, and the store's counts after a wave are taken while the next one loads: between waves
      // only the children's starts remain.
      const ahead = mode === 'load' && patched(PLAN_AHEAD);
      const firstBatches = { batchSize: options.batchSize, maxBatches: concurrency, splitTail: true };
      const planWave = (wave: string[]) =>
        handled(
          Promise.all(
            wave.map(async (objectType) => [objectType, await short.planObjectWork({ migrationId, objectType, runKind, firstBatches })] as const),
          ).then((entries) => new Map(entries)),
        );
      let planning = ahead ? planWave(waves[0]!) : undefined;
      let counting: Promise<void> | undefined;
      for (const [i, wave] of waves.entries()) {
        const planned = await planning;
        planning = ahead && i + 1 < waves.length ? planWave(waves[i + 1]!) : undefined;
        status.currentObject = `${wave.join(', ')} ${mode}`;
        status.running = { runKind, mode, objectTypes: wave };
        for (const t of wave) if (status.phaseProgress?.objects[t]) status.phaseProgress.objects[t].state = 'running';
        showDetails();
        results.push(...(await Promise.all(wave.map((objectType) => runObject(runKind, mode, objectType, concurrency, planned?.get(objectType))))));
        // One count at a time, and the last one after the last wave, awaited: what VERIFY and the status read.
        await counting;
        counting = ahead && i + 1 < waves.length ? handled(reconcile()) : undefined;
        if (!counting) await reconcile();
      }
    } else {
      for (const objectType of plan.objectTypes) {
        status.currentObject = `${objectType} ${mode}`;
        status.running = { runKind, mode, objectTypes: [objectType] };
        if (status.phaseProgress?.objects[objectType]) status.phaseProgress.objects[objectType].state = 'running';
        showDetails();
        results.push(await runObject(runKind, mode, objectType, concurrency));
        await reconcile();
      }
    }
    status.currentObject = undefined;
    status.running = undefined;
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

  // ── The phases ────────────────────────────────────────────────────────────────────────────────────────────────

  /** EXTRACT and AUDIT: stage the source (read-only), then the Data Quality Report. */
  const extractAndAudit = async () => {
    await setPhase('EXTRACT');
    const extract = await source.extractSource.executeWithOptions(
      { ...sourceActivity, summary: 'extract: read the Dentrix extract and stage it (read-only)' },
      [{ migrationId }],
    );
    status.extract = { tables: extract.tables, rowsRead: extract.rowsRead, rowsStaged: extract.rowsStaged, rowsRejected: extract.rowsRejected };

    await setPhase('AUDIT');
    const audit = await source.auditSource.executeWithOptions({ ...sourceActivity, summary: 'audit: the Data Quality Report' }, [{ migrationId }]);
    status.audit = audit.counts;
    status.reports.dataQuality = audit.reportPath;
    if (audit.htmlPath) status.reports.dataQualityHtml = audit.htmlPath;
  };

  /** MAPPING_REVIEW: a proposed map, then the gate until a version that validates is approved. */
  const reviewMap = async () => {
    await setPhase('MAPPING_REVIEW');
    // Before the workbook is made (its Owners sheet lists them): which providers have no Pipedrive user.
    if (patched(OWNERS_AT_REVIEW)) status.owners = await budgeted(() => short.matchOwners({ migrationId }));
    const proposal = await short.proposeMap.executeWithOptions({ ...shortActivity, summary: 'propose the field map and the mapping workbook' }, [
      { migrationId },
    ]);
    status.reports.proposedMap = proposal.mapPath;
    if (proposal.workbookPath) status.reports.mappingWorkbook = proposal.workbookPath;
    status.gateMessage = `proposed map v${proposal.version} (${proposal.fields} fields): review the workbook, then approve`;
    if (proposal.duplicates) {
      const { pairs, merged } = proposal.duplicates;
      status.gateMessage += `; ${pairs} probable duplicate patient pair(s), ${merged} to merge: see Duplicates`;
    }
    if (status.owners?.unmatchedCount) {
      status.gateMessage += `; ${status.owners.unmatchedCount} provider(s) have no Pipedrive user (${status.owners.recordsOnFallback} records to the fallback owner): see Owners`;
    }
    for (;;) {
      const decision = await gates.waitForDecision('MAPPING_REVIEW');
      await short.recordDecision({ migrationId, decision: decision.kind, ...decision.input });
      if (decision.kind === 'reject') {
        status.gateMessage = `rejected by ${decision.input.by}: import an edited workbook, then approve`;
        gates.settle(decision, { result: { gate: 'MAPPING_REVIEW', decision: 'reject', outcome: status.gateMessage } });
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
        gates.settle(decision, {
          result: {
            gate: 'MAPPING_REVIEW',
            decision: 'approve',
            mapVersion: approval.version,
            outcome: `map v${approval.version} approved: creating the schema, then the sample run`,
          },
        });
        return;
      }
      status.gateMessage = `approval refused, the map does not validate: ${approval.errors.slice(0, 5).join('; ')}`;
      gates.settle(decision, { refusal: status.gateMessage });
      showDetails();
    }
  };

  /** SCHEMA: the fingerprint before the first write, providers → users, then what the approved map needs. */
  const createSchema = async () => {
    await setPhase('SCHEMA');
    if (!status.fingerprints.beforeFirstWrite) {
      status.fingerprints.beforeFirstWrite = (await budgeted(() => short.takeFingerprint({ migrationId, label: 'before_first_write' }))).fingerprint;
    }
    const providers = await budgeted(() => short.resolveProviders({ migrationId }));
    if (providers.owners) status.owners = providers.owners; // as approved: the workbook's assignments applied
    await budgeted(() =>
      short.createSchema.executeWithOptions({ ...shortActivity, summary: 'create the custom fields, pipelines and stages the map needs' }, [{ migrationId }]),
    );
    anythingWritten = true;
  };

  /** SAMPLE and SAMPLE_REVIEW: load and verify the sample, then the gate; a rejected sample is rolled back. */
  const sampleAndReview = async (): Promise<{ approved: boolean; plan: RunPlan }> => {
    await setPhase('SAMPLE');
    sampleRuns++;
    await short.selectSample({ migrationId, size: options.sampleSize });
    const plan: RunPlan = await short.planRun({ migrationId, objectTypes: options.objectTypes });
    await runObjects('sample', 'load', plan);
    await runObjects('sample', 'verify', plan);
    const sample = await short.writeAccuracyReport.executeWithOptions({ ...shortActivity, summary: 'the sample diff report' }, [
      { migrationId, runKind: 'sample' },
    ]);
    const threshold = options.sampleAccuracyThreshold;
    status.sample = { ...sample, run: sampleRuns, threshold };
    if (sample.reportPath) status.reports.sampleDiff = sample.reportPath;

    await setPhase('SAMPLE_REVIEW');
    status.gateMessage = `sample accuracy ${sample.accuracy.toFixed(2)}% (threshold ${threshold}%)`;
    for (;;) {
      const decision = await gates.waitForDecision('SAMPLE_REVIEW', { run: sampleRuns, accuracy: sample.accuracy, threshold });
      if (decision.kind === 'reject') {
        await short.recordDecision({ migrationId, decision: 'reject', ...decision.input, sampleRun: sampleRuns });
        status.gateMessage = `sample rejected by ${decision.input.by}: rolling the sample back`;
        gates.settle(decision, {
          result: {
            gate: 'SAMPLE_REVIEW',
            decision: 'reject',
            sampleRun: sampleRuns,
            outcome: 'sample rejected: rolling it back, then back to MAPPING_REVIEW',
          },
        });
        await runRollback('sample', decision.input.by, decision.input.reason);
        return { approved: false, plan };
      }
      const below = sample.accuracy < threshold;
      if (below && !decision.input.overrideReason) {
        // Only signals queued in histories from before the gate rules get here; gates.ts refuses them up front.
        status.gateMessage =
          `approval refused: accuracy ${sample.accuracy.toFixed(2)}% is below ${threshold}%; ` +
          'reject to fix the map and re-run the sample, or approve with a written override reason';
        await short.recordDecision({ migrationId, gate: 'SAMPLE_REVIEW', decision: 'refused', by: decision.input.by });
        gates.settle(decision, { refusal: status.gateMessage });
        continue;
      }
      await short.recordDecision({
        migrationId,
        gate: 'SAMPLE_REVIEW',
        decision: below ? 'approve_override' : 'approve',
        by: decision.input.by,
        reason: decision.input.overrideReason,
        sampleRun: sampleRuns,
      });
      status.sample = { ...sample, run: sampleRuns, threshold, approvedBy: decision.input.by, overrideReason: decision.input.overrideReason };
      gates.settle(decision, {
        result: {
          gate: 'SAMPLE_REVIEW',
          decision: 'approve',
          sampleRun: sampleRuns,
          outcome: `sample run ${sampleRuns} approved${below ? ' with an override' : ''}: the full run starts`,
        },
      });
      return { approved: true, plan };
    }
  };

  /** FULL: every record in dependency order, then the image manifest (imaging files stay behind). */
  const fullRun = async (plan: RunPlan) => {
    await setPhase('FULL');
    await runObjects('full', 'load', plan);
    status.reports.imageManifest = (await short.writeImageManifest({ migrationId })).path;
  };

  /**
   * VERIFY: read everything back and compare field by field. When the reconciliation does not balance or the accuracy
   * is below the threshold, VERIFY_REVIEW waits for ops: go on with a written reason, or roll everything back (the
   * seed's rule: if reconciliation fails, roll back). Returns the rollback ops asked for there, if they did.
   */
  const verify = async (plan: RunPlan): Promise<RollbackInput | undefined> => {
    await setPhase('VERIFY');
    await runObjects('full', 'verify', plan);
    const verification = await short.writeAccuracyReport.executeWithOptions({ ...shortActivity, summary: 'the verification report' }, [
      { migrationId, runKind: 'full' },
    ]);
    status.verification = verification;
    if (verification.reportPath) status.reports.verification = verification.reportPath;
    if (!patched(VERIFY_REVIEW_GATE)) return undefined;
    const problems = verificationProblems(status.objects, balanced, verification.accuracy, options.sampleAccuracyThreshold);
    if (problems.length === 0) return undefined;

    status.verification = { ...verification, problems };
    await setPhase('VERIFY_REVIEW');
    status.gateMessage = `verification found problems: ${problems.join('; ')}`;
    for (;;) {
      const decision = await gates.waitForDecision('VERIFY_REVIEW');
      const { by } = decision.input;
      if (decision.kind === 'reject') {
        await short.recordDecision({ migrationId, decision: 'reject', ...decision.input });
        status.gateMessage = `verification rejected by ${by}: rolling everything back`;
        gates.settle(decision, { result: { gate: 'VERIFY_REVIEW', decision: 'reject', outcome: 'verification rejected: rolling everything back' } });
        return { by, reason: decision.input.reason };
      }
      const overrideReason = decision.input.overrideReason;
      if (!overrideReason?.trim()) {
        // gates.ts refuses such approvals up front; this guards a decision that got past it.
        status.gateMessage = 'approval refused: verification found problems, so going on needs a written override reason';
        await short.recordDecision({ migrationId, gate: 'VERIFY_REVIEW', decision: 'refused', by });
        gates.settle(decision, { refusal: status.gateMessage });
        continue;
      }
      await short.recordDecision({ migrationId, gate: 'VERIFY_REVIEW', decision: 'approve_override', by, reason: overrideReason });
      status.verification = { ...status.verification, approvedBy: by, overrideReason };
      status.gateMessage = undefined;
      const next = options.skipDelta ? 'finishing' : 'the delta window starts';
      gates.settle(decision, { result: { gate: 'VERIFY_REVIEW', decision: 'approve', outcome: `verification approved with an override: ${next}` } });
      return undefined;
    }
  };

  /** DELTA: the pick-up window, a child on durable timers, until cutover or its end. */
  const deltaWindow = async (plan: RunPlan) => {
    const objectTypes = plan.objectTypes;
    await setPhase('DELTA');
    const childId = `${workflowInfo().workflowId}-delta`;
    const forwardCutover = async () => {
      await condition(() => cutoverRequested);
      await getExternalWorkflowHandle(childId).signal(cutoverSignal, { by: 'operator' });
    };
    const delta = executeChild(deltaWorkflow, {
      workflowId: childId,
      args: [
        {
          migrationId,
          objectTypes,
          windowSeconds: options.deltaWindowSeconds,
          pollSeconds: options.deltaPollSeconds,
          batchSize: options.batchSize,
          concurrency: concurrencyOf(plan),
        },
      ],
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
  };

  /** DONE: the end fingerprint, and the staged PHI purged (nothing loads from staging again). */
  const finish = async () => {
    status.fingerprints.atEnd = (await budgeted(() => short.takeFingerprint({ migrationId, label: 'at_end' }))).fingerprint;
    if (patched(PURGE_AT_DONE)) await source.purgeStagedPhi({ migrationId, reason: options.skipDelta ? 'done (no delta window)' : 'cutover' });
    await setPhase('DONE');
  };

  /** ROLLING_BACK → ROLLED_BACK: the saga's compensation, run to the end even though the main scope was cancelled. */
  const rollBack = (request: RollbackInput) =>
    CancellationScope.nonCancellable(async () => {
      await setPhase('ROLLING_BACK');
      status.rollbackProgress = { scope: 'all', deleted: 0, alreadyGone: 0 };
      const rollback = await runRollback('all', request.by, request.reason);
      status.rollbackProgress = { scope: 'all', deleted: rollback.deleted, alreadyGone: rollback.alreadyGone };
      if (!anythingWritten) log.info('rollback requested before anything was written', { migrationId });
      const counts = await short.reconcile({ migrationId });
      status.objects = counts.objects;
      await setPhase('ROLLED_BACK');
      if (!rollback.proven) {
        status.error = 'rollback did not prove the account is back to its pre-migration state: see the rollback report';
        throw ApplicationFailure.nonRetryable(status.error, 'RollbackNotProven');
      }
      const result: MigrationResult = { status, rollback };
      if (patched(ROLLED_BACK_IS_NOT_SUCCESS)) {
        // Not Completed: the migration did not go through. The result rides in the failure's details (migrationResult).
        throw ApplicationFailure.create({
          type: FAILURE_TYPES.rolledBack,
          nonRetryable: true,
          message:
            `rolled back (requested by ${request.by}): ${rollback.deleted} record(s) deleted, ${rollback.alreadyGone} already gone; ` +
            'the Pipedrive account is back at its pre-migration fingerprint',
          details: [result],
        });
      }
      return result;
    });

  const phases = async () => {
    await extractAndAudit();
    for (;;) {
      await reviewMap();
      await createSchema();
      const sample = await sampleAndReview();
      if (!sample.approved) continue; // back to MAPPING_REVIEW with the sample rolled back
      await fullRun(sample.plan);
      const rollbackAsked = await verify(sample.plan);
      if (rollbackAsked) {
        rollbackRequest = rollbackAsked;
        return;
      }
      if (!options.skipDelta) await deltaWindow(sample.plan);
      break;
    }
    await finish();
  };

  /**
   * CANCEL_REVIEW: the migration was cancelled (the Web UI's "Request Cancellation", `temporal workflow cancel`). Its
   * loads have stopped; what was written stays until a person decides: roll everything back (`reject`, or `rollback`),
   * or keep it and end (`approve` with a written reason). Returns the rollback to run, or undefined to end cancelled.
   */
  const afterCancellation = () =>
    CancellationScope.nonCancellable(async (): Promise<RollbackInput | undefined> => {
      if (!anythingWritten) {
        status.error = 'cancelled before anything was written to Pipedrive';
        await setPhase('CANCELLED');
        return undefined;
      }
      await setPhase('CANCEL_REVIEW');
      status.gateMessage = 'cancelled: nothing more is written; what was already created stays in Pipedrive until you roll it back or keep it';
      const decided = await Promise.race([gates.waitForDecision('CANCEL_REVIEW'), condition(() => rollbackRequest !== undefined).then(() => undefined)]);
      status.waitingFor = undefined;
      status.gateMessage = undefined;
      if (!decided) return rollbackRequest;
      const { by } = decided.input;
      if (decided.kind === 'reject') {
        await short.recordDecision({ migrationId, decision: 'reject', ...decided.input });
        gates.settle(decided, { result: { gate: 'CANCEL_REVIEW', decision: 'reject', outcome: 'cancellation: rolling everything back' } });
        return { by, reason: decided.input.reason };
      }
      await short.recordDecision({ migrationId, gate: 'CANCEL_REVIEW', decision: 'keep_records', by, reason: decided.input.overrideReason });
      gates.settle(decided, {
        result: { gate: 'CANCEL_REVIEW', decision: 'approve', outcome: 'cancellation: the records created stay in Pipedrive; the migration ends cancelled' },
      });
      status.error = `cancelled; the records created were kept by ${by}`;
      await setPhase('CANCELLED');
      return undefined;
    });

  try {
    await main.run(phases);
  } catch (err) {
    const cancelled = isCancellation(err);
    if (cancelled && !rollbackRequest && patched(CANCEL_ASKS)) {
      const rollback = await afterCancellation();
      if (!rollback) throw err; // the workflow ends Cancelled, never Completed
      rollbackRequest = rollback;
    } else if (!(rollbackRequest && cancelled)) {
      status.error = rootCause(err);
      await CancellationScope.nonCancellable(() => setPhase('FAILED'));
      throw err;
    }
  }
  return rollbackRequest ? rollBack(rollbackRequest) : { status };
}

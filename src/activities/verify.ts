import { type Pool } from 'pg';
import { Context } from '@temporalio/activity';
import {
  convertToPipedriveBody,
  diffRecord,
  fromPipedriveRecord,
  reviewDiffs,
  type DiffOptions,
  type FieldKeys,
  type RecordDiff,
  type TargetEntity,
} from '../mapping';
import { keptForReview } from './kept-for-review';
import { dataObjectType, type ReadPass } from '../object-types/registry';
import { type PipedriveClient } from '../pipedrive/client';
import { Ledger, type LedgerEntry } from '../store/ledger';
import { publishReport } from './publish-report';
import { fieldDiffAccuracy, saveFieldDiffs } from '../store/field-diffs';
import { getRun } from '../store/runs';
import { readBatchContext } from '../store/batch-context';
import { countWorkItems, ledgerChangedAt, workItemsInRange } from '../store/work';
import type { AccuracySummary, BatchInput, MigrationRef, RunKind, VerifyBatchResult } from './contracts';
import { type ActivityDeps } from './deps';
import { accountFieldKeys } from './field-keys';
import { buildBatch, type BuiltBatch } from '../engine/build';
import { reviewFileKey, sourceKeyOf } from '../mapping/source-keys';
import { buildSettings, stagingReads } from './load';
import { heartbeat } from './heartbeat';
import { approvedMapLoader } from './mapping';
import { rethrowAsFailure } from '../failures';
import { describeLinks, linkReconciliation } from './link-reconciliation';
import { linkSummary } from './reconciliation';
import { writeJsonReport, writeReportFile } from './report-files';
import { MigrationOptionsSchema } from '../config';
import { renderAccuracyHtml } from '../reports/accuracy-html';
import { discrepancyExamples, rejectedRecords } from '../store/report-examples';

type ApiRecord = Record<string, unknown>;

const chunk = <T>(xs: T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

/**
 * Reads a batch's records back with the type's cheapest reads for it, the registry's `readBack`: one account listing
 * shared by the pass's batches (a verification of one run) when that costs least, else `ids` lists of 100, deal
 * products by 100 deals, one GET or one listing per person for notes and files, whichever the specs price lowest.
 */
async function readBack(
  client: PipedriveClient,
  entity: TargetEntity,
  entries: LedgerEntry[],
  personOf: Map<string, number>,
  pass: ReadPass,
): Promise<Map<string, ApiRecord>> {
  const ids = entries.map((e) => e.pipedriveId!).filter(Boolean);
  const persons = [...new Set(entries.map((e) => personOf.get(e.sourceKey)).filter((p): p is number => p !== undefined))];
  return dataObjectType(entity).ops.readBack(client, ids, persons, pass);
}

/**
 * The pass a verify batch belongs to: one verification of the type (its verify workflow's run), whose batches share
 * one account listing. A later verification is another pass and lists the account again, so it sees what staff changed
 * in Pipedrive since; the key also changes with the type's ledger (a record created, updated or deleted since), so a
 * shared listing never predates a write the migration made. `records` is what the whole pass reads.
 */
async function readPass(pool: Pool, migrationId: string, runKind: RunKind, objectType: string): Promise<ReadPass> {
  const changedAt = await ledgerChangedAt(pool, migrationId, objectType);
  const verification = Context.current().info.workflowExecution?.runId ?? '';
  return {
    key: `${migrationId}/${runKind}/${verification}/${changedAt ?? ''}`,
    records: await countWorkItems(pool, migrationId, runKind, objectType),
  };
}

async function saveDiffs(pool: Pool, migrationId: string, runKind: RunKind, diffs: RecordDiff[]): Promise<void> {
  const rows = diffs.flatMap((d) => d.fields.map((f) => ({ entity: d.entity, sourceKey: d.sourceKey, ...f })));
  for (const group of chunk(rows, 1000)) {
    await saveFieldDiffs(
      pool,
      migrationId,
      runKind,
      group.map((r) => ({
        objectType: r.entity,
        sourceKey: r.sourceKey,
        field: r.field,
        matched: r.matched,
        category: r.category ?? null,
        expected: r.expected ?? null,
        actual: r.actual ?? null,
      })),
    );
  }
}

/**
 * The records of the batch whose review file Pipedrive holds whole: the file its ledger row names is live, carries the
 * record's review-file key in its name and has the size of the text built now (few records have one: read one by one,
 * or by an account listing when that costs less).
 */
async function heldReviewFiles(pool: Pool, client: PipedriveClient, migrationId: string, built: BuiltBatch): Promise<Set<string>> {
  /** Record key → its review file's text. */
  const expected = new Map<string, string>();
  for (const [key, { outcome }] of built) if (outcome.kind === 'record' && outcome.reviewFile !== undefined) expected.set(key, outcome.reviewFile);
  const held = new Set<string>();
  if (expected.size === 0) return held;
  const ledger = await new Ledger(pool).getMany(migrationId, 'file', [...expected.keys()].map(reviewFileKey));
  const ids = [...ledger.values()].flatMap((e) => (e.state === 'created' && e.pipedriveId ? [e.pipedriveId] : []));
  const files = ids.length === 0 ? new Map<string, ApiRecord>() : await dataObjectType('file').ops.readBack(client, ids, []);
  for (const [key, text] of expected) {
    const entry = ledger.get(reviewFileKey(key));
    const file = entry?.state === 'created' && entry.pipedriveId ? files.get(entry.pipedriveId) : undefined;
    if (file && sourceKeyOf('file', file, {}) === reviewFileKey(key) && file.file_size === Buffer.byteLength(text, 'utf8')) held.add(key);
  }
  return held;
}

/** Example records per object type and discrepancy category on the HTML page; source keys listed per rejection reason. */
const EXAMPLES_PER_CATEGORY = 5;
const REJECTED_KEYS_LISTED = 20;

/** The migration's approval threshold: the option it was started with, else that option's default (config.ts). */
function accuracyThreshold(options: Record<string, unknown>): number {
  const option = MigrationOptionsSchema.shape.sampleAccuracyThreshold;
  const parsed = option.safeParse(options.sampleAccuracyThreshold);
  return parsed.success ? parsed.data : option.parse(undefined);
}

/** The sample's field-level diff and the full run's verification: expected (rebuilt from staging) vs read back. */
export function createVerifyActivities(deps: ActivityDeps) {
  const { pool, settings, now = () => new Date() } = deps;
  const loadApproved = approvedMapLoader(pool);

  return {
    async verifyBatch(input: BatchInput): Promise<VerifyBatchResult> {
      const { migrationId, objectType, runKind } = input;
      const entity = objectType as TargetEntity;
      const items = await workItemsInRange(pool, input);
      const result: VerifyBatchResult = { recordsCompared: 0, fieldsCompared: 0, fieldsMatched: 0, discrepancies: 0 };
      if (items.length === 0) return result;
      const context = await readBatchContext(pool, migrationId);
      const { run } = context;
      const client = deps.pipedriveFor(run.pipedriveBaseUrl);
      const approved = await loadApproved(migrationId, context.approvedMapVersion);
      const fieldKeys: FieldKeys = accountFieldKeys(context.fieldKeys);
      const keys = items.map((i) => i.sourceKey);
      const entries = await new Ledger(pool).getMany(migrationId, objectType, keys);
      const built = await buildBatch(stagingReads(pool, run), buildSettings(run, approved, settings), entity, keys);

      const created = [...entries.values()].filter((e) => (e.state === 'created' || e.state === 'reused') && e.pipedriveId);
      const personOf = new Map<string, number>();
      for (const e of created) {
        const o = built.get(e.sourceKey)?.outcome;
        if (o?.kind === 'record' && typeof o.record.fields.person_id === 'number') personOf.set(e.sourceKey, o.record.fields.person_id);
      }
      let actual: Map<string, ApiRecord>;
      try {
        // The read-back can take many requests (files, notes by person): the liveness ticks say the worker lives.
        actual = await readBack(client, entity, created, personOf, await readPass(pool, migrationId, runKind, objectType));
        heartbeat({ readBack: actual.size });
      } catch (err) {
        rethrowAsFailure(err, settings.budgetResetTimeZone);
      }

      const reviewFiles = await heldReviewFiles(pool, client, migrationId, built);

      const diffs: RecordDiff[] = [];
      for (const key of keys) {
        const outcome = built.get(key)?.outcome;
        const entry = entries.get(key);
        // Skipped by rule and rejected-as-bad-data records are accounted for by reconciliation, not compared.
        if (!outcome || outcome.kind !== 'record') continue;
        const options: DiffOptions = { sourceKey: key };
        if (entry?.state === 'rejected') {
          options.rejectedByApi = entry.reason?.startsWith('Pipedrive refused') ?? false;
          const { problems } = convertToPipedriveBody(entity, outcome.record, fieldKeys, { mode: 'create' });
          options.fieldProblems = Object.fromEntries(
            problems.map((p) => [`custom:${p.field}`, p.kind === 'type_mismatch' ? 'rejected_by_api' : p.kind] as const),
          );
        }
        const apiRecord = entry?.pipedriveId ? actual.get(entry.pipedriveId) : undefined;
        let actualRecord = apiRecord ? fromPipedriveRecord(entity, apiRecord, fieldKeys) : undefined;
        let expected = outcome.record;
        if (entry?.state === 'reused' && entity === 'product') {
          // A reused product is the account's own: the migration wrote none of its fields and linked deals to it by
          // its code, matched regardless of case. That match is what is verified.
          const code = (r: { fields: Record<string, unknown> }) => (typeof r.fields.code === 'string' ? r.fields.code.trim().toUpperCase() : null);
          expected = { ...expected, fields: { code: code(expected) }, custom: {} };
          if (actualRecord) actualRecord = { ...actualRecord, fields: { ...actualRecord.fields, code: code(actualRecord) } };
        }
        const diff = diffRecord(entity, expected, actualRecord, approved.map, options);
        // The source side: every value the map could not put in its field is looked for on the record in Pipedrive.
        // A reused product is the account's own (nothing of ours was written to it).
        if (!(entry?.state === 'reused' && entity === 'product'))
          diff.fields.push(
            ...reviewDiffs(outcome.review ?? [], actualRecord, outcome.reviewFile === undefined ? undefined : reviewFiles.has(key) ? 'held' : 'missing'),
          );
        diffs.push(diff);
      }
      await saveDiffs(pool, migrationId, runKind, diffs);
      for (const d of diffs) {
        result.recordsCompared++;
        for (const f of d.fields) {
          result.fieldsCompared++;
          if (f.matched) result.fieldsMatched++;
          else result.discrepancies++;
        }
      }
      return result;
    },

    /** Accuracy per field and per object type, discrepancies by category: JSON and HTML, summary PHI-free. */
    async writeAccuracyReport({ migrationId, runKind }: MigrationRef & { runKind: RunKind }): Promise<AccuracySummary> {
      const { perField, perCategory, records, mismatches } = await fieldDiffAccuracy(pool, migrationId, runKind);
      const byObject: Record<string, { compared: number; matched: number; accuracy: number; records: number }> = {};
      let compared = 0;
      let matched = 0;
      for (const r of perField) {
        const o = (byObject[r.object_type] ??= { compared: 0, matched: 0, accuracy: 100, records: 0 });
        o.compared += Number(r.compared);
        o.matched += Number(r.matched);
        compared += Number(r.compared);
        matched += Number(r.matched);
      }
      for (const r of records) if (byObject[r.object_type]) byObject[r.object_type]!.records = Number(r.n);
      for (const o of Object.values(byObject)) o.accuracy = o.compared ? (100 * o.matched) / o.compared : 100;
      const accuracy = compared ? (100 * matched) / compared : 100;
      const recordsCompared = records.reduce((n, r) => n + Number(r.n), 0);
      const name = runKind === 'sample' ? 'sample-diff' : runKind === 'full' ? 'verification' : `verification-${runKind}`;
      const report = {
        migrationId,
        runKind,
        generatedAt: now().toISOString(),
        accuracy,
        fieldsCompared: compared,
        fieldsMatched: matched,
        recordsCompared,
        byObject,
        byField: perField.map((r) => ({
          object: r.object_type,
          field: r.field,
          compared: Number(r.compared),
          matched: Number(r.matched),
          accuracy: (100 * Number(r.matched)) / Number(r.compared),
        })),
        byCategory: perCategory.map((r) => ({ object: r.object_type, category: r.category, count: Number(r.n) })),
        discrepancies: mismatches,
        // Source values refused or shortened by the map, by field and kind, and how many Pipedrive holds on their record.
        keptForReview: keptForReview(perField),
        // Per object type: records created again because the one the id map held was gone from Pipedrive.
        recreated: await new Ledger(pool).recreatedByType(migrationId),
        // Links and owners of the records compared here, from the same read-back (no extra requests).
        links: runKind === 'full' || runKind === 'sample' ? await linkReconciliation(pool, migrationId, runKind) : undefined,
        // The approval threshold this migration was started with (SAMPLE_REVIEW's, and VERIFY's).
        threshold: accuracyThreshold((await getRun(pool, migrationId)).options),
        // Rejected records by object type and reason (the sample's only, for the sample diff): ids and reasons, no values.
        rejected: await rejectedRecords(pool, migrationId, runKind === 'sample' ? 'sample' : 'all', REJECTED_KEYS_LISTED),
      };
      const reportPath = await writeJsonReport(settings, migrationId, `${name}.json`, report);
      // The page shows ids and counts only: every field but the compared values (`discrepancies`), which stay in the JSON.
      const { discrepancies: _values, ...page } = report;
      const htmlPath = await writeReportFile(
        settings,
        migrationId,
        `${name}.html`,
        renderAccuracyHtml({ ...page, examples: await discrepancyExamples(pool, migrationId, runKind, EXAMPLES_PER_CATEGORY) }),
      );
      const summary: AccuracySummary = { accuracy, fieldsCompared: compared, discrepancies: compared - matched, recordsCompared, reportPath };
      await publishReport(pool, migrationId, name, [reportPath, htmlPath], {
        accuracy,
        threshold: report.threshold,
        fieldsCompared: compared,
        discrepancies: compared - matched,
        keptForReview: report.keptForReview.values,
        keptForReviewMissing: report.keptForReview.values - report.keptForReview.inPipedrive,
        ...(report.links ? { ...linkSummary(report.links), linkLines: describeLinks(report.links) } : {}),
      });
      return summary;
    },
  };
}

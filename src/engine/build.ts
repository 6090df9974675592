import type { DeclaredFile } from '../dentrix/confined-files';
import { permanent } from '../failures';
import {
  buildRecord,
  redirectRef,
  referencesOf,
  sourceKeys,
  mergeDuplicates,
  type BuildContext,
  type BuildOutcome,
  type FetchPlanOptions,
  type FieldMap,
  type MergePlan,
  type PhiDecisions,
  type RefKey,
  type SourceBundle,
  type TargetEntity,
} from '../mapping';
import type { StagingSource } from './ports';

/**
 * What a batch writes and what verification compares it with: each work item's record built by the mapping layer's
 * pure builders from its source bundle, its references resolved from the id map (a merged duplicate's records link to
 * its survivor), a merged survivor given the contacts of its duplicates. The reads behind it are a port, so the load
 * and the verification build the same way.
 */

/** The reads a build needs: staging, the id map, the extract's document files. */
export interface StagingReads {
  /** The source bundles of these keys (a key whose driving row is gone is missing). */
  bundles(entity: TargetEntity, sourceKeys: string[], options: FetchPlanOptions): Promise<Map<string, SourceBundle>>;
  /** The Pipedrive ids of these references the id map holds, keyed `objectType|sourceKey`. */
  resolve(refs: RefKey[]): Promise<Map<string, number>>;
  /** A document's file, read and checked against what the extract declares, or why it cannot be uploaded. */
  documentFile(filePath: string | null, declared: DeclaredFile): Promise<{ content: Buffer } | { reason: string }>;
}

/** What a run builds with: the practice's zone and currency, the approved map and decisions, the fallback owner's key. */
export interface BuildSettings {
  timezone: string | null;
  currency: string | null;
  approved: { map: FieldMap; phi: PhiDecisions; merges: MergePlan };
  imageArchiveBaseUrl: string;
  /** The id-map key of the owner of records whose provider has no Pipedrive user. */
  fallbackOwnerKey: string;
}

export type BuiltBatch = Map<string, { bundle?: SourceBundle; outcome: BuildOutcome }>;

/** Builds every record of a batch from staging: bundles, references resolved from the id map, pure builders. */
export async function buildBatch(reads: StagingReads, settings: BuildSettings, entity: TargetEntity, keys: string[]): Promise<BuiltBatch> {
  const { approved } = settings;
  const options = approved.map.options;
  const bundles = await reads.bundles(entity, keys, { newPatientBooking: options.newPatientBooking });
  const refs: RefKey[] = [{ objectType: 'user', sourceKey: settings.fallbackOwnerKey }];
  // A merged duplicate's records link to its survivor's person.
  for (const bundle of bundles.values()) refs.push(...referencesOf(entity, bundle as never, approved.map, options).map((r) => redirectRef(approved.merges, r)));
  const resolved = await reads.resolve(refs);
  const fallbackOwnerId = resolved.get(`user|${settings.fallbackOwnerKey}`);
  if (fallbackOwnerId === undefined) throw permanent('providers are not resolved yet (no fallback owner): run the SCHEMA phase first');
  const ctx: BuildContext = {
    timezone: settings.timezone ?? 'UTC',
    currency: settings.currency ?? permanentMissing('the practice currency is not recorded: run EXTRACT first'),
    resolveRef: (objectType, sourceKey) => {
      const ref = redirectRef(approved.merges, { objectType, sourceKey });
      return resolved.get(`${ref.objectType}|${ref.sourceKey}`);
    },
    fallbackOwnerId,
    phi: approved.phi,
    options: { imageArchiveBaseUrl: settings.imageArchiveBaseUrl },
    map: approved.map,
    merges: approved.merges,
  };
  const out: BuiltBatch = new Map();
  for (const key of keys) {
    const bundle = bundles.get(key);
    out.set(
      key,
      bundle
        ? { bundle, outcome: buildRecord(entity, bundle as never, ctx) }
        : { outcome: { kind: 'reject', entity, sourceKey: key, column: null, reason: 'the source row is no longer in staging' } },
    );
  }
  if (entity === 'person') await addDuplicateContacts(reads, out, ctx);
  return out;
}

/**
 * A merged pair's survivor also holds what the duplicates merged into it held: each duplicate is built as if it were
 * not merged (the same approved map and PHI decisions); its emails and phones the survivor lacks are added to the
 * survivor's record, its other values the survivor does not hold are kept for review on it (mergeDuplicates). Verification rebuilds the same way; a delta change to a duplicate re-plans its
 * survivor (see deltaPoll).
 */
async function addDuplicateContacts(reads: StagingReads, built: BuiltBatch, ctx: BuildContext): Promise<void> {
  const survivors = [...built].filter(
    ([, b]) => b.bundle?.kind === 'patient' && b.outcome.kind === 'record' && ctx.merges?.duplicatesOf.has(b.bundle.patient.patient_id),
  );
  if (survivors.length === 0) return;
  const duplicateKeys = survivors
    .flatMap(([, b]) => (b.bundle?.kind === 'patient' ? (ctx.merges?.duplicatesOf.get(b.bundle.patient.patient_id) ?? []) : []))
    .map((id) => sourceKeys.patient(id));
  const duplicates = await reads.bundles('person', duplicateKeys, { newPatientBooking: ctx.map.options.newPatientBooking });
  const unmerged: BuildContext = { ...ctx, merges: undefined };
  for (const [, b] of survivors) {
    if (b.bundle?.kind !== 'patient' || b.outcome.kind !== 'record') continue;
    const records = (ctx.merges?.duplicatesOf.get(b.bundle.patient.patient_id) ?? []).flatMap((id) => {
      const sourceKey = sourceKeys.patient(id);
      const bundle = duplicates.get(sourceKey);
      const outcome = bundle && buildRecord('person', bundle as never, unmerged);
      return outcome?.kind === 'record' ? [{ sourceKey, record: outcome.record }] : [];
    });
    b.outcome = { ...b.outcome, ...mergeDuplicates(b.outcome, records) };
  }
}

function permanentMissing(message: string): never {
  throw permanent(message);
}

/** The write engine's StagingSource: records built from staging (a document with its declared size and hash), checked document bytes. */
export function stagingSource(reads: StagingReads, settings: BuildSettings): StagingSource {
  return {
    async build(entity, keys) {
      const built = await buildBatch(reads, settings, entity, keys);
      return new Map(
        [...built].map(([key, { bundle, outcome }]) => {
          const document = bundle?.kind === 'document' ? bundle.document : undefined;
          return [key, { outcome, declared: document ? { sizeBytes: document.size_bytes, sha256: document.sha256 } : undefined }];
        }),
      );
    },
    documentFile: (filePath, declared) => reads.documentFile(filePath, declared),
  };
}

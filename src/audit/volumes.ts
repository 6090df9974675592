import { readDocumentFile } from '../dentrix/confined-files';
import type { ExtractSourceSpec } from '../dentrix/extract-reader';
import { IMAGING_DOCUMENT_TYPES } from '../dentrix/types';
import type { ClinicalNoteVolume, DocumentFileChecks, DocumentVolume } from './report';
import { clinicalNoteRow, documentTypeRows, forEachMovableDocument } from '../store/source-audit';
import { type AuditContext, KeyCollector } from './sql';

const LONG_NOTE = 10_000;

/** How much clinical narrative there is (it moves only if the practice approves it): counts and lengths, no text. */
export async function clinicalNoteVolume(ctx: AuditContext): Promise<ClinicalNoteVolume> {
  const row = await clinicalNoteRow(ctx.db, ctx, LONG_NOTE);
  const total = row.total ?? 0;
  return {
    notes: row.notes,
    withText: row.with_text,
    totalCharacters: total,
    longestCharacters: row.longest ?? 0,
    longestNoteId: row.longest_id,
    averageCharacters: row.with_text === 0 ? 0 : Math.round(total / row.with_text),
    over10kCharacters: row.long_notes,
  };
}

/**
 * Documents by type: imaging stays in the practice's archive (a link moves), the rest can move as files; and the
 * files of those that can move, checked as the load checks them (`source` is where they are).
 */
export async function documentVolume(
  ctx: AuditContext,
  source: ExtractSourceSpec,
  onProgress: (section: string) => void = () => undefined,
): Promise<DocumentVolume> {
  const rows = await documentTypeRows(ctx.db, ctx);
  const imagingTypes = new Set<string>(IMAGING_DOCUMENT_TYPES);
  const byType = rows.map((r) => ({ docType: r.doc_type, files: r.files, bytes: r.bytes ?? 0, imaging: imagingTypes.has(r.doc_type) }));
  const sum = (imaging: boolean, field: 'files' | 'bytes'): number => byType.filter((t) => t.imaging === imaging).reduce((total, t) => total + t[field], 0);
  return {
    imaging: { files: sum(true, 'files'), bytes: sum(true, 'bytes') },
    movableAsFiles: { files: sum(false, 'files'), bytes: sum(false, 'bytes') },
    withoutSize: rows.reduce((total, r) => total + r.without_size, 0),
    byType,
    fileChecks: await documentFileChecks(ctx, source, onProgress),
  };
}

/** Reads every non-imaging document's file as the load would (confined, regular, declared size and sha256). */
async function documentFileChecks(ctx: AuditContext, source: ExtractSourceSpec, onProgress: (section: string) => void): Promise<DocumentFileChecks> {
  const byKind = new Map<string, KeyCollector>();
  let checked = 0;
  let lastProgress = Date.now();
  await forEachMovableDocument(
    ctx.db,
    ctx,
    IMAGING_DOCUMENT_TYPES,
    async (batch) => {
      for (const d of batch) {
        const read = await readDocumentFile(source, d.file_path, { sizeBytes: d.size_bytes === null ? null : Number(d.size_bytes), sha256: d.sha256 });
        checked++;
        if ('reason' in read) {
          let keys = byKind.get(read.kind);
          if (!keys) byKind.set(read.kind, (keys = new KeyCollector(ctx.maxListed)));
          keys.add(d.source_key);
        }
        if (Date.now() - lastProgress > 10_000) {
          onProgress(`document files (${checked} checked)`);
          lastProgress = Date.now();
        }
      }
    },
    500,
  );
  const byReason = [...byKind]
    .map(([kind, keys]) => ({ kind, documents: keys.toList() }))
    .sort((a, b) => b.documents.count - a.documents.count || a.kind.localeCompare(b.kind));
  return { checked, refused: byReason.reduce((total, r) => total + r.documents.count, 0), byReason };
}

import { stringify } from 'csv-stringify/sync';
import { imageManifestEntry } from '../mapping';
import { Ledger } from '../store/ledger';
import { stagedData } from '../store/staged-rows';
import { publishReport } from './publish-report';
import type { DocumentRow } from '../dentrix/types';
import type { MigrationRef } from './contracts';
import { type ActivityDeps } from './deps';
import { writeJsonReport, writeReportFile } from './report-files';

/**
 * Imaging (X-rays, intraoral photos, CBCT, panoramic) stays in the practice's archive: this manifest lists every
 * imaging document with its file, checksum and the person's archive link and Pipedrive id, for the archive export
 * that runs beside the migration.
 */
export function createImageManifestActivities({ pool, settings }: ActivityDeps) {
  return {
    async writeImageManifest({ migrationId }: MigrationRef): Promise<{ images: number; bytes: number; path: string }> {
      const documents = await stagedData<DocumentRow>(pool, migrationId, 'document');
      const entries = documents
        .map((document) => imageManifestEntry({ kind: 'document', document }, { imageArchiveBaseUrl: settings.imageArchiveBaseUrl }))
        .filter((e): e is NonNullable<typeof e> => e !== undefined);
      const persons = await new Ledger(pool).resolve(
        migrationId,
        entries.filter((e) => e.personSourceKey).map((e) => ({ objectType: 'person', sourceKey: e.personSourceKey! })),
      );
      const withIds = entries.map((e) => ({ ...e, pipedrivePersonId: e.personSourceKey ? (persons.get(`person|${e.personSourceKey}`) ?? null) : null }));
      const bytes = withIds.reduce((n, e) => n + (e.sizeBytes ?? 0), 0);
      const path = await writeJsonReport(settings, migrationId, 'image-manifest.json', { migrationId, images: withIds.length, bytes, entries: withIds });
      const csvPath = await writeReportFile(
        settings,
        migrationId,
        'image-manifest.csv',
        stringify(withIds, {
          header: true,
          columns: ['documentKey', 'personSourceKey', 'pipedrivePersonId', 'docType', 'filePath', 'sizeBytes', 'sha256', 'archiveUrl'],
        }),
      );
      await publishReport(pool, migrationId, 'image-manifest', [path, csvPath], { images: withIds.length, bytes });
      return { images: withIds.length, bytes, path };
    },
  };
}

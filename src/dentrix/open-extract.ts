import type { ExtractReader, ExtractSourceSpec } from './extract-reader';
import { FolderExtractReader } from './folder-reader';
import { SqlMirrorReader } from './sql-reader';

/**
 * Opens a Dentrix extract, either shape. Fails at once, naming the table or setting, when the source is unusable:
 * no manifest, a required table (provider, patient) missing, a SQL mirror without a known time zone.
 */
export async function openExtract(spec: ExtractSourceSpec): Promise<ExtractReader> {
  switch (spec.kind) {
    case 'folder':
      return FolderExtractReader.open(spec.path);
    case 'sql':
      return SqlMirrorReader.open(spec);
  }
}

import { readdir } from 'node:fs/promises';
import { type Readable } from 'node:stream';
import { confinedPath, type FileRefusal, handleStream, locateConfinedFile, openConfinedFile, readConfinedFile } from './confined-files';
import { isUtf8Stream } from './csv-records';
import { ExtractConfigError, ExtractFormatError, MissingTableError } from './errors';
import type { ExtractReader } from './extract-reader';
import { parseManifest } from './manifest';
import { readTableStream } from './table-stream';
import { DENTRIX_TABLES, type DentrixTable, type ExtractManifest, type ReadResult, REQUIRED_TABLES, type TableIssue } from './types';

export const MANIFEST_FILE = 'manifest.json';
export const DOCUMENTS_DIR = 'documents';

/**
 * Reads an extract folder: manifest.json, one `<table>.csv` per present table (file names matched case-insensitively).
 * Every file is read only inside the folder's real path and only if it is a regular file (links that leave the
 * folder, FIFOs, devices, directories are refused with an error naming the file and why), from the handle checked.
 */
export class FolderExtractReader implements ExtractReader {
  private readonly issuesByTable = new Map<DentrixTable, TableIssue[]>();

  private constructor(
    readonly folder: string,
    private readonly extractManifest: ExtractManifest,
    private readonly files: Map<DentrixTable, string>,
  ) {}

  static async open(folder: string): Promise<FolderExtractReader> {
    let entries: string[];
    try {
      entries = await readdir(folder);
    } catch {
      throw new ExtractConfigError(`Dentrix extract folder ${folder} cannot be read`, 'source.path');
    }
    const manifestFile = entries.find((name) => name.toLowerCase() === MANIFEST_FILE);
    if (!manifestFile) throw new ExtractFormatError(`Dentrix extract folder ${folder} has no ${MANIFEST_FILE}`, null);
    const manifestBytes = await readConfinedFile(folder, manifestFile);
    if ('refusal' in manifestBytes) throw refusedFile(folder, manifestFile, null, manifestBytes.refusal);
    let json: unknown;
    try {
      json = JSON.parse(manifestBytes.content.toString('utf8').replace(/^\uFEFF/, ''));
    } catch {
      throw new ExtractFormatError(`${MANIFEST_FILE} in ${folder} is not valid JSON`, null);
    }
    const manifest = parseManifest(json, MANIFEST_FILE);

    const files = new Map<DentrixTable, string>();
    for (const name of entries) {
      const lower = name.toLowerCase();
      if (!lower.endsWith('.csv')) continue;
      const table = lower.slice(0, -4) as DentrixTable;
      if ((DENTRIX_TABLES as readonly string[]).includes(table) && !files.has(table)) files.set(table, name);
    }
    for (const [table, name] of files) {
      const located = await locateConfinedFile(folder, name);
      if ('refusal' in located) throw refusedFile(folder, name, table, located.refusal);
    }
    for (const table of REQUIRED_TABLES) {
      if (!files.has(table)) throw new MissingTableError(table);
    }
    for (const table of DENTRIX_TABLES) {
      const promised = manifest.tables[table]?.rows ?? 0;
      if (!files.has(table) && promised > 0) {
        throw new MissingTableError(table, `although the manifest promises ${promised} rows`);
      }
    }
    return new FolderExtractReader(folder, manifest, files);
  }

  async manifest(): Promise<ExtractManifest> {
    return this.extractManifest;
  }

  async tables(): Promise<DentrixTable[]> {
    return DENTRIX_TABLES.filter((table) => this.files.has(table));
  }

  readTable<T extends DentrixTable>(table: T): AsyncIterable<ReadResult<T>> {
    const file = this.files.get(table);
    const issues: TableIssue[] = [];
    this.issuesByTable.set(table, issues);
    if (!file) return (async function* () {})();
    const folder = this.folder;
    const manifest = this.extractManifest;
    return (async function* () {
      // Checked again as it is opened (the folder may have changed since open()); both passes read this handle.
      const opened = await openConfinedFile(folder, file);
      if ('refusal' in opened) throw refusedFile(folder, file, table, opened.refusal);
      const { handle } = opened;
      // Nearly every file is valid UTF-8: check that first (cheap) and let csv-parse decode whole records; only a
      // file with other bytes pays for deciding each field's encoding.
      let bytes: Readable | undefined;
      try {
        const valid = await isUtf8Stream(handleStream(handle, 1 << 20));
        bytes = handleStream(handle, 256 * 1024);
        yield* readTableStream(table, bytes, {
          ctx: { timezone: manifest.practice.timezone },
          manifestRows: manifest.tables[table]?.rows,
          position: 'line',
          decoding: valid ? 'utf8' : 'per-field',
          tableIssues: issues,
          origin: file,
        });
      } finally {
        bytes?.destroy();
        await handle.close().catch(() => undefined);
      }
    })();
  }

  tableIssues(table: DentrixTable): TableIssue[] {
    return [...(this.issuesByTable.get(table) ?? [])];
  }

  async close(): Promise<void> {}
}

/** The error for a file of the extract folder that is not read: it names the file and why, never its content. */
function refusedFile(folder: string, name: string, table: DentrixTable | null, refusal: FileRefusal): ExtractFormatError {
  return new ExtractFormatError(`${name} in Dentrix extract folder ${folder} is refused: ${refusal.detail}`, table);
}

/**
 * The absolute path of a document row's file by its text, refusing paths that leave the extract folder (`..`,
 * absolute paths): file_path comes from the source and is not trusted. Text only: reading the file goes through
 * `readConfinedFile` (confined-files.ts), which also resolves links and refuses special files.
 */
export function resolveDocumentFile(extractFolder: string, filePath: string): string {
  const resolved = confinedPath(extractFolder, filePath);
  if (!resolved) throw new ExtractFormatError('document file_path points outside the extract folder', 'document');
  return resolved;
}

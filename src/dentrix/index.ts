/** The Dentrix source side: readers for both extract shapes, staging into the store, row schemas, errors. */
export * from './types';
export { TABLE_COLUMNS, contractColumns, columnSpec, type ColumnKind, type ColumnSpec } from './columns';
export { coerceValue, type Coerced, type CoercionContext } from './coerce';
export { canonicalJson, contentHash } from './canonical-json';
export { ExtractError, ExtractConfigError, ExtractFormatError, ExtractIncompleteError, MissingTableError, TableRowCountError } from './errors';
export type { ExtractReader, ExtractSourceSpec } from './extract-reader';
export { openExtract } from './open-extract';
export { FolderExtractReader, resolveDocumentFile, MANIFEST_FILE, DOCUMENTS_DIR } from './folder-reader';
export { SqlMirrorReader, DEFAULT_MIRROR_SCHEMA, MIRROR_MANIFEST_TABLE } from './sql-reader';
export { ExtractManifestSchema, parseManifest } from './manifest';
export { DENTRIX_ROW_SCHEMAS, parseStagedRow } from './schemas';
export { stageExtract, type ExtractCounts, type StageOptions, type TableExtractCounts } from './staging';

/** The Dentrix source side: readers for both extract shapes, staging into the store, row schemas, errors. */
export * from './types';
export { contractColumns, columnSpec } from './columns';
export { canonicalJson } from './canonical-json';
export { ExtractError } from './errors';
export type { ExtractReader, ExtractSourceSpec } from './extract-reader';
export { openExtract } from './open-extract';
export { resolveDocumentFile, MANIFEST_FILE } from './folder-reader';
export { DENTRIX_ROW_SCHEMAS, parseStagedRow } from './schemas';
export { stageExtract } from './staging';

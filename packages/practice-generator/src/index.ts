import { PracticeGenerator } from './practice';
import type { PracticeGenerationOptions, PracticeProfile } from './profiles';
import { FolderSink, type PracticeSink, SqlSink } from './sinks';
import type { GeneratorTruth } from './truth';
import type { ExtractManifest } from '../../../src/dentrix/types';

export { PROFILES, type PracticeProfile, type PracticeGenerationOptions } from './profiles';
export { DEFAULT_DIRT_RATES, TRUTH_FILE, type DirtItem, type DirtKind, type DirtRates, type DirtRecord, type GeneratorTruth } from './truth';
export { GENERATOR_TRUTH_TABLE } from './sinks';
export { writeExtractFolder, type WriteExtractFolderOptions } from './write-extract-folder';

export interface GeneratePracticeOptions extends PracticeGenerationOptions {
  outDir: string;
  encoding?: 'utf8' | 'utf8-bom';
}

export interface GeneratePracticeToSqlOptions extends PracticeGenerationOptions {
  profile: PracticeProfile;
  connectionString: string;
  schema: string;
  /** `native` (default): integer, numeric, boolean, date and timestamp columns; `text`: every column text. */
  columnTypes?: 'native' | 'text';
  /** Where to write the document files the rows describe (the SQL mirror holds only their rows). */
  documentsDir?: string;
}

async function generateInto(options: PracticeGenerationOptions, sink: PracticeSink): Promise<GeneratedPractice> {
  try {
    const { manifest, truth } = await new PracticeGenerator(options, sink).run();
    await sink.finish(manifest, truth);
    return { manifest, truth };
  } catch (err) {
    await sink.abort();
    throw err;
  }
}

export interface GeneratedPractice {
  manifest: ExtractManifest;
  truth: GeneratorTruth;
}

/**
 * Writes a synthetic practice as an extract folder (CSV, CRLF, documents/, manifest.json last) plus its ground truth
 * in `<outDir>/_generator_truth.json`. Streams: the large profile never sits in memory. An existing outDir is
 * replaced only if this generator wrote it.
 */
export async function generatePractice(options: GeneratePracticeOptions): Promise<GeneratedPractice> {
  const sink = await FolderSink.create(options.outDir, options.dateFormat ?? 'iso', options.encoding ?? 'utf8');
  return generateInto(options, sink);
}

/**
 * Writes the same practice (same seed, same rows) into a SQL mirror schema with COPY, plus `<schema>.manifest` and
 * `<schema>._generator_truth`. An existing schema is replaced only if this generator made it.
 */
export async function generatePracticeToSql(options: GeneratePracticeToSqlOptions): Promise<GeneratedPractice> {
  const sink = await SqlSink.create({
    connectionString: options.connectionString,
    schema: options.schema,
    columnTypes: options.columnTypes ?? 'native',
    ...(options.documentsDir !== undefined ? { documentsDir: options.documentsDir } : {}),
  });
  // The SQL mirror always holds ISO dates; the truth says so.
  return generateInto({ ...options, dateFormat: 'iso' }, sink);
}

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ExtractReader } from '../../../src/dentrix/extract-reader';
import type { DentrixTable, ExtractManifest, ReadResult } from '../../../src/dentrix/types';

export const MANIFEST: ExtractManifest = {
  format: 'dentrix-extract/1',
  practice: { name: 'Lakeside Family Dental', timezone: 'America/Chicago', currency: 'USD' },
  source: { product: 'Dentrix G7', extracted_at: '2026-11-20T18:03:00Z', method: 'ddp-odbc-views' },
  date_format: 'iso',
  tables: {},
};

export const PROVIDERS = [{ provider_id: 'DDS1', first_name: 'Ana', last_name: 'Ruiz', title: 'DDS', provider_type: 'dentist', inactive: 'N' }];

/** A fresh temporary directory per test, removed afterwards. */
export function tempDirs(): { make(): Promise<string> } {
  const made: string[] = [];
  afterAll(async () => {
    for (const dir of made) await rm(dir, { recursive: true, force: true });
  });
  return {
    async make() {
      const dir = await mkdtemp(path.join(tmpdir(), 'dentrix-test-'));
      made.push(dir);
      return dir;
    },
  };
}

/** Reads a whole table; `error` holds what the reader threw after its last row, if anything. */
export async function readAll<T extends DentrixTable>(reader: ExtractReader, table: T): Promise<{ results: ReadResult<T>[]; error: unknown }> {
  const results: ReadResult<T>[] = [];
  try {
    for await (const result of reader.readTable(table)) results.push(result);
    return { results, error: undefined };
  } catch (error) {
    return { results, error };
  }
}

export function rows<T extends DentrixTable>(results: ReadResult<T>[]) {
  return results.flatMap((r) => (r.kind === 'row' ? [r] : []));
}

export function rejections<T extends DentrixTable>(results: ReadResult<T>[]) {
  return results.flatMap((r) => (r.kind === 'rejected' ? [r.issue] : []));
}

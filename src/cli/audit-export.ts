import fs from 'node:fs';
import { stringify } from 'csv-stringify';
import { type Pool } from 'pg';
import { readAudit } from '../store/audit';

const COLUMNS = ['id', 'at', 'action', 'object_type', 'source_key', 'pipedrive_id', 'method', 'endpoint', 'status', 'tokens', 'workflow_id', 'run_id', 'activity_id', 'attempt', 'note'];

/** Streams the audit log (every create, update, delete) as CSV or JSON lines to a file or stdout. */
export async function exportAuditLog(pool: Pool, migrationId: string, format: 'csv' | 'json', outFile?: string): Promise<number> {
  const out: NodeJS.WritableStream = outFile ? fs.createWriteStream(outFile) : process.stdout;
  let count = 0;
  if (format === 'csv') {
    const csv = stringify({ header: true, columns: COLUMNS, cast: { date: (d) => d.toISOString() } });
    csv.pipe(out, { end: Boolean(outFile) });
    for await (const page of readAudit(pool, migrationId)) {
      for (const row of page) {
        if (!csv.write(row)) await new Promise((r) => csv.once('drain', r));
        count++;
      }
    }
    // Done when the file has it all, not when the CSV encoder has handed it on.
    const flushed = outFile ? new Promise<void>((resolve, reject) => out.once('finish', resolve).once('error', reject)) : Promise.resolve();
    await new Promise<void>((resolve) => csv.end(resolve));
    await flushed;
  } else {
    for await (const page of readAudit(pool, migrationId)) {
      for (const row of page) {
        out.write(JSON.stringify(row) + '\n');
        count++;
      }
    }
    if (outFile) await new Promise<void>((resolve) => (out as fs.WriteStream).end(resolve));
  }
  return count;
}

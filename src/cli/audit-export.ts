import fs from 'node:fs';
import { stringify } from 'csv-stringify';
import { type Pool } from 'pg';
import { readAudit } from '../store/audit';

const COLUMNS = [
  'id',
  'at',
  'action',
  'object_type',
  'source_key',
  'pipedrive_id',
  'method',
  'endpoint',
  'status',
  'tokens',
  'workflow_id',
  'run_id',
  'activity_id',
  'attempt',
  'note',
];

/** Streams the audit log (every create, update, delete) as CSV or JSON lines to a file (owner-only, 0600) or stdout. */
export async function exportAuditLog(pool: Pool, migrationId: string, format: 'csv' | 'json', outFile?: string): Promise<number> {
  const out: NodeJS.WritableStream = outFile ? privateWriteStream(outFile) : process.stdout;
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

/** A file opened owner-only: created 0600, and an existing one (written over) made 0600 too. */
function privateWriteStream(file: string): fs.WriteStream {
  const fd = fs.openSync(file, 'w', 0o600);
  if (fs.fstatSync(fd).isFile()) fs.fchmodSync(fd, 0o600); // not a device (--out /dev/stdout)
  return fs.createWriteStream(file, { fd });
}

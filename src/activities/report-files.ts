import fs from 'node:fs/promises';
import path from 'node:path';
import { type ActivitySettings } from './deps';

/** Every report of a migration lives under `<dataDir>/migrations/<migrationId>/`. */
export function migrationDir(settings: ActivitySettings, migrationId: string): string {
  return path.join(settings.dataDir, 'migrations', migrationId);
}

/** Writes a file atomically (temp + rename), so a reader never sees half a report. */
export async function writeReportFile(settings: ActivitySettings, migrationId: string, name: string, content: string | Buffer): Promise<string> {
  const dir = migrationDir(settings, migrationId);
  await fs.mkdir(dir, { recursive: true });
  const target = path.join(dir, name);
  const tmp = `${target}.${process.pid}.tmp`;
  await fs.writeFile(tmp, content);
  await fs.rename(tmp, target);
  return target;
}

export async function writeJsonReport(settings: ActivitySettings, migrationId: string, name: string, value: unknown): Promise<string> {
  return writeReportFile(settings, migrationId, name, JSON.stringify(value, null, 2) + '\n');
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

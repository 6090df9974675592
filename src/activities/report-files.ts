import path from 'node:path';
import { makePrivateDir, writePrivateFile } from '../private-files';
import { type ActivitySettings } from './deps';

/**
 * This worker's cache of a migration's reports: `<dataDir>/migrations/<migrationId>/`. The store holds them for every
 * machine (publishReport); a file here is for local convenience only.
 */
export function migrationDir(settings: ActivitySettings, migrationId: string): string {
  return path.join(settings.dataDir, 'migrations', migrationId);
}

/**
 * Writes a file atomically (temp + rename), so a reader never sees half a report; owner-only (0600, its folders
 * 0700), since reports may hold PHI.
 */
export async function writeReportFile(settings: ActivitySettings, migrationId: string, name: string, content: string | Buffer): Promise<string> {
  const dir = migrationDir(settings, migrationId);
  await makePrivateDir(path.dirname(dir), { tighten: true });
  await makePrivateDir(dir, { tighten: true });
  const target = path.join(dir, name);
  await writePrivateFile(target, content);
  return target;
}

export async function writeJsonReport(settings: ActivitySettings, migrationId: string, name: string, value: unknown): Promise<string> {
  return writeReportFile(settings, migrationId, name, JSON.stringify(value, null, 2) + '\n');
}

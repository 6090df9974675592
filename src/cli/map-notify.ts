import { WorkflowNotFoundError } from '@temporalio/client';
import { loadEnv } from '../config';
import { connectClient, migrationWorkflowId } from '../runtime/temporal';
import { mapImportedSignal, type MapImportedInput } from '../workflows/messages';

/**
 * Tells the running migration that `map import` saved a new version, so its gate message (status, the Web UI) names
 * it. Returns what to tell the operator when it could not: the import itself is saved either way.
 */
export async function tellMigrationOfImport(migrationId: string, imported: MapImportedInput): Promise<string | undefined> {
  try {
    const client = await connectClient(loadEnv());
    try {
      await client.workflow.getHandle(migrationWorkflowId(migrationId)).signal(mapImportedSignal, imported);
    } finally {
      await client.connection.close();
    }
    return undefined;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined; // not running: nothing shows a gate message
    return `note: the running migration was not told of v${imported.version} (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); an approval still takes the latest version`;
  }
}

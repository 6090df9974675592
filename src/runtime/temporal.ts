import { Client, Connection } from '@temporalio/client';
import { type Env } from '../config';

export async function connectClient(env: Pick<Env, 'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE'>): Promise<Client> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS, connectTimeout: '5s' });
  } catch (err) {
    throw new Error(
      `Cannot reach Temporal at TEMPORAL_ADDRESS=${env.TEMPORAL_ADDRESS} (${(err as Error).message}). ` +
        'Start the dev server with "npm run temporal", or point TEMPORAL_ADDRESS at your cluster.',
    );
  }
  return new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
}

export const migrationWorkflowId = (migrationId: string): string => `migration-${migrationId}`;
export const rollbackWorkflowId = (migrationId: string): string => `rollback-${migrationId}`;

import { createAccountActivities } from './account';
import { createAuditActivities } from './audit';
import { createDeltaActivities } from './delta';
import { type ActivityDeps } from './deps';
import { createImageManifestActivities } from './image-manifest';
import { createLoadActivities } from './load';
import { createMappingActivities } from './mapping';
import { createOwnerActivities } from './owners';
import { createPurgeActivities } from './purge';
import { createRollbackActivities } from './rollback';
import { createRunActivities } from './run';
import { createSampleActivities } from './sample';
import { createSchemaActivities } from './schema';
import { createSourceActivities } from './source';
import { createVerifyActivities } from './verify';
import { keptAlive } from './heartbeat';

/**
 * Every activity the workflows call, made from injected dependencies. Activities take references (migration id,
 * object type, batch range) and return counts and report locations: patient data stays in PostgreSQL.
 */
export function createActivities(deps: ActivityDeps) {
  // Each heartbeats while it runs when its options give it a heartbeat timeout: a killed worker's are retried within seconds.
  return keptAlive({
    ...createAccountActivities(deps),
    ...createRunActivities(deps),
    ...createSourceActivities(deps),
    ...createAuditActivities(deps),
    ...createMappingActivities(deps),
    ...createOwnerActivities(deps),
    ...createSchemaActivities(deps),
    ...createSampleActivities(deps),
    ...createLoadActivities(deps),
    ...createVerifyActivities(deps),
    ...createImageManifestActivities(deps),
    ...createRollbackActivities(deps),
    ...createDeltaActivities(deps),
    ...createPurgeActivities(deps),
  });
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps';

import { type Client, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { rolledBackResult } from './migration-result';
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  DefaultFailureConverter,
  defaultPayloadConverter,
  TerminatedFailure,
  TimeoutFailure,
  TimeoutType,
  type LoadedDataConverter,
  type ProtoFailure,
} from '@temporalio/common';
import { migrationWorkflowId } from '../runtime/temporal';

/**
 * Why a migration failed (or keeps failing): the innermost failure of Temporal's cause chain (workflow → child
 * workflow → activity → the activity's own ApplicationFailure), which is where the real reason is: the workflow's own
 * message is only "Activity task failed" or "Child Workflow execution failed". Messages are PHI-free by design (tables,
 * columns, endpoints, counts); nothing here adds a value.
 */
export interface FailureCause {
  message: string;
  /** The failure's type: an ApplicationFailure's (BadSource, PermanentFailure, ...), or Timeout, Cancelled, Terminated. */
  type: string;
  /** The source's own error type when the failure names one (e.g. DentrixExtractIncomplete). */
  detail?: string;
  /** Retrying cannot help (non-retryable), as opposed to transient. */
  permanent: boolean;
  /** The activity it happened in, when it happened in one. */
  activity?: string;
  /** The innermost child workflow it came through (its id), when it came through one. */
  workflow?: string;
}

export interface MigrationFailure extends FailureCause {
  /** `failed`: the migration's workflow ended with this failure; `retrying`: it runs, an activity keeps failing. */
  state: 'failed' | 'retrying';
  /** For `retrying`: the attempt the activity is on. */
  attempt?: number;
}

/** Walks an error's cause chain to its innermost failure, noting the activity and child workflow on the way. */
export function failureCause(err: unknown): FailureCause | undefined {
  if (err === undefined || err === null) return undefined;
  if (!(err instanceof Error)) return { message: typeof err === 'string' ? err : 'unknown failure', type: 'Error', permanent: false };
  let activity: string | undefined;
  let workflow: string | undefined;
  let innermost: Error = err;
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 20; e = e.cause, depth++) {
    if (e instanceof ActivityFailure) activity = e.activityType;
    if (e instanceof ChildWorkflowFailure) workflow = e.execution.workflowId ?? undefined;
    innermost = e;
  }
  const where = { ...(activity ? { activity } : {}), ...(workflow ? { workflow } : {}) };
  if (innermost instanceof ApplicationFailure) {
    const detailType = (innermost.details?.[0] as { type?: unknown } | undefined)?.type;
    return {
      message: innermost.message,
      type: innermost.type ?? 'Error',
      ...(typeof detailType === 'string' ? { detail: detailType } : {}),
      permanent: innermost.nonRetryable === true,
      ...where,
    };
  }
  if (innermost instanceof TimeoutFailure) {
    const kind = innermost.timeoutType === undefined ? '' : ` (${TimeoutType[innermost.timeoutType] ?? innermost.timeoutType})`;
    return { message: innermost.message || 'timed out', type: `Timeout${kind}`, permanent: false, ...where };
  }
  if (innermost instanceof CancelledFailure) return { message: innermost.message || 'cancelled', type: 'Cancelled', permanent: true, ...where };
  if (innermost instanceof TerminatedFailure) return { message: innermost.message || 'terminated', type: 'Terminated', permanent: true, ...where };
  return { message: innermost.message, type: innermost.name || 'Error', permanent: false, ...where };
}

/** One line for people: the message, then what kind of failure it is and where it happened. */
export function describeFailure(f: MigrationFailure): string {
  const kind = `${f.type}${f.detail ? `: ${f.detail}` : ''}, ${f.permanent ? 'permanent' : 'transient'}`;
  const where = `${f.activity ? `in activity ${f.activity}` : ''}${f.workflow ? `${f.activity ? ' of' : 'in'} ${f.workflow}` : ''}`;
  if (f.state === 'retrying') {
    return (
      `retrying: ${f.activity ? `activity ${f.activity}` : 'an activity'}${f.workflow ? ` of ${f.workflow}` : ''} keeps failing` +
      `${f.attempt ? ` (attempt ${f.attempt})` : ''}: ${f.message} (${kind})`
    );
  }
  return `error: ${f.message} (${kind}${where ? `; ${where}` : ''})`;
}

interface PendingActivityLike {
  activityType?: { name?: string | null } | null;
  attempt?: number | null;
  lastFailure?: ProtoFailure | null;
}

/**
 * Why the migration failed, from Temporal (workers need not run): for a closed, failed workflow its failure's root
 * cause; for a running one, the last failure of an activity that keeps failing (its own, or a child workflow's, two
 * levels down). Undefined when nothing failed, or the workflow is unknown.
 */
export async function migrationFailure(client: Client, migrationId: string): Promise<MigrationFailure | undefined> {
  const handle = client.workflow.getHandle(migrationWorkflowId(migrationId));
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
  const state = description.status.name;
  if (state === 'FAILED' || state === 'TERMINATED' || state === 'TIMED_OUT' || state === 'CANCELLED') {
    try {
      await handle.result();
      return undefined;
    } catch (err) {
      if (rolledBackResult(err)) return undefined; // rolled back as asked: the migration's end, not a failure
      const cause = failureCause(err instanceof WorkflowFailedError ? (err.cause ?? err) : err);
      return cause ? { ...cause, state: 'failed' } : undefined;
    }
  }
  if (state !== 'RUNNING') return undefined;
  return pendingFailure(client, description.raw, undefined, 2);
}

/** The pending activity with the most attempts that has a last failure, here or in the running children below. */
async function pendingFailure(
  client: Client,
  raw: { pendingActivities?: PendingActivityLike[] | null; pendingChildren?: { workflowId?: string | null }[] | null },
  workflowId: string | undefined,
  depth: number,
): Promise<MigrationFailure | undefined> {
  const converter = dataConverterOf(client);
  let found: MigrationFailure | undefined;
  for (const pending of raw.pendingActivities ?? []) {
    if (!pending.lastFailure) continue;
    const attempt = pending.attempt ?? undefined;
    if (found && (found.attempt ?? 0) >= (attempt ?? 0)) continue;
    const cause = failureCause(converter.failureConverter.failureToError(pending.lastFailure, converter.payloadConverter));
    if (!cause) continue;
    const activity = pending.activityType?.name ?? cause.activity;
    found = {
      ...cause,
      ...(activity ? { activity } : {}),
      ...(workflowId ? { workflow: workflowId } : {}),
      state: 'retrying',
      ...(attempt ? { attempt } : {}),
    };
  }
  if (found || depth === 0) return found;
  for (const child of raw.pendingChildren ?? []) {
    if (!child.workflowId) continue;
    const described = await client.workflow
      .getHandle(child.workflowId)
      .describe()
      .catch(() => undefined);
    if (described?.status.name !== 'RUNNING') continue;
    const inChild = await pendingFailure(client, described.raw, child.workflowId, depth - 1);
    if (inChild) return inChild;
  }
  return undefined;
}

function dataConverterOf(client: Client): Pick<LoadedDataConverter, 'failureConverter' | 'payloadConverter'> {
  return (
    (client as { options?: { loadedDataConverter?: LoadedDataConverter } }).options?.loadedDataConverter ?? {
      failureConverter: new DefaultFailureConverter(),
      payloadConverter: defaultPayloadConverter,
    }
  );
}

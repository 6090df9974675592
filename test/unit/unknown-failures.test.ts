import { ApplicationFailure } from '@temporalio/common';
import type { Next, ActivityInboundCallsInterceptor } from '@temporalio/worker';
import { hasKnownFailureType, permanent, transientFailure } from '../../src/failures';
import { createLogger } from '../../src/logging';
import { PipedriveError } from '../../src/pipedrive/errors';
import { activityDeps } from '../../src/runtime/worker';
import { boundedUnknownFailures, UNKNOWN_FAILURE_ATTEMPTS } from '../../src/runtime/unknown-failures';
import { ConfigError, loadEnv } from '../../src/config';
import { MappingLlmConfigError } from '../../src/review/llm';

const pgError = (code: string) => Object.assign(new Error('duplicate key value violates unique constraint: Key (name)=(Ann Lee)'), { code });

describe('hasKnownFailureType: what keeps its retry policy', () => {
  it('typed failures, classified Pipedrive errors, network errors and transient PostgreSQL errors are known', () => {
    expect(hasKnownFailureType(permanent('bad'))).toBe(true);
    expect(hasKnownFailureType(transientFailure('again'))).toBe(true);
    expect(
      hasKnownFailureType(new PipedriveError({ message: 'x', failureType: 'transient', reason: 'server_error', endpoint: 'GET /api/v1/users/me' } as never)),
    ).toBe(true);
    expect(hasKnownFailureType(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(true);
    expect(hasKnownFailureType(new Error('Connection terminated unexpectedly'))).toBe(true);
    for (const code of ['08006', '57P01', '53300', '40001', '40P01']) expect(hasKnownFailureType(pgError(code))).toBe(true);
  });

  it('a bug, a bad setting read late or an unexpected PostgreSQL error is not', () => {
    expect(hasKnownFailureType(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(false);
    expect(hasKnownFailureType(new Error('MAPPING_LLM_URL: Invalid URL'))).toBe(false);
    expect(hasKnownFailureType(pgError('23505'))).toBe(false);
    expect(hasKnownFailureType(pgError('42703'))).toBe(false);
    expect(hasKnownFailureType('a string')).toBe(false);
    // A failure type the retry policies stop on, thrown as a class of that name.
    expect(hasKnownFailureType(new ConfigError('PIPEDRIVE_API_TOKEN is not set'))).toBe(true);
  });
});

describe('boundedUnknownFailures: unknown errors end as a visible failure after a few attempts', () => {
  const run = async (activityType: string, attempt: number, error: unknown): Promise<unknown> => {
    const factory = boundedUnknownFailures(createLogger('silent'));
    const ctx = { info: { activityType, attempt, workflowExecution: { workflowId: 'migration-m1', runId: 'r' } } } as never;
    const { inbound } = factory(ctx) as { inbound: Required<ActivityInboundCallsInterceptor> };
    const next: Next<ActivityInboundCallsInterceptor, 'execute'> = async () => {
      throw error;
    };
    return inbound.execute({ args: [{ migrationId: 'm1' }], headers: {} }, next).then(
      () => undefined,
      (err: unknown) => err,
    );
  };

  it('before the last attempt, retries it as an UnknownFailure that names the activity and the class, never the message', async () => {
    const err = (await run('proposeMap', UNKNOWN_FAILURE_ATTEMPTS - 1, new TypeError('boom for Ann Lee'))) as ApplicationFailure;
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect({ type: err.type, nonRetryable: err.nonRetryable, message: err.message }).toEqual({
      type: 'UnknownFailure',
      nonRetryable: false,
      message: `proposeMap attempt ${UNKNOWN_FAILURE_ATTEMPTS - 1} failed with an unexpected TypeError; retrying`,
    });
  });

  it('then fails non-retryably as UnknownFailure, naming the activity and the error class, never its message', async () => {
    const err = await run('proposeMap', UNKNOWN_FAILURE_ATTEMPTS, pgError('23505'));
    expect(err).toBeInstanceOf(ApplicationFailure);
    const failure = err as ApplicationFailure;
    expect(failure.type).toBe('UnknownFailure');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe(`proposeMap failed ${UNKNOWN_FAILURE_ATTEMPTS} times with an unexpected Error (23505); see the worker's log`);
    expect(JSON.stringify(failure.details)).not.toContain('Ann Lee');
  });

  it("keeps the message of the product's own error classes (PHI-free by rule), not a platform or library error's", async () => {
    class FieldMapError extends Error {
      override readonly name = 'FieldMapError';
    }
    const own = (await run('approveMap', UNKNOWN_FAILURE_ATTEMPTS, new FieldMapError('rule patient.email: unknown transform "emial"'))) as ApplicationFailure;
    expect(own.message).toBe(
      `approveMap failed ${UNKNOWN_FAILURE_ATTEMPTS} times with FieldMapError: rule patient.email: unknown transform "emial"; see the worker's log`,
    );
    const foreign = (await run('approveMap', 1, new RangeError('Invalid time value 1961-02-30 for Ann Lee'))) as ApplicationFailure;
    expect(foreign.message).toBe('approveMap attempt 1 failed with an unexpected RangeError; retrying');
  });

  it('leaves known failures to their retry policies, and the compensations retrying', async () => {
    const network = Object.assign(new Error('connect'), { code: 'ECONNREFUSED' });
    expect(await run('loadBatch', 50, network)).toBe(network);
    for (const compensation of ['rollbackBatch', 'restoreBeforeImages']) {
      const err = (await run(compensation, 50, new TypeError('boom'))) as ApplicationFailure;
      expect({ type: err.type, nonRetryable: err.nonRetryable }).toEqual({ type: 'UnknownFailure', nonRetryable: false });
    }
  });
});

describe('MAPPING_LLM_* are checked when the worker starts', () => {
  it('a bad value stops the worker with the setting named, instead of failing MAPPING_REVIEW over and over', () => {
    const env = loadEnv({ MAPPING_LLM_URL: 'not a url', MAPPING_LLM_MODEL: 'm' });
    expect(() => activityDeps(env, {} as never, createLogger('silent'))).toThrow(MappingLlmConfigError);
    expect(() => activityDeps(env, {} as never, createLogger('silent'))).toThrow(/MAPPING_LLM_URL/u);
    expect(() => activityDeps(loadEnv({ MAPPING_LLM_URL: 'http://127.0.0.1:1/v1' }), {} as never, createLogger('silent'))).toThrow(/MAPPING_LLM_MODEL/u);
  });

  it('hands the parsed settings to the activities', () => {
    const deps = activityDeps(
      loadEnv({ MAPPING_LLM_URL: 'http://127.0.0.1:1/v1', MAPPING_LLM_MODEL: 'm', MAPPING_LLM_TIMEOUT_MS: '5000' }),
      {} as never,
      createLogger('silent'),
    );
    expect(deps.settings.mappingLlm).toEqual({ url: 'http://127.0.0.1:1/v1', model: 'm', apiKey: null, timeoutMs: 5000 });
    expect(activityDeps(loadEnv({}), {} as never, createLogger('silent')).settings.mappingLlm).toBeNull();
  });
});

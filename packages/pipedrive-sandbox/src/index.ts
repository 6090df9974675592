import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import express from 'express';
import { adminRouter, type SandboxControl } from './admin';
import { ApiError } from './errors';
import { FaultInjector } from './faults';
import { Automations, type AutomationRule } from './automations';
import { accountFingerprint, recordsFingerprint } from './fingerprint';
import { DEFAULT_API_TOKEN, SEARCH_BURST_LIMIT, validateSandboxOptions, type FaultOptions, type SandboxOptions, type SandboxUser } from './options';
import { loadPersistedState, StatePersister } from './persistence';
import { RateLimiter } from './rate-limits';
import { RouteTable, sandboxRoutes } from './routes';
import { apiTarget, handleApiRequest, type SandboxRuntime } from './server';
import { PipedriveSpecs } from './spec';
import type { AccountState } from './state/account';
import { addUser, seedAccount } from './state/seed';
import { UsageCounters, type SandboxUsage } from './usage';

export type { FaultOptions, SandboxOptions, SandboxPlan, SandboxUser, RequestLogEntry } from './options';
export type { SandboxUsage } from './usage';
export type { AutomationRule } from './automations';
// What tests and tools outside the package use: the default API token, the options error, which hosts leave the
// admin API open, the routes served and the specs they are checked against.
export { DEFAULT_API_TOKEN, SandboxConfigError } from './options';
export { isLoopbackHost } from './admin-auth';
export { sandboxRoutes } from './routes';
export { SPEC_FILES, specsDirectory } from './spec';

export interface RunningSandbox {
  /** e.g. http://127.0.0.1:PORT — the base for /api/v2 and /api/v1. */
  url: string;
  port: number;
  close(): Promise<void>;
  /** SHA-256 over the live account (see fingerprint.ts for what it covers and why timestamps are left out). */
  fingerprint(): string;
  /** The fingerprint of the records alone (schema left out): what a sample rollback restores. */
  recordsFingerprint(): string;
  /** Rehearsal account automations that rewrite a field after each create (see automations.ts); [] turns them off. */
  setAutomations(rules: AutomationRule[]): void;
  usage(): SandboxUsage;
  setFaults(f: FaultOptions): void;
  /** Back to the seeded account; also clears token spending and request counters. */
  reset(): void;
  addUsers(u: SandboxUser[]): void;
}

/** The admin user every API token belongs to (id 1, created first from default-seed.json). */
const TOKEN_OWNER_ID = 1;

/**
 * Starts the Pipedrive sandbox: a local, stateful emulator of the Pipedrive v1/v2 endpoints the migration uses,
 * with Pipedrive's validation, rate limits and error envelopes, plus fault injection for rehearsals and tests.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  validateSandboxOptions(options);
  const specs = PipedriveSpecs.load();
  const extraUsers = options.users ?? [];
  const seedState = (): AccountState => seedAccount({ keySeed: options.seed, extraUsers, companyId: options.companyId });

  const limiter = new RateLimiter({
    plan: options.plan ?? 'growth',
    seats: options.seats ?? 1,
    dailyTokenBudget: options.dailyTokenBudget,
    burstLimit: options.burstLimit,
    searchBurstLimit: options.searchBurstLimit ?? SEARCH_BURST_LIMIT,
    dayLengthMs: options.dayLengthMs,
  });

  let state: AccountState;
  const saved = options.persistFile ? await loadPersistedState(options.persistFile) : undefined;
  if (saved) {
    state = saved.state;
    if (saved.meta.budget) limiter.restoreBudgetState(saved.meta.budget);
    // Users configured since the save (e.g. a new --users list) join the restored account.
    const known = new Set([...state.users.scan()].map((u) => u.email.toLowerCase()));
    for (const user of extraUsers) if (!known.has(user.email.toLowerCase())) addUser(state, user, false, Date.now());
  } else {
    state = seedState();
  }

  const runtime: SandboxRuntime = {
    state,
    routes: new RouteTable(sandboxRoutes()),
    specs,
    limiter,
    faults: new FaultInjector(options.faults),
    automations: new Automations(),
    usage: new UsageCounters(),
    tokens: new Set(options.apiTokens ?? [DEFAULT_API_TOKEN]),
    tokenUserId: TOKEN_OWNER_ID,
    settings: { plan: limiter.limits.plan, contactSync: options.contactSync ?? false, baseUrl: '' },
    blockAfterConsecutive429s: options.blockAfterConsecutive429s,
    onRequest: options.onRequest,
  };

  const persister = options.persistFile ? new StatePersister(options.persistFile, () => ({ state: runtime.state, budget: limiter.budgetState() })) : undefined;
  const watch = (s: AccountState): void => s.onChange(() => persister?.markDirty());
  watch(state);

  const control: SandboxControl = {
    state: () => runtime.state,
    reset: () => {
      runtime.state = seedState();
      watch(runtime.state);
      limiter.resetAll();
      runtime.usage.reset();
      persister?.markDirty();
    },
    fingerprint: () => accountFingerprint(runtime.state),
    recordsFingerprint: () => recordsFingerprint(runtime.state),
    automations: () => runtime.automations.current,
    setAutomations: (rules) => runtime.automations.set(rules),
    usage: () => runtime.usage.report(limiter),
    faults: () => runtime.faults.current,
    setFaults: (faults) => runtime.faults.set(faults),
    setLimits: (change) => {
      limiter.update(change);
      runtime.settings = { ...runtime.settings, plan: limiter.limits.plan };
      return runtime.usage.report(limiter);
    },
    addUsers: (users) =>
      users.map((user) => {
        const created = addUser(runtime.state, user, false, Date.now());
        return { id: created.id, name: created.name, email: created.email };
      }),
    advanceDay: () => {
      limiter.resetDay();
      persister?.markDirty();
      return runtime.usage.report(limiter);
    },
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  if (options.adminApi !== false) app.use('/_sandbox', adminRouter(control, { adminToken: options.adminToken }));
  app.use(async (req, res) => {
    if (apiTarget(req.path)) return handleApiRequest(runtime, req, res);
    res.status(404).json(new ApiError(404, `Unknown path ${req.path}: the API is under /api/v2 and /api/v1`).body('v1'));
  });

  const server = createServer(app);
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const host = options.host ?? '127.0.0.1';
  await listen(server, options.port ?? 0, host);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  runtime.settings = { ...runtime.settings, baseUrl: url };

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close: () =>
      (closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await closed;
        await persister?.close();
      })()),
    fingerprint: control.fingerprint,
    recordsFingerprint: control.recordsFingerprint,
    setAutomations: control.setAutomations,
    usage: control.usage,
    setFaults: control.setFaults,
    reset: control.reset,
    addUsers: (users) => {
      control.addUsers(users);
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

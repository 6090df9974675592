import { once } from 'node:events';
import express, { type Response, type Router } from 'express';
import { z } from 'zod';
import { FaultOptionsSchema, LimitsUpdateSchema, SandboxUserSchema, type FaultOptions, type LimitsUpdate, type SandboxUser } from './options';
import { AutomationsUpdateSchema, type AutomationRule } from './automations';
import type { SandboxUsage } from './usage';
import { adminTokenMatches, adminTokenOf, SANDBOX_ADMIN_TOKEN_HEADER } from './admin-auth';
import { snapshotEntries, snapshotMeta } from './state/snapshot';
import type { AccountState } from './state/account';

/** What the admin API drives; implemented by the running sandbox. */
export interface SandboxControl {
  state: () => AccountState;
  reset: () => void;
  fingerprint: () => string;
  recordsFingerprint: () => string;
  automations: () => AutomationRule[];
  setAutomations: (rules: AutomationRule[]) => void;
  usage: () => SandboxUsage;
  faults: () => FaultOptions;
  setFaults: (faults: FaultOptions) => void;
  setLimits: (change: LimitsUpdate) => SandboxUsage;
  addUsers: (users: SandboxUser[]) => { id: number; name: string; email: string }[];
  advanceDay: () => SandboxUsage;
}

/**
 * `/_sandbox/*`: operator controls for rehearsals and tests. No API-token cost, never hit by injected faults. With an
 * admin token configured (required when the sandbox listens beyond loopback), every request must carry it as
 * `Authorization: Bearer <token>` or `x-sandbox-admin-token`, or gets 401; without one the API is open (loopback only).
 */
export function adminRouter(control: SandboxControl, auth: { adminToken?: string } = {}): Router {
  const router = express.Router();
  const { adminToken } = auth;
  if (adminToken) {
    router.use((req, res, next) => {
      if (adminTokenMatches(adminToken, adminTokenOf(req.headers))) return next();
      res
        .status(401)
        .json({ success: false, error: `the sandbox admin API needs the admin token: Authorization: Bearer <token> or ${SANDBOX_ADMIN_TOKEN_HEADER}` });
    });
  }
  router.use(express.json({ limit: '1mb' }));

  router.post('/reset', (_req, res) => {
    control.reset();
    res.json({ success: true, fingerprint: control.fingerprint() });
  });
  router.get('/fingerprint', (_req, res) => {
    res.json({ fingerprint: control.fingerprint(), records: control.recordsFingerprint() });
  });
  // Rehearsal account automations (see automations.ts): PUT {"rules": [{"entity": "activity", "field": "subject", "append": " !"}]}.
  router.get('/automations', (_req, res) => {
    res.json({ rules: control.automations() });
  });
  router.put('/automations', (req, res) => {
    const parsed = AutomationsUpdateSchema.safeParse(req.body ?? {});
    if (!parsed.success) return invalid(res, parsed.error);
    control.setAutomations(parsed.data.rules);
    res.json({ rules: control.automations() });
  });
  router.get('/usage', (_req, res) => {
    res.json(control.usage());
  });
  router.get('/snapshot', async (_req, res) => {
    await streamSnapshot(control.state(), res).catch(() => res.destroy());
  });
  router.get('/faults', (_req, res) => {
    res.json(control.faults());
  });
  router.put('/faults', (req, res) => {
    const parsed = FaultOptionsSchema.safeParse(req.body ?? {});
    if (!parsed.success) return invalid(res, parsed.error);
    control.setFaults(parsed.data);
    res.json(control.faults());
  });
  router.put('/limits', (req, res) => {
    const parsed = LimitsUpdateSchema.safeParse(req.body ?? {});
    if (!parsed.success) return invalid(res, parsed.error);
    res.json(control.setLimits(parsed.data));
  });
  router.post('/users', (req, res) => {
    const parsed = z.union([SandboxUserSchema, z.array(SandboxUserSchema).min(1)]).safeParse(req.body);
    if (!parsed.success) return invalid(res, parsed.error);
    res.status(201).json({ success: true, data: control.addUsers(Array.isArray(parsed.data) ? parsed.data : [parsed.data]) });
  });
  router.post('/clock/advance-day', (_req, res) => {
    res.json(control.advanceDay());
  });
  router.use((req, res) => {
    res.status(404).json({ success: false, error: `Unknown sandbox admin route ${req.method} ${req.originalUrl}` });
  });
  return router;
}

function invalid(res: Response, error: z.ZodError): void {
  res.status(400).json({ success: false, error: error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });
}

/** The whole account as one JSON document, written record by record (a rehearsal can be too big for one string). */
async function streamSnapshot(state: AccountState, res: Response): Promise<void> {
  // Waits for the client to take what was written; a client that went away ends the walk.
  const write = async (chunk: string): Promise<void> => {
    if (res.destroyed) throw new Error('snapshot client disconnected');
    if (res.write(chunk)) return;
    // One listener pair per wait, removed whichever fires (once() per race would pile them up on a big snapshot).
    const ac = new AbortController();
    await Promise.race([once(res, 'drain', { signal: ac.signal }), once(res, 'close', { signal: ac.signal })]).finally(() => ac.abort());
  };
  res.status(200).type('application/json');
  await write(`{"meta":${JSON.stringify(snapshotMeta(state))},"tables":{`);
  let currentTable: string | undefined;
  let first = true;
  const files: string[] = [];
  for (const entry of snapshotEntries(state)) {
    if (entry.kind === 'fileContent') {
      files.push(`${JSON.stringify(String(entry.id))}:${JSON.stringify(entry.base64)}`);
      continue;
    }
    if (entry.table !== currentTable) {
      await write(`${currentTable === undefined ? '' : '],'}${JSON.stringify(entry.table)}:[`);
      currentTable = entry.table;
      first = true;
    }
    await write(`${first ? '' : ','}${JSON.stringify(entry.row)}`);
    first = false;
  }
  await write(`${currentTable === undefined ? '' : ']'}},"fileContents":{${files.join(',')}}}`);
  res.end();
}

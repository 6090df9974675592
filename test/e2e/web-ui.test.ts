import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { parseMigrationOptions } from '../../src/config';
import { queryStatus, requestCutover, requestRollback, sendApproval, startMigration, storeProgress } from '../../src/cli/commands';
import { readAudit } from '../../src/store/audit';
import { startDevServer, type RunningDevServer } from '../../src/devserver/dev-server';
import { PRODUCT_COLUMNS, SAVED_VIEW } from '../../src/cli/web-ui-links';
import { migrationWorkflowId } from '../../src/runtime/temporal';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import type { MigrationStatus } from '../../src/workflows/messages';
import { type RequestLogEntry, type RunningSandbox } from '@dentrix-pipedrive/pipedrive-sandbox';
import { liveAccountRecords, pendingCreatesMidPersons, preexistingRecords } from '../support/account-check';
import { createHarness, processEnv, type Harness } from '../support/harness';
import { COMPACT_PATIENTS, generatedPractice, sandboxFor } from '../support/practice';
import { bars, Terminal } from '../support/terminal';
import { waitFor } from '../support/wait';
import { gateAction } from '../../src/cli/status-view';
import type { Gate } from '../../src/workflows/messages';
import { entryPoint, entryPointCommand, REPO } from '../support/entry-point';

jest.setTimeout(8 * 60_000);

/** Where the screenshots are kept (CI keeps the folder as artifacts; README, "Tests"). */
const SHOTS = path.join(REPO, 'artifacts/screenshots');
const BY = 'web-ui-e2e';
const DONE_ID = 'webui-done';
const ROLLED_BACK_ID = 'webui-rolled-back';
// Small batches and a little latency per request: the full run lasts long enough to be seen mid-way.
const OPTIONS = { sampleSize: 20, allowSmallSample: true, batchSize: 10, concurrency: 1, deltaWindowSeconds: 900, deltaPollSeconds: 5 };
const SANDBOX_LATENCY_MS: [number, number] = [15, 25];
/** `status --watch`'s full-run line: its measured rate and an ETA, from records it settled itself within the last minute. */
const FULL_RATE = /full run: [\d.]+ records\/s over the last \d+ s · [\d,]+ left( \(\d+ types? not started\))? · ETA /u;

/** Debian's chromium (the setup script installs it), or CHROMIUM_PATH. */
function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => !!p);
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`no Chromium at ${candidates.join(', ')}: run scripts/setup.sh (it installs Debian's chromium) or set CHROMIUM_PATH`);
  return found;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * What an operator sees in the Temporal Web UI (the dev server's own, in headless Chromium driven over the DevTools
 * protocol by playwright-core) at MAPPING_REVIEW, mid-FULL, at DELTA, after DONE and after ROLLED_BACK: the workflow
 * page's Current Details say the phase, the progress (as the store counts it) and the action awaited; the list tells a
 * rolled-back migration from one that went through. Screenshots go to artifacts/screenshots/.
 *
 * And what `status --watch` shows in a terminal (tmux) while the second migration goes through its gates, loads and is
 * rolled back mid-FULL: redrawn in place, the phase, what a gate waits for with the exact command, the full run's own
 * live counts (a type not reached yet is not started, not the sample's counts), then the deletes.
 */
describe('the Temporal Web UI as ops see it', () => {
  let server: RunningDevServer;
  let h: Harness;
  let browser: Browser;
  let page: Page;
  const sandboxes: RunningSandbox[] = [];
  const sandboxOf = new Map<string, RunningSandbox>();
  const terminal = new Terminal();
  let worker: Awaited<ReturnType<Harness['startWorker']>>;
  /** The second migration's account as it was before the migration, and every request its sandbox answered, in order. */
  const rolledBackAccount = {
    sandbox: undefined as RunningSandbox | undefined,
    fingerprint: '',
    preexisting: new Set<string>(),
    requests: [] as RequestLogEntry[],
  };

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    server = await startDevServer({ port: await freePort(), uiPort: await freePort() });
    h = await createHarness({ TEMPORAL_ADDRESS: server.address });
    browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
    worker = await h.startWorker();
  });
  afterAll(async () => {
    await terminal.close();
    await browser?.close();
    for (const id of [DONE_ID, ROLLED_BACK_ID]) {
      await h?.client.workflow
        .getHandle(migrationWorkflowId(id))
        .terminate('test cleanup')
        .catch(() => undefined);
    }
    await h?.close();
    for (const s of sandboxes) await s.close();
    await server?.stop();
  });

  const ui = () => `${server.uiUrl!}/namespaces/default`;
  /**
   * Waits for a migration's status, the browser parked on a blank page meanwhile: a Web UI page left open keeps polling
   * and redrawing (Chromium was half of this file's CPU), CPU the migrations on this 2-core machine need.
   */
  const statusOf = async (id: string, what: string, ready: (s: MigrationStatus) => boolean) => {
    await page.goto('about:blank');
    return waitFor(
      what,
      async () => {
        const s = await queryStatus(h.client, id).catch(() => undefined);
        if (s?.phase === 'FAILED') throw new Error(`${id} failed: ${s.error}`);
        return s && ready(s) ? s : undefined;
      },
      { timeoutMs: 3 * 60_000, intervalMs: 100 },
    );
  };

  /**
   * The workflow's User Metadata page (the link `status` prints): its Current Details, drawn by the Web UI in a frame
   * of their own, once `expected` shows there; a screenshot of the page; the details' visible text.
   */
  async function detailsPage(id: string, shot: string, expected: string, url?: string): Promise<string> {
    const { runId } = await h.client.workflow.getHandle(migrationWorkflowId(id)).describe();
    await page.goto(url ?? `${ui()}/workflows/${migrationWorkflowId(id)}/${runId}/user-metadata`);
    let phaseSeen = 'no Current Details';
    const text = await waitFor(
      `"${expected}" in the Current Details of ${id}`,
      async () => {
        for (const frame of page.frames()) {
          const body = await frame
            .locator('body')
            .innerText({ timeout: 1000 })
            .catch(() => '');
          if (body.includes('Phase:')) phaseSeen = /Phase: \S+/u.exec(body)![0];
          if (body.includes('Phase:') && body.includes(expected)) return body;
        }
        return undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    ).catch((e: Error) => {
      throw new Error(`${e.message}; the page last showed ${phaseSeen}`);
    });
    await page.screenshot({ path: path.join(SHOTS, `${shot}.png`), fullPage: true });
    return text;
  }

  const seen = (what: string, match: (screen: string) => boolean, timeoutMs = 120_000) =>
    waitFor(what, () => terminal.frames.find(match), { timeoutMs, intervalMs: 100 });
  const gateShown = (gate: Gate) =>
    seen(
      `the ${gate} gate and its command on the watch's screen`,
      (s) => s.includes(`phase ${gate}`) && s.includes(`to decide: ${gateAction(gate, ROLLED_BACK_ID)}`),
    );

  /**
   * `status --watch` during the second migration's FULL: a rate with an ETA once the full run has settled records; a
   * type mid-load with the full run's own records; a type not reached yet not started with what it will load, never the
   * sample's counts. Then a rollback requested mid-FULL: its bars count deletes and move, and the watch ends with it.
   */
  async function watchFullThenRollback(): Promise<string[]> {
    const midFull = await seen('a FULL screen with a type mid-load and one not started', (s) => {
      const b = bars(s);
      return (
        s.includes('phase FULL') &&
        FULL_RATE.test(s) &&
        b.some((r) => r.value > 0 && r.value < r.total && r.detail.startsWith('migrated')) &&
        b.some((r) => r.detail.startsWith('not started'))
      );
    });
    // The rollback lands in the middle of a batch: a create is in flight (its ledger row `pending`: marked, no id yet).
    const inFlight = await waitFor('a create in flight mid-FULL', () => pendingCreatesMidPersons(h.db.pool, ROLLED_BACK_ID), {
      timeoutMs: 60_000,
      intervalMs: 10,
    });
    const rollback = await requestRollback(h.env, h.client, ROLLED_BACK_ID, { by: BY, reason: 'the web-ui test rolls this one back' });
    expect(rollback.mode).toBe('signalled');
    expect(midFull).toContain('tokens spent (requests):');
    const count = async (sql: string, type: string) => Number((await h.db.pool.query<{ n: string }>(sql, [ROLLED_BACK_ID, type])).rows[0]!.n);
    for (const r of bars(midFull)) {
      const sampled = await count(`SELECT count(*) AS n FROM work_items WHERE migration_id = $1 AND run_kind = 'sample' AND object_type = $2`, r.object);
      const full = await count(`SELECT count(*) AS n FROM work_items WHERE migration_id = $1 AND run_kind = 'full' AND object_type = $2`, r.object);
      if (r.detail.startsWith('not started')) {
        // What it will load, more than the sample's (the bug showed the sample's `32/32`); once planned, exactly that.
        expect([r.object, r.value, r.total > sampled]).toEqual([r.object, 0, true]);
        if (full > 0) expect([r.object, r.total]).toEqual([r.object, full]);
      } else {
        expect([r.object, r.total]).toEqual([r.object, full]);
      }
    }

    const rollingBack = await seen('a ROLLING_BACK screen with deletes under way', (s) => {
      return s.includes('phase ROLLING_BACK') && bars(s).some((r) => r.detail.startsWith('deleted') && r.value > 0 && r.value < r.total);
    });
    expect(rollingBack).toMatch(/rollback \(all\): [\d.]+ deletes\/s over the last \d+ s · [\d,]+ to delete · ETA /u);
    expect(await waitFor('the watch to end with the migration', () => terminal.exitStatus(), { timeoutMs: 120_000, intervalMs: 300 })).toBe(0);
    terminal.stopRecording();
    const last = await terminal.screen();
    expect(last).toContain('phase ROLLED_BACK');
    const deletedAtEnd = bars(last);
    expect(deletedAtEnd.length).toBeGreaterThan(0);
    for (const r of deletedAtEnd) expect([r.object, r.value, r.detail]).toEqual([r.object, r.total, `deleted ${r.total} of ${r.total}`]);
    // Deletes seen moving: several totals over the ROLLING_BACK screens' delete bars, each type's count rising to the
    // end's. Per type and deletes only: a screen read while the watch redraws it may hold only some of its bars, and
    // the first ROLLING_BACK screens, before the rollback has reported, still show the load's `migrated` bars.
    const rollingBackScreens = terminal.frames
      .filter((s) => s.includes('phase ROLLING_BACK'))
      .map((s) => bars(s).filter((r) => r.detail.startsWith('deleted')));
    const deletedOver = rollingBackScreens.map((b) => b.reduce((n, r) => n + r.value, 0));
    expect(new Set(deletedOver).size).toBeGreaterThan(1);
    for (const { object } of deletedAtEnd) {
      const seenCounts = rollingBackScreens.flatMap((b) => b.filter((r) => r.object === object).map((r) => r.value));
      expect([object, seenCounts]).toEqual([object, [...seenCounts].sort((a, b) => a - b)]);
    }
    return inFlight;
  }

  /**
   * The rollback requested with a create in flight undid everything and nothing came after it: no ledger row left
   * created or pending (the in-flight ones deleted), no create stored by the sandbox after the rollback's first delete
   * nor audited after it began, and the account back at its fingerprint from before the migration.
   */
  async function expectRolledBackMidBatch(inFlight: string[]): Promise<void> {
    const status = (await queryStatus(h.client, ROLLED_BACK_ID))!;
    expect(status.phaseHistory.map((p) => p.phase).slice(-3)).toEqual(['FULL', 'ROLLING_BACK', 'ROLLED_BACK']);
    expect(status.fingerprints).toMatchObject({ beforeFirstWrite: rolledBackAccount.fingerprint, afterRollback: rolledBackAccount.fingerprint });
    expect(status.rollbackProgress?.deleted).toBeGreaterThan(10);
    expect(rolledBackAccount.sandbox!.fingerprint()).toBe(rolledBackAccount.fingerprint);
    const { rows: left } = await h.db.pool.query<{ key: string }>(
      "SELECT object_type || ' ' || source_key AS key FROM id_map WHERE migration_id = $1 AND state IN ('created', 'pending')",
      [ROLLED_BACK_ID],
    );
    expect(left).toEqual([]);
    const { rows: inFlightRows } = await h.db.pool.query<{ state: string }>(
      `SELECT state FROM id_map WHERE migration_id = $1 AND object_type || ' ' || source_key = ANY($2::text[])`,
      [ROLLED_BACK_ID, inFlight],
    );
    expect(inFlightRows.map((r) => r.state)).toEqual(inFlight.map(() => 'deleted'));
    const { requests } = rolledBackAccount;
    const firstDelete = requests.findIndex((r) => r.method === 'DELETE');
    expect(firstDelete).toBeGreaterThan(0);
    const stored = (r: RequestLogEntry) => r.status === 'lost_response' || (typeof r.status === 'number' && r.status < 300);
    expect(
      requests
        .slice(firstDelete)
        .filter((r) => r.method === 'POST' && stored(r))
        .map((r) => `${r.method} ${r.path}`),
    ).toEqual([]);
    const { rows: audited } = await h.db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_log WHERE migration_id = $1 AND action IN ('create', 'recover')
         AND id > (SELECT min(id) FROM audit_log WHERE migration_id = $1 AND endpoint = 'rollback:all')`,
      [ROLLED_BACK_ID],
    );
    expect(audited[0]!.n).toBe(0);
  }

  async function start(id: string, seed: number): Promise<void> {
    const extract = await generatedPractice(path.join(h.dataDir, id), seed, 'demo', COMPACT_PATIENTS);
    const rolledBack = id === ROLLED_BACK_ID;
    const sandbox = await sandboxFor(extract, {
      faults: { latencyMs: SANDBOX_LATENCY_MS },
      ...(rolledBack ? { onRequest: (e: RequestLogEntry) => rolledBackAccount.requests.push(e) } : {}),
    });
    sandboxes.push(sandbox);
    sandboxOf.set(id, sandbox);
    if (rolledBack) {
      rolledBackAccount.sandbox = sandbox;
      rolledBackAccount.fingerprint = sandbox.fingerprint();
      rolledBackAccount.preexisting = await preexistingRecords(sandbox.url, h.db.pool, id);
    }
    await startMigration(h.env, h.db.pool, h.client, {
      migrationId: id,
      source: { kind: 'folder', path: extract },
      pipedriveBaseUrl: sandbox.url,
      options: parseMigrationOptions(OPTIONS),
    });
  }

  it('shows phase, progress and the action awaited at every stage, and tells a rolled-back migration from a finished one; status --watch shows the gates, the full run and the rollback live', async () => {
    await Promise.all([start(DONE_ID, 42), start(ROLLED_BACK_ID, 43)]);
    // `status --watch` of the migration to be rolled back, in a terminal from its start (the real CLI).
    await terminal.start(
      entryPointCommand('src/starter.ts', 'status', '-m', ROLLED_BACK_ID, '--watch', '--interval', '0.5'),
      processEnv(h.env, { DATA_DIR: h.dataDir, LOG_LEVEL: 'warn', TERM: 'xterm-256color' }),
    );
    terminal.record();

    // MAPPING_REVIEW: what is awaited and the exact command, on the workflow's own page.
    await statusOf(DONE_ID, 'MAPPING_REVIEW', (s) => s.waitingFor === 'MAPPING_REVIEW');
    const atMapping = await detailsPage(DONE_ID, '1-mapping-review', 'Waiting for');
    expect(atMapping).toContain('Phase: MAPPING_REVIEW');
    expect(atMapping).toContain('Waiting for: MAPPING_REVIEW approval');
    expect(atMapping).toContain(`npm run starter -- approve -m ${DONE_ID} --gate MAPPING_REVIEW --by <you>`);
    // The History tab (the Web UI's default) shows the gate's timer as a wait for a person, with the command.
    const { runId } = await h.client.workflow.getHandle(migrationWorkflowId(DONE_ID)).describe();
    await page.goto(`${ui()}/workflows/${migrationWorkflowId(DONE_ID)}/${runId}/history`);
    await page.getByText('waiting for MAPPING_REVIEW approval (this timer only reminds)').first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(SHOTS, '1-mapping-review-history.png'), fullPage: true });

    // status --watch: at each gate the screen says what it waits for and the exact command, before anyone decides.
    await gateShown('MAPPING_REVIEW');
    for (const id of [DONE_ID, ROLLED_BACK_ID]) await sendApproval(h.client, id, { gate: 'MAPPING_REVIEW', by: BY, includeAllPhi: true });
    await statusOf(ROLLED_BACK_ID, 'the second migration at SAMPLE_REVIEW', (s) => s.waitingFor === 'SAMPLE_REVIEW');
    await gateShown('SAMPLE_REVIEW');
    await sendApproval(h.client, ROLLED_BACK_ID, { gate: 'SAMPLE_REVIEW', by: BY });
    const inFlight = await watchFullThenRollback();

    await statusOf(DONE_ID, 'SAMPLE_REVIEW', (s) => s.waitingFor === 'SAMPLE_REVIEW');
    await sendApproval(h.client, DONE_ID, { gate: 'SAMPLE_REVIEW', by: BY });

    // Mid-FULL: the full run's own progress, live, with its rate.
    await statusOf(DONE_ID, 'the full run mid-way', (s) => {
      const objects = Object.values(s.phaseProgress?.runKind === 'full' ? s.phaseProgress.objects : {});
      return objects.some((o) => o.done > 0) && objects.some((o) => o.state !== 'done');
    });
    // Slower answers while the Web UI draws the page: on a loaded machine the rest of the full run could otherwise end
    // before the page shows it (CI once waited 30 s for a FULL that had already passed).
    sandboxOf.get(DONE_ID)!.setFaults({ latencyMs: [400, 500] });
    const midFull = await detailsPage(DONE_ID, '2-full-run', 'Loading (full run)');
    sandboxOf.get(DONE_ID)!.setFaults({ latencyMs: SANDBOX_LATENCY_MS });
    expect(midFull).toMatch(/Phase: FULL/u);
    expect(midFull).toMatch(/Loading \(full run\): \d+ of \d+\+? records, [\d.]+\/s/u);
    expect(midFull).toMatch(/person\s+(waiting|running|done)/u);

    // DELTA: cutover awaited, and the reconciliation's counts are the store's.
    await statusOf(DONE_ID, 'DELTA', (s) => s.phase === 'DELTA');
    const atDelta = await detailsPage(DONE_ID, '3-delta', 'Waiting for');
    expect(atDelta).toContain(`npm run starter -- cutover -m ${DONE_ID} --by <you>`);
    const store = await storeProgress(h.db.pool, DONE_ID, 'UTC');
    for (const type of ['organization', 'person', 'deal']) {
      const counts = store.objects[type]!;
      // | object | source | migrated | skipped | rejected | as the UI renders the Markdown table (cells split by tabs)
      expect(atDelta).toMatch(new RegExp(`${type}\\s+${counts.planned}\\s+${counts.migrated}\\s+${counts.skipped}\\s+${counts.rejected}`, 'u'));
    }

    // The demo practice has insurance claims in flight: a cutover then needs --force and a written reason.
    const cutover = await requestCutover(h.client, h.db.pool, DONE_ID, { by: BY, force: true, reason: 'claims reviewed with the practice' });
    expect(cutover.sent).toBe(true);
    await waitFor('DONE', async () => (await queryStatus(h.client, DONE_ID))?.phase === 'DONE', { timeoutMs: 2 * 60_000 });
    // The link `status` prints (the real CLI, told where the Web UI is) opens this page.
    const { stdout } = await promisify(execFile)(...entryPoint('src/starter.ts', 'status', '-m', DONE_ID, '--json'), {
      cwd: REPO,
      timeout: 90_000,
      env: processEnv(h.env, { TEMPORAL_UI_URL: server.uiUrl!, LOG_LEVEL: 'warn' }),
    });
    const statusJson = JSON.parse(stdout) as {
      webUi?: { migration?: string; migrations: string };
      progress: { dailyBudget?: { remaining: number; limit?: number } };
    };
    const printed = statusJson.webUi;
    // The account's daily budget as Pipedrive last reported it to the worker (the sandbox sends the headers).
    expect(statusJson.progress.dailyBudget).toMatchObject({ remaining: expect.any(Number) as unknown, limit: expect.any(Number) as unknown });
    expect(printed?.migration).toMatch(new RegExp(`^${server.uiUrl!}/namespaces/default/workflows/migration-${DONE_ID}/[^/]+/user-metadata$`, 'u'));
    const done = await detailsPage(DONE_ID, '4-done', 'Phase: DONE', printed!.migration);
    expect(done).not.toContain('Waiting for');

    await statusOf(ROLLED_BACK_ID, 'ROLLED_BACK', (s) => s.phase === 'ROLLED_BACK');
    await waitFor(
      'the rolled-back workflow closed',
      async () => (await h.client.workflow.getHandle(migrationWorkflowId(ROLLED_BACK_ID)).describe()).status.name !== 'RUNNING',
    );
    const rolledBack = await detailsPage(ROLLED_BACK_ID, '5-rolled-back', 'Rolled back');
    expect(rolledBack).toMatch(/Phase: ROLLED_BACK/u);
    expect(rolledBack).toMatch(/Rollback \(all\): \d+ deleted/u);
    await expectRolledBackMidBatch(inFlight);

    // Every decision is in the audit log, with what it decided: map version and PHI, the sample run, the forced
    // cutover's reason, the rollback's.
    const decisions = async (id: string) => {
      const notes: string[] = [];
      for await (const page of readAudit(h.db.pool, id))
        for (const row of page) if (row.object_type === 'gate' || row.note?.startsWith('rollback')) notes.push(row.note ?? '');
      return notes;
    };
    expect(await decisions(DONE_ID)).toEqual([
      expect.stringMatching(new RegExp(`^approve by ${BY} \\(map (v\\d+|latest proposed); PHI: every rule included unchanged`, 'u')),
      `approve by ${BY} (sample run 1)`,
      expect.stringMatching(
        new RegExp(`^(forced_cutover by ${BY} with \\d+ insurance claim\\(s\\) in flight|cutover by ${BY}): claims reviewed with the practice$`, 'u'),
      ),
    ]);
    expect(await decisions(ROLLED_BACK_ID)).toEqual([
      expect.stringMatching(new RegExp(`^approve by ${BY} \\(map`, 'u')),
      `approve by ${BY} (sample run 1)`,
      `rollback (all) by ${BY}: the web-ui test rolls this one back`,
    ]);

    // The list: the finished migration Completed, the rolled-back one Failed (never the same green).
    await page.goto(printed!.migrations); // the list link `status` printed: migrations only
    await page.getByText(migrationWorkflowId(ROLLED_BACK_ID)).first().waitFor({ timeout: 30_000 });
    // The link made a saved view of the product's filter (the columns are the operator's to add: the UI keeps them).
    await page.getByText(SAVED_VIEW).first().waitFor({ timeout: 10_000 });
    await page.screenshot({ path: path.join(SHOTS, '6-list.png'), fullPage: true });
    const rowOf = async (id: string) =>
      (
        await page
          .locator('tr', { hasText: migrationWorkflowId(id) })
          .first()
          .innerText()
      ).replace(/\s+/gu, ' ');
    expect(await rowOf(DONE_ID)).toMatch(/Completed/u);
    expect(await rowOf(ROLLED_BACK_ID)).toMatch(/Failed/u);
    expect(await rowOf(ROLLED_BACK_ID)).not.toMatch(/Completed/u);
    // The columns `status` tells ops to add, added as they would (the table's settings button): the phase in the list.
    await page.getByTestId('workflows-summary-table-configuration-button').click();
    for (const column of PRODUCT_COLUMNS) await page.getByTestId(`orderable-list-item-${column}-add-button`).click();
    await page.getByTestId('orderable-list-item-Run ID-remove-button').click();
    await page.getByTestId('drawer-close-button').click();
    await page.getByTestId('drawer-close-button').waitFor({ state: 'hidden', timeout: 10_000 });
    await page.locator('th', { hasText: PRODUCT_COLUMNS[0] }).first().waitFor({ timeout: 10_000 });
    await page.setViewportSize({ width: 1920, height: 1100 });
    await page.screenshot({ path: path.join(SHOTS, '7-list-with-columns.png'), fullPage: true });
    // Phase, practice, records loaded (the workflow's RecordsLoaded search attribute, as it ended).
    const { typedSearchAttributes } = await h.client.workflow.getHandle(migrationWorkflowId(DONE_ID)).describe();
    const recordsLoaded = typedSearchAttributes.get(SEARCH_ATTRIBUTES.recordsLoaded) ?? 0;
    expect(recordsLoaded).toBeGreaterThan(0);
    expect(await rowOf(DONE_ID)).toMatch(new RegExp(`\\bDONE\\b.*\\b(${recordsLoaded}|${recordsLoaded.toLocaleString('en-US')})\\b`, 'u'));
    expect(await rowOf(ROLLED_BACK_ID)).toMatch(/\bROLLED_BACK\b/u);

    // Nothing of the rolled-back migration still on its way: with the worker stopped (every activity it ran has
    // returned), its account holds exactly what it held before.
    const requestsAtEnd = rolledBackAccount.requests.length;
    await worker.stop();
    expect(rolledBackAccount.requests.slice(requestsAtEnd).filter((r) => r.method === 'POST')).toEqual([]);
    expect(rolledBackAccount.sandbox!.fingerprint()).toBe(rolledBackAccount.fingerprint);
    const live = await liveAccountRecords(rolledBackAccount.sandbox!.url, h.db.pool, ROLLED_BACK_ID);
    expect(live.filter((r) => !rolledBackAccount.preexisting.has(`${r.objectType}/${r.pipedriveId}`))).toEqual([]);
  });
});

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { COMPACT_PATIENTS, usePracticeWorld } from '../support/practice';
import { processEnv } from '../support/harness';
import { waitFor } from '../support/wait';
import { parseMigrationOptions } from '../../src/config';
import { requestRollback, startMigration } from '../../src/cli/commands';
import { driveMigration } from '../../src/cli/drive';
import { gateAction } from '../../src/cli/status-view';
import { migrationWorkflowId } from '../../src/runtime/temporal';
import type { Gate } from '../../src/workflows/messages';

jest.setTimeout(4 * 60 * 1000);

const REPO = path.resolve(__dirname, '../..');
const MIGRATION = 'status-watch';
const OPTIONS = parseMigrationOptions({ sampleSize: 20, allowSmallSample: true, batchSize: 25, concurrency: 2, skipDelta: true });
const run = promisify(execFile);
const ENDED = 'command ended with status';
/** The full run's measured rate and an ETA: records it settled itself within the last minute. */
const FULL_RATE = /full run: [\d.]+ records\/s over the last \d+ s · [\d,]+ left( \(\d+ types? not started\))? · ETA /u;

/** A terminal of its own: a tmux server on a private socket, one window; its screen as text, as a person sees it. */
class Terminal {
  private readonly socket = `status-watch-${randomBytes(4).toString('hex')}`;

  /** Runs `command` in the terminal; the terminal stays (its last screen readable) and says when the command ended. */
  async start(command: string, env: NodeJS.ProcessEnv): Promise<void> {
    // Not tmux's remain-on-exit: its "Pane is dead" line scrolls the screen's first line away.
    const shell = `${command}; echo "${ENDED} $?"; exec sleep 600`;
    await run('tmux', ['-L', this.socket, '-f', '/dev/null', 'new-session', '-d', '-s', 'w', '-x', '220', '-y', '60', '-c', REPO, shell], { env });
    // RAW=<file>: the bytes the command wrote, to look into a screen that is not as expected.
    if (process.env.RAW) await run('tmux', ['-L', this.socket, 'pipe-pane', '-t', 'w', `cat >> ${process.env.RAW}`]);
  }

  /** The screen, its wrapped lines (indented six spaces) joined back. */
  async screen(): Promise<string> {
    const { stdout } = await run('tmux', ['-L', this.socket, 'capture-pane', '-p', '-t', 'w']);
    // tmux 3.3 sometimes shows a run of '·' after the cursor's line that the command never wrote (not in its bytes).
    return stdout.replace(/\u00b7{2,}$/gmu, '').replace(/\n {6}(?=\S)/gu, ' ');
  }

  /** The command's exit status once it has ended. */
  async exitStatus(): Promise<number | undefined> {
    const ended = new RegExp(`^${ENDED} (\\d+)$`, 'mu').exec(await this.screen());
    return ended ? Number(ended[1]) : undefined;
  }

  async close(): Promise<void> {
    const socketPath = await run('tmux', ['-L', this.socket, 'display-message', '-p', '#{socket_path}']).then(
      (r) => r.stdout.trim(),
      () => '',
    );
    await run('tmux', ['-L', this.socket, 'kill-server']).catch(() => undefined);
    if (socketPath) fs.rmSync(socketPath, { force: true });
  }
}

interface BarLine {
  object: string;
  value: number;
  total: number;
  detail: string;
}

/** The bars on a screen: `  person         ████░░░ 40% 12/30 · migrated 12 · …`. */
function bars(screen: string): BarLine[] {
  return [...screen.matchAll(/^ {2}(\w+) +[\u2588\u2591]+ +\d+% (\d+)\/(\d+) · (.*)$/gmu)].map((m) => ({
    object: m[1]!,
    value: Number(m[2]),
    total: Number(m[3]),
    detail: m[4]!.trim(),
  }));
}

/**
 * Issue 16: `status --watch` in a terminal shows, redrawn in place, the phase, what a gate waits for with the exact
 * command, and live counts of the phase it is in: the full run's own during FULL (a type not reached yet is not
 * started, not the sample's counts), the deletes during a rollback.
 */
describe('status --watch in a terminal', () => {
  const world = usePracticeWorld({ patients: COMPACT_PATIENTS, sandbox: { faults: { latencyMs: [15, 25] } } });
  const terminal = new Terminal();
  /** Every distinct screen seen, in order. */
  const frames: string[] = [];
  let watching: ReturnType<typeof setInterval> | undefined;

  afterAll(async () => {
    if (watching) clearInterval(watching);
    await terminal.close();
    await world.h?.client.workflow
      .getHandle(migrationWorkflowId(MIGRATION))
      .terminate('test cleanup')
      .catch(() => undefined);
  });

  const seen = (what: string, match: (screen: string) => boolean, timeoutMs = 120_000) =>
    waitFor(what, () => frames.find(match), { timeoutMs, intervalMs: 100 });

  it('shows the gates with their commands, the full run live, then the rollback live', async () => {
    const { h, sandbox, extract } = world;
    const started = Date.now();
    await startMigration(h.env, h.db.pool, h.client, {
      migrationId: MIGRATION,
      source: { kind: 'folder', path: extract },
      pipedriveBaseUrl: sandbox.url,
      options: OPTIONS,
    });
    const tsx = path.join(REPO, 'node_modules/.bin/tsx');
    await terminal.start(
      `${tsx} src/starter.ts status -m ${MIGRATION} --watch --interval 0.5`,
      processEnv(h.env, { DATA_DIR: h.dataDir, LOG_LEVEL: 'warn', TERM: 'xterm-256color' }),
    );
    watching = setInterval(() => {
      void terminal.screen().then(
        (s) => {
          if (s.trim() && s !== frames.at(-1)) frames.push(s);
        },
        () => undefined,
      );
    }, 250);

    // At each gate the screen says what it waits for and the exact command, before the driver approves.
    const gateShown = (gate: Gate) =>
      seen(`the ${gate} gate and its command on screen`, (s) => s.includes(`phase ${gate}`) && s.includes(`to decide: ${gateAction(gate, MIGRATION)}`));
    let driveError: unknown;
    const driving = driveMigration(h.client, MIGRATION, {
      by: 'status-watch-e2e',
      includeAllPhi: true,
      minSampleAccuracy: 99,
      onStatus: async (status) => {
        if (status.waitingFor === 'MAPPING_REVIEW' || status.waitingFor === 'SAMPLE_REVIEW') await gateShown(status.waitingFor);
      },
    });
    driving.catch((err: unknown) => (driveError = err));
    await gateShown('MAPPING_REVIEW');

    // FULL: once the full run has settled records, a rate with an ETA; a type mid-load shows the full run's own
    // records; a type not reached yet is not started with what it will load, never the sample's counts.
    const midFull = await seen('a FULL screen with a type mid-load and one not started', (s) => {
      if (driveError) throw new Error(`the migration ended early: ${driveError instanceof Error ? driveError.message : 'unknown'}`);
      const b = bars(s);
      return (
        s.includes('phase FULL') &&
        FULL_RATE.test(s) &&
        b.some((r) => r.value > 0 && r.value < r.total && r.detail.startsWith('migrated')) &&
        b.some((r) => r.detail.startsWith('not started'))
      );
    });
    const rollback = await requestRollback(h.env, h.client, MIGRATION, { by: 'status-watch-e2e', reason: 'test: rollback while watched' });
    expect(rollback.mode).toBe('signalled');
    expect(midFull).toContain('tokens spent (requests):');

    const pool = h.db.pool;
    const count = async (sql: string, type: string) => Number((await pool.query<{ n: string }>(sql, [MIGRATION, type])).rows[0]!.n);
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

    // The rollback: its bars count deletes over what it has to delete, and move.
    const rollingBack = await seen('a ROLLING_BACK screen with deletes under way', (s) => {
      return s.includes('phase ROLLING_BACK') && bars(s).some((r) => r.detail.startsWith('deleted') && r.value > 0 && r.value < r.total);
    });
    expect(rollingBack).toMatch(/rollback \(all\): [\d.]+ deletes\/s over the last \d+ s · [\d,]+ to delete · ETA /u);

    expect(await waitFor('the watch to end with the migration', () => terminal.exitStatus(), { timeoutMs: 120_000, intervalMs: 300 })).toBe(0);
    clearInterval(watching);
    const last = await terminal.screen();
    expect(last).toContain('phase ROLLED_BACK');
    const deletedAtEnd = bars(last);
    expect(deletedAtEnd.length).toBeGreaterThan(0);
    for (const r of deletedAtEnd) expect([r.object, r.value, r.detail]).toEqual([r.object, r.total, `deleted ${r.total} of ${r.total}`]);
    // Deletes seen moving: several totals over the ROLLING_BACK screens' delete bars, each type's count rising to the
    // end's. Per type and deletes only: a screen read while the watch redraws it may hold only some of its bars, and
    // the first ROLLING_BACK screens, before the rollback has reported, still show the load's `migrated` bars.
    const rollingBackScreens = frames.filter((s) => s.includes('phase ROLLING_BACK')).map((s) => bars(s).filter((r) => r.detail.startsWith('deleted')));
    const deletedOver = rollingBackScreens.map((b) => b.reduce((n, r) => n + r.value, 0));
    expect(new Set(deletedOver).size).toBeGreaterThan(1);
    for (const { object } of deletedAtEnd) {
      const seenCounts = rollingBackScreens.flatMap((b) => b.filter((r) => r.object === object).map((r) => r.value));
      expect([object, seenCounts]).toEqual([object, [...seenCounts].sort((a, b) => a - b)]);
    }

    await driving.catch(() => undefined);
    console.log(
      `status-watch e2e: ${frames.length} screens in ${Math.round((Date.now() - started) / 1000)} s; ` +
        `${deletedOver.length} during ROLLING_BACK, deleted ${deletedAtEnd.reduce((n, r) => n + r.total, 0)}`,
    );
  });
});

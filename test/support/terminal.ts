import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const REPO = path.resolve(__dirname, '../..');
const run = promisify(execFile);
const ENDED = 'command ended with status';

/** A terminal of its own: a tmux server on a private socket, one window; its screen as text, as a person sees it. */
export class Terminal {
  private readonly socket = `dtx-terminal-${randomBytes(4).toString('hex')}`;
  /** Every distinct screen `record` saw, in order. */
  readonly frames: string[] = [];
  private recorder: ReturnType<typeof setInterval> | undefined;

  /** Runs `command` in the terminal; the terminal stays (its last screen readable) and says when the command ended. */
  async start(command: string, env: NodeJS.ProcessEnv): Promise<void> {
    // Not tmux's remain-on-exit: its "Pane is dead" line scrolls the screen's first line away.
    const shell = `${command}; echo "${ENDED} $?"; exec sleep 600`;
    await run('tmux', ['-L', this.socket, '-f', '/dev/null', 'new-session', '-d', '-s', 'w', '-x', '220', '-y', '60', '-c', REPO, shell], { env });
    // RAW=<file>: the bytes the command wrote, to look into a screen that is not as expected.
    if (process.env.RAW) await run('tmux', ['-L', this.socket, 'pipe-pane', '-t', 'w', `cat >> ${process.env.RAW}`]);
  }

  /** Reads the screen every `intervalMs` into `frames` (a screen equal to the last one is not kept again). */
  record(intervalMs = 250): void {
    this.recorder ??= setInterval(() => {
      void this.screen().then(
        (s) => {
          if (s.trim() && s !== this.frames.at(-1)) this.frames.push(s);
        },
        () => undefined,
      );
    }, intervalMs);
  }

  stopRecording(): void {
    clearInterval(this.recorder);
    this.recorder = undefined;
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
    this.stopRecording();
    const socketPath = await run('tmux', ['-L', this.socket, 'display-message', '-p', '#{socket_path}']).then(
      (r) => r.stdout.trim(),
      () => '',
    );
    await run('tmux', ['-L', this.socket, 'kill-server']).catch(() => undefined);
    if (socketPath) fs.rmSync(socketPath, { force: true });
  }
}

export interface BarLine {
  object: string;
  value: number;
  total: number;
  detail: string;
}

/** The bars on a screen: `  person         ████░░░ 40% 12/30 · migrated 12 · …`. */
export function bars(screen: string): BarLine[] {
  return [...screen.matchAll(/^ {2}(\w+) +[\u2588\u2591]+ +\d+% (\d+)\/(\d+) · (.*)$/gmu)].map((m) => ({
    object: m[1]!,
    value: Number(m[2]),
    total: Number(m[3]),
    detail: m[4]!.trim(),
  }));
}

import { createReadStream, createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { chmod, rename } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { AccountState } from './state/account';
import { restoreAccount, snapshotEntries, snapshotMeta, type SnapshotEntry, type SnapshotMeta } from './state/snapshot';

/**
 * Saves the account to a JSON Lines file (a meta line, then one line per record) so that a rehearsal survives a
 * restart. Lines rather than one JSON document: a rehearsal with millions of records would not fit in one string.
 * Writes go to a temporary file that replaces the old one, so a crash mid-write leaves the previous save intact.
 * The file holds whatever a rehearsal loaded (patients' data included): it is readable by its owner only (0600, a
 * folder it creates 0700).
 */
export class StatePersister {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private dirty = false;
  private closed = false;

  constructor(
    private readonly file: string,
    private readonly current: () => { state: AccountState; budget: NonNullable<SnapshotMeta['budget']> },
    private readonly debounceMs = 1_000,
  ) {}

  /** Something changed: save within `debounceMs` (coalescing everything that changes meanwhile). */
  markDirty(): void {
    this.dirty = true;
    if (this.closed || this.timer || this.writing) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.debounceMs);
    this.timer.unref();
  }

  /** Writes now if anything changed since the last save. */
  async flush(): Promise<void> {
    if (this.writing) await this.writing;
    if (!this.dirty) return;
    this.dirty = false;
    this.writing = this.write().finally(() => {
      this.writing = undefined;
      if (this.dirty && !this.closed) this.markDirty();
    });
    await this.writing;
  }

  /** Final save on shutdown. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.dirty = true;
    await this.flush();
  }

  private async write(): Promise<void> {
    const { state, budget } = this.current();
    mkdirSync(path.dirname(path.resolve(this.file)), { recursive: true, mode: 0o700 });
    const temporary = `${this.file}.${process.pid}.tmp`;
    const out = createWriteStream(temporary, { encoding: 'utf8', mode: 0o600 });
    const meta: SnapshotMeta = { ...snapshotMeta(state), budget };
    const writeLine = async (line: string): Promise<void> => {
      if (!out.write(line + '\n')) await once(out, 'drain');
    };
    try {
      await writeLine(JSON.stringify({ meta }));
      for (const entry of snapshotEntries(state)) await writeLine(JSON.stringify(entry));
      out.end();
      await once(out, 'finish');
    } catch (error) {
      out.destroy();
      throw error;
    }
    await chmod(temporary, 0o600); // a temp file left by an earlier crash keeps its own mode
    await rename(temporary, this.file);
  }
}

/** Reads a saved account, or undefined when the file does not exist yet. */
export async function loadPersistedState(file: string): Promise<{ state: AccountState; meta: SnapshotMeta } | undefined> {
  if (!existsSync(file)) return undefined;
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let meta: SnapshotMeta | undefined;
  const entries: SnapshotEntry[] = [];
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber += 1;
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new Error(`sandbox state file ${file} is corrupt at line ${lineNumber}`);
    }
    if (meta === undefined) {
      meta = (parsed as { meta?: SnapshotMeta }).meta;
      if (!meta) throw new Error(`sandbox state file ${file} does not start with a meta line`);
    } else entries.push(parsed as SnapshotEntry);
  }
  if (!meta) throw new Error(`sandbox state file ${file} is empty`);
  return { state: restoreAccount(meta, entries), meta };
}

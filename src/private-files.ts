import fs from 'node:fs/promises';

/**
 * Files the product writes (reports, workbooks, exports) may hold PHI: they are readable by their owner only
 * (DESIGN §5.11). Modes are set when a file or folder is created (the umask can only take bits away), and a report
 * folder the product owns is tightened when it is written into, in case an earlier version made it wider.
 */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/**
 * Creates a folder (and its missing parents) owner-only. `tighten`: also make an existing one owner-only; only for
 * folders the product owns (a report folder), never for a folder an operator named (`--out /tmp`).
 */
export async function makePrivateDir(dir: string, opts: { tighten?: boolean } = {}): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (opts.tighten) await fs.chmod(dir, PRIVATE_DIR_MODE);
}

/** Writes a file owner-only and atomically (temp + rename), so a reader never sees half of it. */
export async function writePrivateFile(target: string, content: string | Buffer): Promise<void> {
  const tmp = `${target}.${process.pid}.tmp`;
  await fs.writeFile(tmp, content, { mode: PRIVATE_FILE_MODE });
  // A temp file left by an earlier crash keeps its own mode through writeFile.
  await fs.chmod(tmp, PRIVATE_FILE_MODE);
  await fs.rename(tmp, target);
}

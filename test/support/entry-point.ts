import path from 'node:path';

export const REPO = path.resolve(__dirname, '../..');

/**
 * How to run one of the repository's TypeScript entry points: `node --import tsx <file>`, one process that gets its
 * signals itself. tsx's own CLI runs the file in a child process, relays signals to it and SIGKILLs it when the child
 * does not acknowledge within 30 ms, which a loaded machine missed (exit 143 instead of a graceful shutdown).
 */
export function entryPoint(file: string, ...args: string[]): [command: string, args: string[]] {
  return [process.execPath, ['--import', 'tsx', file, ...args]];
}

/** The same as one shell command line (for a terminal). */
export function entryPointCommand(file: string, ...args: string[]): string {
  const [command, rest] = entryPoint(file, ...args);
  return [command, ...rest].join(' ');
}

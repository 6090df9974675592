import type * as PracticeGenerator from '@dentrix-pipedrive/practice-generator';

/**
 * The practice generator and the Pipedrive sandbox are development workspaces (packages/): `npm ci` in a clone links
 * them, the worker and CLI image installs neither (see the Dockerfile). A command that needs one loads it when it runs,
 * so every other command works without it, and says why when it is absent.
 */
export async function loadPracticeGenerator(): Promise<typeof PracticeGenerator> {
  try {
    return await import('@dentrix-pipedrive/practice-generator');
  } catch (err) {
    if (isMissing(err, '@dentrix-pipedrive/practice-generator')) {
      throw new Error(
        'generate needs the practice generator (packages/practice-generator), a development workspace this installation leaves out: run it from a clone after npm ci',
      );
    }
    throw err;
  }
}

function isMissing(err: unknown, name: string): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'MODULE_NOT_FOUND' && String((err as Error).message).includes(name);
}

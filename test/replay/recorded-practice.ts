import path from 'node:path';

/** The practice the committed histories were recorded from (scripts/record-histories.ts); regenerated to check them for PHI. */
export const RECORDED_PRACTICE = { profile: 'demo' as const, seed: 44, patients: 20 };

export const HISTORIES_DIR = path.join(__dirname, 'histories');

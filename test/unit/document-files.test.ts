import path from 'node:path';
import { documentFile } from '../../src/activities/load';
import { type MigrationRun, type SourceSpec } from '../../src/store/runs';

const sample = path.resolve(__dirname, '../../samples/demo-practice');
const run = (source: SourceSpec): MigrationRun => ({
  migrationId: 'm',
  practiceName: null,
  timezone: null,
  pipedriveBaseUrl: 'http://127.0.0.1:9',
  phase: 'FULL',
  options: {},
  fingerprintBefore: null,
  fingerprintAfter: null,
  source,
});

describe('document files to upload', () => {
  it('come from the extract folder', () => {
    expect(documentFile(run({ kind: 'folder', path: sample }), 'documents/0000002-consent_form.pdf')).toEqual({
      path: path.join(sample, 'documents', '0000002-consent_form.pdf'),
    });
  });

  it('come from a SQL mirror’s documents folder, and without one the reason names the fix', () => {
    expect(documentFile(run({ kind: 'sql', connectionString: 'postgres://x', documentsDir: sample }), 'documents/0000002-consent_form.pdf')).toHaveProperty('path');
    expect(documentFile(run({ kind: 'sql', connectionString: 'postgres://x' }), 'documents/0000002-consent_form.pdf')).toEqual({
      reason: expect.stringContaining('--documents DIR'),
    });
  });

  it('never leave the documents folder, and a missing file is a reason, not a crash', () => {
    expect(documentFile(run({ kind: 'folder', path: sample }), '../../etc/passwd')).toEqual({ reason: expect.stringContaining('outside') });
    expect(documentFile(run({ kind: 'folder', path: sample }), 'documents/missing.pdf')).toEqual({ reason: expect.stringContaining('not in') });
    expect(documentFile(run({ kind: 'folder', path: sample }), null)).toEqual({ reason: expect.stringContaining('empty') });
  });
});

import { normalizeBaseUrl, startConflicts } from '../../src/cli/start-guard';

describe('startConflicts: what a second start would change', () => {
  const folder = (p: string) => ({ kind: 'folder' as const, path: p });
  const sql = (cs: string, schema?: string) => ({ kind: 'sql' as const, connectionString: cs, ...(schema ? { schema } : {}) });

  it('finds nothing when source and account are the same (however the URL is typed)', () => {
    expect(
      startConflicts(
        { source: folder('/x'), pipedriveBaseUrl: 'https://Acme.pipedrive.com/' },
        { source: folder('/x'), pipedriveBaseUrl: 'https://acme.pipedrive.com' },
      ),
    ).toEqual([]);
    expect(
      startConflicts(
        { source: sql('postgres://u:p@h/db'), pipedriveBaseUrl: 'https://a.pipedrive.com' },
        { source: sql('postgres://u:p@h/db', 'admin'), pipedriveBaseUrl: 'https://a.pipedrive.com' },
      ),
    ).toEqual([]);
  });

  it('names another extract folder and another account', () => {
    expect(
      startConflicts(
        { source: folder('/x'), pipedriveBaseUrl: 'https://a.pipedrive.com' },
        { source: folder('/y'), pipedriveBaseUrl: 'https://b.pipedrive.com' },
      ),
    ).toEqual(['it reads extract folder /x, not extract folder /y', 'it writes to https://a.pipedrive.com, not https://b.pipedrive.com']);
  });

  it('never prints a SQL connection string (it may hold a password)', () => {
    const conflicts = startConflicts(
      { source: sql('postgres://u:secret@h/db'), pipedriveBaseUrl: 'https://a.pipedrive.com' },
      { source: sql('postgres://u:secret@h/other'), pipedriveBaseUrl: 'https://a.pipedrive.com' },
    );
    expect(conflicts).toEqual(['it reads a SQL mirror (schema admin), not a SQL mirror (schema admin)']);
    expect(conflicts.join()).not.toContain('secret');
  });

  it('drops credentials from a URL it prints', () => {
    expect(normalizeBaseUrl('https://user:pw@a.pipedrive.com/')).toBe('https://a.pipedrive.com');
  });
});

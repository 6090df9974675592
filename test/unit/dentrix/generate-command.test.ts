import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { Command } from 'commander';
import { registerExtraCommands } from '../../../src/cli/extra-commands';
import { openExtract, resolveDocumentFile } from '../../../src/dentrix';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { readAll, rows, tempDirs } from './helpers';

const dirs = tempDirs();
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('generate_cmd');
});
afterAll(async () => {
  await db.drop();
});

function cli(): Command {
  const program = new Command('starter').exitOverride();
  registerExtraCommands(program);
  return program;
}

async function captureStdout(run: () => Promise<unknown>): Promise<string> {
  let out = '';
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return out;
}

describe('starter generate --sql --documents', () => {
  it('writes the document files the SQL mirror rows describe, where start --documents finds them', async () => {
    const dir = await dirs.make();
    const out = await captureStdout(() =>
      cli().parseAsync([
        'node',
        'starter',
        'generate',
        '--profile',
        'demo',
        '--seed',
        '7',
        '--sql',
        db.url,
        '--sql-schema',
        'mirror_docs',
        '--documents',
        dir,
        '--json',
      ]),
    );
    const line = JSON.parse(out.trim()) as { documentsDir: string; tables: { document?: { rows: number } } };
    expect(line.documentsDir).toBe(dir);

    const reader = await openExtract({ kind: 'sql', connectionString: db.url, schema: 'mirror_docs', documentsDir: dir });
    try {
      const documents = rows((await readAll(reader, 'document')).results);
      expect(documents.length).toBe(line.tables.document!.rows);
      expect(documents.length).toBeGreaterThan(0);
      for (const { row } of documents) {
        const bytes = await readFile(resolveDocumentFile(dir, row.file_path!));
        expect(bytes.length).toBe(row.size_bytes);
        expect(createHash('sha256').update(bytes).digest('hex')).toBe(row.sha256);
      }
      expect((await readdir(`${dir}/documents`, { recursive: true })).filter((f) => /\.\w+$/.test(f)).length).toBe(documents.length);
    } finally {
      await reader.close();
    }
  });

  it('refuses --documents with --out, where the folder holds its own documents/', async () => {
    const dir = await dirs.make();
    await expect(cli().parseAsync(['node', 'starter', 'generate', '--profile', 'demo', '--out', `${dir}/x`, '--documents', `${dir}/docs`])).rejects.toThrow(
      /--documents is for --sql/,
    );
  });
});

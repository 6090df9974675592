import fs from 'node:fs';
import path from 'node:path';

/**
 * One place for SQL: the migration store's queries live in src/store (repositories over the typed Kysely instance,
 * `sql` tags for COPY, jsonb and reporting queries). Anywhere else in src, a query (`.query('SELECT …')`, a query
 * text passed on with its parameters, a Kysely import or `sql` tag, a COPY stream) fails this test.
 */
const SRC = path.resolve(__dirname, '..', '..', 'src');

/** Files outside src/store that may hold SQL, and why. */
const ALLOWED: Record<string, string> = {
  // The Dentrix SQL mirror is the source system, read-only; its reader's SQL is not the store's. (The generator's
  // sinks, which write a mirror, are in packages/practice-generator, outside src.)
  'dentrix/sql-reader.ts': 'reads the Dentrix SQL mirror (the source), not the store',
};

const CHECKS: { name: string; pattern: RegExp }[] = [
  // A query call whose text is SQL, or a query text handed on with its parameters (`db.query(sql, params)`).
  {
    name: 'SQL query call',
    pattern:
      /\.query\s*(<[^>]*>)?\(\s*(['"`]\s*(SELECT|INSERT|UPDATE|DELETE|WITH|BEGIN|COMMIT|ROLLBACK|COPY|CREATE|DROP|DECLARE|FETCH|CLOSE|LOCK|SET)\b|[A-Za-z_$][\w$.]*\s*,)/,
  },
  // A string that starts a statement, also when the statement starts on the next line of a template.
  {
    name: 'SQL text',
    pattern: /['"`]\s*(SELECT\s+[\w*("]|WITH\s+(RECURSIVE\s+)?\w+\s+AS\s+((NOT\s+)?MATERIALIZED\s+)?\(|INSERT INTO\s|UPDATE \w+ SET\s|DELETE FROM\s|COPY \w+)/,
  },
  { name: 'Kysely import', pattern: /from\s+['"]kysely['"]/ },
  { name: 'COPY stream', pattern: /from\s+['"]pg-copy-streams['"]/ },
  { name: 'sql tag', pattern: /\bsql(<[^>]*>)?`/ },
];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

describe('SQL lives in src/store', () => {
  it('no file outside src/store (and the source-mirror reader) queries a database', () => {
    const found: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const rel = path.relative(SRC, file).split(path.sep).join('/');
      if (rel.startsWith('store/') || ALLOWED[rel]) continue;
      const text = fs.readFileSync(file, 'utf8');
      for (const check of CHECKS) {
        for (const m of text.matchAll(new RegExp(check.pattern.source, 'g'))) {
          const line = text.slice(0, m.index).split('\n').length;
          found.push(`src/${rel}:${line}: ${check.name}: ${m[0].replace(/\s+/g, ' ')}`);
        }
      }
    }
    expect(found).toEqual([]);
  });

  it('the checks catch each kind of query they look for', () => {
    const caught = (line: string) => CHECKS.filter((c) => c.pattern.test(line)).map((c) => c.name);
    expect(caught(`await pool.query('DELETE FROM delta_watermarks WHERE migration_id = $1', [id]);`)).toContain('SQL query call');
    expect(caught('const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM staged_rows`);')).toContain('SQL query call');
    expect(caught('return (await db.query<R>(text, params)).rows;')).toContain('SQL query call');
    expect(caught("    'SELECT source_table FROM extract_counts WHERE migration_id = $1',")).toContain('SQL text');
    expect(caught('    `\n      WITH entry AS MATERIALIZED (\n SELECT 1')).toContain('SQL text');
    expect(caught("import { sql } from 'kysely';")).toContain('Kysely import');
    expect(caught("import { from as copyFrom } from 'pg-copy-streams';")).toContain('COPY stream');
    expect(caught('await sql`SELECT 1`.execute(db);')).toContain('sql tag');
    // Temporal workflow queries are not SQL.
    expect(caught('return await handle.query(statusQuery);')).toEqual([]);
    expect(caught("return await client.workflow.getHandle(id).query<DeltaProgress>('deltaProgress');")).toEqual([]);
  });
});

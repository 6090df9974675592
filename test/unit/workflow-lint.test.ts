import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * The workflow sandbox only catches non-determinism at run time; the lint rule catches it at review time. These
 * cases lint source text as if it were a workflow module, so a loosened rule fails here.
 */
const root = path.resolve(__dirname, '../..');
const asWorkflowFile = path.join(root, 'src/workflows/budget.ts');

interface LintMessage {
  ruleId: string | null;
  message: string;
  line: number;
}

/**
 * ESLint's flat config is an ES module, which jest's CommonJS runtime cannot load: lint in one child process, every
 * snippet as if it were src/workflows/budget.ts, with the repository's own config. Only the rule under test runs, so
 * the snippets are parsed without type information (building the TypeScript program took minutes per snippet).
 */
function restrictedImports(snippets: string[]): LintMessage[][] {
  const script = `
    import { ESLint } from 'eslint';
    const snippets = JSON.parse(process.argv[1]);
    const eslint = new ESLint({
      overrideConfig: { languageOptions: { parserOptions: { projectService: false, project: null } } },
      ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
    });
    const out = [];
    for (const code of snippets) out.push((await eslint.lintText(code, { filePath: process.argv[2] }))[0]?.messages ?? []);
    process.stdout.write(JSON.stringify(out));
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(snippets), asWorkflowFile], { cwd: root, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`eslint exited ${run.status}: ${run.stderr}`);
  return (JSON.parse(run.stdout) as LintMessage[][]).map((messages) => messages.filter((m) => m.ruleId === 'no-restricted-imports'));
}

const refused: Array<[string, string]> = [
  ["import { readFileSync } from 'node:fs';", 'Node I/O'],
  ["import { Pool } from 'pg';", 'I/O and heavy libraries'],
  ["import { createActivities } from '../activities';", 'import type'],
  ["import { loadEnv } from '../config';", 'import type'],
];
const refusedCode = `${refused.map(([line]) => line).join('\n')}\nexport const used = [readFileSync, Pool, createActivities, loadEnv];\n`;
const allowedCode =
  "import type { createActivities } from '../activities';\nimport { sleep } from '@temporalio/workflow';\n" +
  'export type A = ReturnType<typeof createActivities>;\nexport const s = sleep;\n';

describe('lint rules for src/workflows', () => {
  jest.setTimeout(120_000);
  let results: LintMessage[][];
  beforeAll(() => {
    results = restrictedImports([refusedCode, allowedCode]);
  });

  it('refuses I/O modules and value imports from outside src/workflows, one error per import', () => {
    const messages = results[0]!;
    refused.forEach(([, expected], index) => {
      expect(
        messages
          .filter((m) => m.line === index + 1)
          .map((m) => m.message)
          .join('\n'),
      ).toContain(expected);
    });
  });

  it('allows type-only imports of activities and the workflow API', () => {
    expect(results[1]).toEqual([]);
  });
});
